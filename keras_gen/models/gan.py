"""The MLP GAN of the lecture notes and Keras-GAN's `gan.py`."""

import math

import keras

from keras_gen.models.adversarial import AdversarialModel
from keras_gen.validation import check_positive_int


def check_units(units, name):
    """Checks a non-empty sequence of positive layer sizes.

    Args:
        units: The layer sizes, e.g. `(512, 256)`.
        name: The argument name used in the error message.

    Returns:
        The sizes as a tuple of Python ints.
    """
    if isinstance(units, (str, bytes)) or not hasattr(units, "__iter__"):
        raise ValueError(
            f"`{name}` must be a non-empty sequence of positive integers. "
            f"Received: {name}={units!r}"
        )
    units = tuple(units)
    if not units:
        raise ValueError(
            f"`{name}` must be a non-empty sequence of positive integers. "
            f"Received: {name}={units!r}"
        )
    for size in units:
        try:
            check_positive_int(size, name)
        except ValueError:
            raise ValueError(
                f"`{name}` must be a non-empty sequence of positive integers. "
                f"Received: {name}={units!r}"
            ) from None
    return tuple(int(size) for size in units)


def mlp_generator(latent_dim, units, output_shape):
    """Builds Keras-GAN's MLP generator, the lecture notes' (`GAN`, `EBGAN`).

    Each hidden layer is `Dense -> LeakyReLU(0.2)`, followed by
    `BatchNormalization(momentum=0.8)` from the second layer on; the output
    is a tanh, reshaped to `output_shape`.

    Args:
        latent_dim: Size of the noise vector.
        units: Hidden layer sizes.
        output_shape: Shape of one generated image.

    Returns:
        A `keras.Model` named `"generator"`: `(latent_dim,) -> output_shape`.
    """
    noise = keras.Input(shape=(latent_dim,), name="noise")
    x = noise
    for index, size in enumerate(units):
        x = keras.layers.Dense(size)(x)
        x = keras.layers.LeakyReLU(negative_slope=0.2)(x)
        if index > 0:
            x = keras.layers.BatchNormalization(momentum=0.8)(x)
    x = keras.layers.Dense(math.prod(output_shape), activation="tanh")(x)
    images = keras.layers.Reshape(output_shape)(x)
    return keras.Model(noise, images, name="generator")


@keras.saving.register_keras_serializable(package="keras_gen")
class GAN(AdversarialModel):
    """The multilayer-perceptron GAN of the lecture notes.

    Generator: `latent_dim -> 128 -> 256 (BatchNorm) -> 512 (BatchNorm) ->
    prod(input_shape)` with a tanh output reshaped to `input_shape`, so data
    must be scaled to [-1, 1]. Discriminator: `Flatten -> 512 -> 256 -> 1`
    with a sigmoid output. Hidden layers use LeakyReLU(0.2), and the
    generator's layers are `Dense -> LeakyReLU -> BatchNormalization(momentum=0.8)`
    as in Keras-GAN. Training (binary cross-entropy, the non-saturating
    generator loss, one discriminator and one generator update per batch,
    the metrics) is described in `AdversarialModel`.

    ```python
    gan = keras_gen.GAN(input_shape=(28, 28, 1))
    gan.compile()  # Adam(2e-4, beta_1=0.5) for each player.
    gan.fit(x_train * 2 - 1, epochs=30, batch_size=64)
    images = gan.generate(16, seed=0)  # in [-1, 1]
    ```

    Args:
        input_shape: Shape of one image, `(784,)` or `(28, 28, 1)` for MNIST.
        latent_dim: Size of the noise vector.
        generator_units: Hidden layer sizes of the generator; every layer but
            the first is followed by BatchNorm.
        discriminator_units: Hidden layer sizes of the discriminator.
        seed: Optional integer seed of the training noise.
        **kwargs: Base model arguments such as `name`.
    """

    def __init__(
        self,
        input_shape=(784,),
        latent_dim=100,
        generator_units=(128, 256, 512),
        discriminator_units=(512, 256),
        seed=None,
        **kwargs,
    ):
        self.generator_units = check_units(generator_units, "generator_units")
        self.discriminator_units = check_units(
            discriminator_units, "discriminator_units"
        )
        super().__init__(
            input_shape=input_shape, latent_dim=latent_dim, seed=seed, **kwargs
        )

    def build_generator(self):
        return mlp_generator(self.latent_dim, self.generator_units, self.input_shape)

    def build_discriminator(self):
        images = keras.Input(shape=self.input_shape, name="images")
        x = keras.layers.Flatten()(images)
        for units in self.discriminator_units:
            x = keras.layers.Dense(units)(x)
            x = keras.layers.LeakyReLU(negative_slope=0.2)(x)
        validity = keras.layers.Dense(1, activation="sigmoid")(x)
        return keras.Model(images, validity, name="discriminator")

    def get_config(self):
        base_config = super().get_config()
        config = {
            "generator_units": list(self.generator_units),
            "discriminator_units": list(self.discriminator_units),
        }
        return {**base_config, **config}
