"""Deep convolutional GANs: Keras-GAN's 28x28 model and the PyTorch example's."""

import math

import keras

from keras_gen.models.gan import GAN
from keras_gen.validation import check_choice, check_positive_int, check_shape

ARCHITECTURES = ("keras_gan", "pytorch")
PYTORCH_IMAGE_SIZES = (32, 64)


def pytorch_conv_initializer():
    """The PyTorch DCGAN example's `weights_init` for convolutions: N(0, 0.02)."""
    return keras.initializers.RandomNormal(mean=0.0, stddev=0.02)


def pytorch_batch_norm():
    """BatchNorm as in PyTorch: scale ~ N(1, 0.02), momentum 0.1, eps 1e-5.

    PyTorch's momentum is the weight of the new batch, Keras' that of the
    running average, hence 0.9.
    """
    return keras.layers.BatchNormalization(
        momentum=0.9,
        epsilon=1e-5,
        gamma_initializer=keras.initializers.RandomNormal(mean=1.0, stddev=0.02),
    )


def check_image_shape(input_shape, architecture):
    """Checks that `input_shape` is `(height, width, channels)` and fits.

    Args:
        input_shape: The image shape.
        architecture: `"keras_gan"` (height and width multiples of 4) or
            `"pytorch"` (square, 32x32 or 64x64).

    Returns:
        The shape as a tuple of Python ints.
    """
    shape = check_shape(input_shape, "input_shape")
    if len(shape) != 3:
        raise ValueError(
            "`input_shape` must be (height, width, channels), e.g. (28, 28, 1). "
            f"Received: input_shape={input_shape!r}"
        )
    height, width, _ = shape
    if architecture == "keras_gan" and (height % 4 or width % 4):
        raise ValueError(
            "`input_shape` must have a height and width divisible by 4 for "
            "architecture='keras_gan' (the generator upsamples twice from "
            f"height/4 x width/4). Received: input_shape={input_shape!r}"
        )
    if architecture == "pytorch" and (
        height != width or height not in PYTORCH_IMAGE_SIZES
    ):
        raise ValueError(
            "`input_shape` must be (32, 32, channels) or (64, 64, channels) "
            "for architecture='pytorch'. Received: "
            f"input_shape={input_shape!r}"
        )
    return shape


def keras_gan_generator(latent_dim, image_shape, kernel_size=3):
    """Keras-GAN's DCGAN generator: `(latent_dim,) -> image_shape`, tanh.

    `Dense(128 * h/4 * w/4, relu)`, reshape, then twice `UpSampling2D`,
    `Conv2D(128 then 64, kernel_size, "same")`,
    `BatchNormalization(momentum=0.8)`, ReLU, and a last
    `Conv2D(channels, kernel_size, "same")` with tanh. Kernel 3 is
    `dcgan.py`'s, 4 the WGAN scripts'.
    """
    height, width, channels = image_shape
    noise = keras.Input(shape=(latent_dim,), name="noise")
    x = keras.layers.Dense(128 * (height // 4) * (width // 4), activation="relu")(noise)
    x = keras.layers.Reshape((height // 4, width // 4, 128))(x)
    for filters in (128, 64):
        x = keras.layers.UpSampling2D()(x)
        x = keras.layers.Conv2D(filters, kernel_size, padding="same")(x)
        x = keras.layers.BatchNormalization(momentum=0.8)(x)
        x = keras.layers.ReLU()(x)
    x = keras.layers.Conv2D(channels, kernel_size, padding="same")(x)
    images = keras.layers.Activation("tanh")(x)
    return keras.Model(noise, images, name="generator")


def keras_gan_discriminator(image_shape, filters=(32, 64, 128, 256), activation="sigmoid"):
    """Keras-GAN's DCGAN discriminator: `image_shape -> (1,)`.

    `Conv2D` with `filters` (32, 64, 128, 256 in `dcgan.py`; 16, 32, 64, 128
    for the WGAN scripts' critic), kernel 3, strides 2, 2, 2, 1, "same";
    `ZeroPadding2D(((0, 1), (0, 1)))` after the second,
    `BatchNormalization(momentum=0.8)` after the second to fourth, each
    followed by LeakyReLU(0.2) and Dropout(0.25), then Flatten and
    `Dense(1)` with `activation` (a sigmoid, or `None` for a critic's score).
    """
    images = keras.Input(shape=image_shape, name="images")
    x = images
    for index, (width, strides) in enumerate(zip(filters, (2, 2, 2, 1))):
        x = keras.layers.Conv2D(width, 3, strides=strides, padding="same")(x)
        if index == 1:
            x = keras.layers.ZeroPadding2D(((0, 1), (0, 1)))(x)
        if index > 0:
            x = keras.layers.BatchNormalization(momentum=0.8)(x)
        x = keras.layers.LeakyReLU(negative_slope=0.2)(x)
        x = keras.layers.Dropout(0.25)(x)
    x = keras.layers.Flatten()(x)
    validity = keras.layers.Dense(1, activation=activation)(x)
    return keras.Model(images, validity, name="discriminator")


def _pytorch_widths(image_size, base):
    # 64x64: base * (8, 4, 2, 1); 32x32: base * (4, 2, 1).
    blocks = int(math.log2(image_size)) - 2
    return [base * 2**power for power in reversed(range(blocks))]


def pytorch_generator(latent_dim, image_shape, ngf=64):
    """The PyTorch DCGAN example's generator, `netG`: `(latent_dim,) -> image_shape`.

    4x4 transposed convolutions (stride 1 from the noise to 4x4, then stride
    2) with BatchNorm and ReLU, `ngf * 8, ngf * 4, ngf * 2, ngf` filters for
    64x64 (`ngf * 4, ngf * 2, ngf` for 32x32), ending in tanh; no biases,
    weights N(0, 0.02), BatchNorm scales N(1, 0.02).
    """
    noise = keras.Input(shape=(latent_dim,), name="noise")
    x = keras.layers.Reshape((1, 1, latent_dim))(noise)
    for index, filters in enumerate(_pytorch_widths(image_shape[0], ngf)):
        # The first block maps 1x1 to 4x4, the others double the size.
        x = keras.layers.Conv2DTranspose(
            filters, 4, strides=1 if index == 0 else 2,
            padding="valid" if index == 0 else "same", use_bias=False,
            kernel_initializer=pytorch_conv_initializer(),
        )(x)
        x = pytorch_batch_norm()(x)
        x = keras.layers.ReLU()(x)
    x = keras.layers.Conv2DTranspose(
        image_shape[-1], 4, strides=2, padding="same", use_bias=False,
        kernel_initializer=pytorch_conv_initializer(),
    )(x)
    images = keras.layers.Activation("tanh")(x)
    return keras.Model(noise, images, name="generator")


def pytorch_discriminator(image_shape, ndf=64):
    """The PyTorch DCGAN example's discriminator, `netD`: `image_shape -> (1,)`.

    4x4 stride-2 convolutions with LeakyReLU(0.2), BatchNorm on all but the
    first, `ndf, ndf * 2, ...` filters, then a 4x4 valid convolution to one
    sigmoid output; no biases, weights N(0, 0.02).
    """
    images = keras.Input(shape=image_shape, name="images")
    x = images
    for index, filters in enumerate(reversed(_pytorch_widths(image_shape[0], ndf))):
        x = keras.layers.Conv2D(
            filters, 4, strides=2, padding="same", use_bias=False,
            kernel_initializer=pytorch_conv_initializer(),
        )(x)
        if index > 0:
            x = pytorch_batch_norm()(x)
        x = keras.layers.LeakyReLU(negative_slope=0.2)(x)
    x = keras.layers.Conv2D(
        1, 4, padding="valid", use_bias=False,
        kernel_initializer=pytorch_conv_initializer(),
    )(x)
    x = keras.layers.Flatten()(x)
    validity = keras.layers.Activation("sigmoid")(x)
    return keras.Model(images, validity, name="discriminator")


@keras.saving.register_keras_serializable(package="keras_gen")
class DCGAN(GAN):
    """A deep convolutional GAN, with either of two classic architectures.

    `architecture="keras_gan"` is Keras-GAN's `dcgan.py`, made for 28x28
    images (height and width must be multiples of 4):
    `keras_gan_generator` and `keras_gan_discriminator`.
    `architecture="pytorch"` is the PyTorch DCGAN example, for 32x32 or
    64x64 images, `ngf` and `ndf` wide: `pytorch_generator` and
    `pytorch_discriminator`. Networks passed in replace the default ones.

    Data must be scaled to [-1, 1], with any number of channels. Training is
    `GAN`'s.

    Args:
        input_shape: `(height, width, channels)` of one image.
        latent_dim: Size of the noise vector.
        architecture: `"keras_gan"` or `"pytorch"`.
        ngf: Generator width of the `"pytorch"` architecture.
        ndf: Discriminator width of the `"pytorch"` architecture.
        generator: Optional `keras.Model`, `(latent_dim,) -> input_shape`.
        discriminator: Optional `keras.Model`, `input_shape -> (1,)`.
        seed: Optional integer seed of the training noise.
        **kwargs: Base model arguments such as `name`.
    """

    def __init__(
        self,
        input_shape=(28, 28, 1),
        latent_dim=100,
        architecture="keras_gan",
        ngf=64,
        ndf=64,
        generator=None,
        discriminator=None,
        seed=None,
        **kwargs,
    ):
        self.architecture = check_choice(architecture, "architecture", ARCHITECTURES)
        input_shape = check_image_shape(input_shape, self.architecture)
        latent_dim = check_positive_int(latent_dim, "latent_dim")
        self.ngf = check_positive_int(ngf, "ngf")
        self.ndf = check_positive_int(ndf, "ndf")
        pytorch = self.architecture == "pytorch"
        if generator is None:
            generator = (
                pytorch_generator(latent_dim, input_shape, self.ngf) if pytorch
                else keras_gan_generator(latent_dim, input_shape)
            )
        if discriminator is None:
            discriminator = (
                pytorch_discriminator(input_shape, self.ndf) if pytorch
                else keras_gan_discriminator(input_shape)
            )
        super().__init__(
            input_shape=input_shape, latent_dim=latent_dim, generator=generator,
            discriminator=discriminator, seed=seed, **kwargs,
        )

    @property
    def channels(self):
        """Number of channels of one image."""
        return self.input_shape[-1]

    def get_config(self):
        config = super().get_config()
        # The MLP's layer sizes do not apply to the convolutional networks.
        del config["generator_units"], config["discriminator_units"]
        return {
            **config,
            "architecture": self.architecture,
            "ngf": self.ngf,
            "ndf": self.ndf,
        }
