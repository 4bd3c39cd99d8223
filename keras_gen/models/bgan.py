"""Keras-GAN's boundary-seeking GAN, `bgan.py` (Hjelm et al. 2017)."""

import keras

from keras_gen import losses
from keras_gen.models.gan import GAN, mlp_generator


@keras.saving.register_keras_serializable(package="keras_gen")
class BGAN(GAN):
    """A boundary-seeking GAN: a `GAN` whose generator aims at `D(G(z)) = 0.5`.

    The discriminator is the `GAN`'s (sigmoid output, binary cross-entropy);
    the generator minimizes `0.5 * mean((log D(G(z)) - log(1 - D(G(z))))^2)`
    (`losses.boundary_seeking_loss`, as Keras-GAN's `boundary_loss`), the
    squared logit of its fakes: zero on the discriminator's decision
    boundary, where (for an optimal discriminator) the generator's density
    equals the data's. Probabilities are clipped to `[1e-7, 1 - 1e-7]`
    before the logs, which Keras-GAN leaves unguarded.

    Defaults are Keras-GAN's `bgan.py`: generator `latent_dim -> 256 -> 512
    -> 1024 -> prod(input_shape)`, each hidden layer `Dense ->
    LeakyReLU(0.2) -> BatchNormalization(momentum=0.8)`, tanh output;
    discriminator `Flatten -> 512 -> 256 -> 1` (LeakyReLU(0.2), sigmoid);
    Adam(2e-4, beta_1=0.5) for each player; data in [-1, 1]. The history has
    the `GAN`'s keys.

    ```python
    bgan = keras_gen.BGAN(input_shape=(28, 28, 1))
    bgan.compile()
    bgan.fit(x_train * 2 - 1, epochs=30, batch_size=64)
    ```

    Args:
        input_shape: Shape of one image, `(784,)` or `(28, 28, 1)` for MNIST.
        latent_dim: Size of the noise vector.
        generator: Optional `keras.Model`, `(latent_dim,) -> input_shape`.
        discriminator: Optional `keras.Model`, `input_shape -> (1,)`
            probabilities.
        generator_units: Hidden layer sizes of the default generator; None
            for Keras-GAN's (256, 512, 1024).
        discriminator_units: Hidden layer sizes of the default discriminator.
        seed: Optional integer seed of the training noise.
        **kwargs: Base model arguments such as `name`.
    """

    default_generator_units = (256, 512, 1024)  # Keras-GAN's.

    def build_generator(self, latent_dim, image_shape):
        """Keras-GAN's: BatchNorm after every hidden layer, the first included.

        Args:
            latent_dim: Size of the noise vector.
            image_shape: Shape of one generated image.

        Returns:
            A `keras.Model`, `(latent_dim,) -> image_shape`, tanh outputs.
        """
        return mlp_generator(latent_dim, self.generator_units, image_shape,
                             batch_norm_first=True)

    def generator_loss(self, fake_scores):
        """`0.5 * mean((log D(G(z)) - log(1 - D(G(z))))^2)`.

        Args:
            fake_scores: The discriminator's probabilities of fakes,
                `(batch_size, 1)`.

        Returns:
            A scalar tensor.
        """
        return losses.boundary_seeking_loss(fake_scores)
