"""A denoising autoencoder: corrupt the input, reconstruct the clean one."""

import keras

from keras_gen.layers import Corruption
from keras_gen.models.autoencoder import Autoencoder


@keras.saving.register_keras_serializable(package="keras_gen")
class DenoisingAutoencoder(Autoencoder):
    """An `Autoencoder` that learns to undo seeded input corruption.

    In training, each batch is corrupted by a `keras_gen.layers.Corruption`
    layer (Gaussian noise of std `noise_std`, then masking noise that zeroes a
    fraction `mask_fraction` of the features, then clipping to [0, 1]) before
    the encoder sees it, and the loss compares the reconstruction with the
    clean input. Inference (`predict`, `encode`, `reconstruct`) sees the input
    as given, so pass it noisy inputs to denoise them; `corrupt()` makes such
    inputs with the same noise.

    Args:
        input_shape: Shape of one example, e.g. `(784,)`.
        latent_space: Size of the code.
        intermediate_dim: Units of the hidden layer on each side.
        noise_std: Std of the additive Gaussian noise (the Keras blog's
            `noise_factor`, 0.5).
        mask_fraction: Fraction of features zeroed by masking noise, in
            [0, 1).
        seed: Optional integer seed of the corruption.
        **kwargs: Other `Autoencoder` arguments.
    """

    def __init__(
        self,
        input_shape=(784,),
        latent_space=32,
        intermediate_dim=128,
        noise_std=0.5,
        mask_fraction=0.0,
        seed=None,
        **kwargs,
    ):
        # Plain values only before `super().__init__()` (PyTorch refuses
        # layers there); the corruption layer itself is made in `build()`.
        self.corruption_config = {
            "noise_std": noise_std, "mask_fraction": mask_fraction, "seed": seed
        }
        super().__init__(
            input_shape=input_shape,
            latent_space=latent_space,
            intermediate_dim=intermediate_dim,
            **kwargs,
        )

    def build(self, input_shape=None):
        self.corruption = Corruption(**self.corruption_config, name="corruption")
        super().build(input_shape)

    def call(self, inputs, training=False):
        corrupted = self.corruption(inputs, training=training)
        return super().call(corrupted, training=training)

    def corrupt(self, x):
        """Returns a corrupted copy of `x`, as seen in training.

        Args:
            x: Array of shape `(num_examples, *input_shape)` in [0, 1].

        Returns:
            NumPy array with the shape of `x`.
        """
        self._check_batch(x, "x")
        return keras.ops.convert_to_numpy(
            self.corruption.corrupt(keras.ops.convert_to_tensor(x))
        )

    def get_config(self):
        base_config = super().get_config()
        config = {
            "noise_std": self.corruption.noise_std,
            "mask_fraction": self.corruption.mask_fraction,
            "seed": self.corruption.seed,
        }
        return {**base_config, **config}
