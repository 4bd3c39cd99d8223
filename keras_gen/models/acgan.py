"""Keras-GAN's auxiliary-classifier GAN, `acgan.py` (Odena et al. 2017)."""

import keras
from keras import ops

from keras_gen import backend
from keras_gen import losses
from keras_gen.models.adversarial import frozen, generator_and_discriminator
from keras_gen.models.base import GenerativeModel
from keras_gen.models.dcgan import check_image_shape
from keras_gen.models.gan import add_generator_and_discriminator, conditional_inputs
from keras_gen.validation import check_num_classes, check_positive_int

METRIC_NAMES = ("d_loss", "g_loss", "d_acc", "d_class_acc")


def acgan_generator(latent_dim, image_shape, num_classes=None):
    """Keras-GAN's ACGAN (and SGAN) generator: `[labels, noise] -> image_shape`, tanh.

    The noise times the label's embedding (`conditional_inputs`; the noise
    alone, `noise -> image_shape`, with `num_classes=None`: the SGAN's), then
    `Dense(128 * h/4 * w/4, relu)`, reshape, `BatchNormalization(momentum=0.8)`;
    twice `UpSampling2D -> Conv2D(128 then 64, 3, "same") -> ReLU ->
    BatchNormalization(momentum=0.8)`; `Conv2D(channels, 3, "same")`, tanh.
    """
    height, width, channels = image_shape
    if num_classes is None:
        inputs = x = keras.Input(shape=(latent_dim,), name="noise")
    else:
        inputs, x = conditional_inputs(latent_dim, num_classes)
    x = keras.layers.Dense(128 * (height // 4) * (width // 4), activation="relu")(x)
    x = keras.layers.Reshape((height // 4, width // 4, 128))(x)
    x = keras.layers.BatchNormalization(momentum=0.8)(x)
    for filters in (128, 64):
        x = keras.layers.UpSampling2D()(x)
        x = keras.layers.Conv2D(filters, 3, padding="same")(x)
        x = keras.layers.ReLU()(x)
        x = keras.layers.BatchNormalization(momentum=0.8)(x)
    x = keras.layers.Conv2D(channels, 3, padding="same")(x)
    images = keras.layers.Activation("tanh")(x)
    return keras.Model(inputs, images, name="generator")


def acgan_discriminator(image_shape, num_classes, filters=(16, 32, 64, 128)):
    """Keras-GAN's ACGAN discriminator: `image_shape -> [validity (1,), classes (num_classes,)]`.

    `Conv2D` with `filters` 16, 32, 64, 128 (Keras-GAN's SGAN: 32, 64,
    128, 256; 3x3, strides 2, 2, 2, 1, "same"), each
    followed by LeakyReLU(0.2) and Dropout(0.25),
    `ZeroPadding2D(((0, 1), (0, 1)))` after the second and
    `BatchNormalization(momentum=0.8)` after the second and third; then
    two heads on the flattened features: a sigmoid (real or fake) and a
    softmax over the classes.
    """
    images = keras.Input(shape=image_shape, name="images")
    x = images
    for index, (width, strides) in enumerate(zip(filters, (2, 2, 2, 1))):
        x = keras.layers.Conv2D(width, 3, strides=strides, padding="same")(x)
        if index == 1:
            x = keras.layers.ZeroPadding2D(((0, 1), (0, 1)))(x)
        x = keras.layers.LeakyReLU(negative_slope=0.2)(x)
        x = keras.layers.Dropout(0.25)(x)
        if index in (1, 2):
            x = keras.layers.BatchNormalization(momentum=0.8)(x)
    features = keras.layers.Flatten()(x)
    validity = keras.layers.Dense(1, activation="sigmoid", name="validity")(features)
    classes = keras.layers.Dense(num_classes, activation="softmax", name="classes")(features)
    return keras.Model(images, [validity, classes], name="discriminator")


@keras.saving.register_keras_serializable(package="keras_gen")
class ACGAN(GenerativeModel):
    """An auxiliary-classifier GAN: the discriminator also names the class.

    The generator draws `G([y, z])`, an image of class `y`. The
    discriminator sees the image only and answers twice: whether it is
    real, and which class it shows. Both players minimize the class's
    cross-entropy on top of the adversarial BCE, so the generator learns to
    draw images the discriminator's classifier reads as `y`.

    Each batch draws one noise batch and one batch of classes (uniformly,
    seeded) and runs two phases on them, as Keras-GAN's `acgan.py`:

    1. `discriminator_step(real_images, labels, noise, fake_labels)`: the
       generator in inference mode draws the fakes; the discriminator
       minimizes `0.5 * (BCE(1, D(x)) + CE(y, C(x)) + BCE(0, D(G(z, y'))) +
       CE(y', C(G(z, y'))))`, real images with their labels `y`, fakes with
       the classes `y'` they were drawn as (`d_optimizer`).
    2. `generator_step(noise, fake_labels)`: the same noise and classes
       through the generator in training mode, scored by the frozen
       discriminator: `BCE(1, D(G(z, y'))) + CE(y', C(G(z, y')))`
       (`g_optimizer`).

    The history has `d_loss`, `g_loss`, `d_acc` (real-or-fake accuracy at
    0.5) and `d_class_acc` (the class head's accuracy on the real and the
    fake batch, Keras-GAN's `op_acc`). `fit(x, y)` takes integer labels in
    `[0, num_classes)`; `generate(n, labels=...)` draws the classes asked
    for.

    Defaults are Keras-GAN's `acgan.py` (`acgan_generator`,
    `acgan_discriminator`), Adam(2e-4, beta_1=0.5) for each player; images
    `(height, width, channels)` in [-1, 1], height and width multiples of 4.

    ```python
    acgan = keras_gen.ACGAN()
    acgan.compile()
    acgan.fit(x_train * 2 - 1, y_train, epochs=10, batch_size=64)
    # or Keras-GAN's loop: acgan.train(epochs=14000, batch_size=32, sample_interval=200)
    ```

    Args:
        input_shape: `(height, width, channels)` of one image.
        num_classes: Number of classes of the labels.
        latent_dim: Size of the noise vector.
        generator: Optional `keras.Model`, `[(num_classes,) one-hot,
            (latent_dim,)] -> input_shape`.
        discriminator: Optional `keras.Model`, `input_shape -> [(1,)
            probabilities, (num_classes,) softmax]`.
        seed: Optional integer seed of the training noise and classes.
        **kwargs: Base model arguments such as `name`.
    """

    value_range = (-1.0, 1.0)
    value_range_reason = "the generator ends in a tanh, so real images share its range"
    network_names = ("generator", "discriminator")

    def __init__(
        self,
        input_shape=(28, 28, 1),
        num_classes=10,
        latent_dim=100,
        generator=None,
        discriminator=None,
        seed=None,
        **kwargs,
    ):
        input_shape = check_image_shape(input_shape, "keras_gan")
        num_classes = check_num_classes(num_classes)
        latent_dim = check_positive_int(latent_dim, "latent_dim")
        super().__init__(metric_names=METRIC_NAMES, **kwargs)
        self.input_shape = input_shape
        self.num_classes = num_classes
        self.seed = seed
        if generator is None:
            generator = acgan_generator(latent_dim, input_shape, num_classes)
        if discriminator is None:
            discriminator = acgan_discriminator(input_shape, num_classes)
        add_generator_and_discriminator(self, latent_dim, generator, discriminator, seed)

    @property
    def decoder(self):
        """The generator: what `decode`, `generate` and the callbacks run."""
        return self.generator

    def call(self, inputs, training=False):
        """The discriminator's `[validity, class probabilities]` of images."""
        return self.discriminator(inputs, training=training)

    def compile(self, d_optimizer=None, g_optimizer=None, **kwargs):
        """Configures training. The losses are built in: pass optimizers.

        Args:
            d_optimizer: Optimizer of the discriminator; a new
                Adam(2e-4, beta_1=0.5) by default.
            g_optimizer: Optimizer of the generator, same default.
            **kwargs: `run_eagerly`, `steps_per_execution` or `jit_compile`.
        """
        self.compile_players(
            generator_and_discriminator(self, d_optimizer, g_optimizer), **kwargs)

    def train_step(self, data):
        real_images, labels = self.unpack_batch(data)
        batch_size = ops.shape(real_images)[0]
        noise = self.sample_prior_codes(batch_size)  # Both phases', as in Keras-GAN.
        fake_labels = self.sample_labels(batch_size)
        logs = self.discriminator_step(real_images, labels, noise, fake_labels)
        logs.update(self.generator_step(noise, fake_labels))
        return self.update_metrics(logs)

    def discriminator_step(self, real_images, labels, noise, fake_labels):
        """Updates the discriminator on real images and fakes, both with their classes.

        Args:
            real_images: Batch of data, `(batch_size, *input_shape)`.
            labels: Their one-hot labels, `(batch_size, num_classes)`.
            noise: The fakes' noise, `(batch_size, latent_dim)`.
            fake_labels: The fakes' one-hot classes,
                `(batch_size, num_classes)`.

        Returns:
            Dict of the step's `d_loss`, `d_acc` and `d_class_acc`.
        """
        fake_images = ops.stop_gradient(
            self.generator([fake_labels, noise], training=False))

        def loss_fn():
            real = self.discriminator(real_images, training=True)
            fake = self.discriminator(fake_images, training=True)
            return self.discriminator_loss(real, fake, labels, fake_labels), (real, fake)

        d_loss, (real, fake) = backend.minimize(
            loss_fn, self.discriminator.trainable_variables, self.d_optimizer)
        return {
            "d_loss": d_loss,
            "d_acc": losses.discriminator_accuracy(real[0], fake[0]),
            "d_class_acc": 0.5 * (losses.class_accuracy(labels, real[1])
                                  + losses.class_accuracy(fake_labels, fake[1])),
        }

    def generator_step(self, noise, fake_labels):
        """Updates the generator against the frozen discriminator.

        Args:
            noise: The fakes' noise, `(batch_size, latent_dim)`.
            fake_labels: The fakes' one-hot classes,
                `(batch_size, num_classes)`.

        Returns:
            Dict of the step's `g_loss`.
        """
        def loss_fn():
            fake_images = self.generator([fake_labels, noise], training=True)
            return self.generator_loss(frozen(self.discriminator, fake_images), fake_labels), None

        g_loss, _ = backend.minimize(
            loss_fn, self.generator.trainable_variables, self.g_optimizer)
        return {"g_loss": g_loss}

    def discriminator_loss(self, real_outputs, fake_outputs, real_labels, fake_labels):
        """`0.5 * (BCE(1, D(x)) + BCE(0, D(G(z))) + CE(y, C(x)) + CE(y', C(G(z))))`.

        Args:
            real_outputs: The discriminator's `[validity, classes]` of real
                images, `(batch_size, 1)` and `(batch_size, num_classes)`.
            fake_outputs: Its `[validity, classes]` of fakes, likewise.
            real_labels: One-hot labels `y` of the real images,
                `(batch_size, num_classes)`.
            fake_labels: One-hot classes `y'` of the fakes,
                `(batch_size, num_classes)`.

        Returns:
            A scalar tensor.
        """
        return losses.discriminator_loss(real_outputs[0], fake_outputs[0]) + 0.5 * (
            losses.class_crossentropy(real_labels, real_outputs[1])
            + losses.class_crossentropy(fake_labels, fake_outputs[1]))

    def generator_loss(self, fake_outputs, fake_labels):
        """`BCE(1, D(G(z, y'))) + CE(y', C(G(z, y')))`.

        Args:
            fake_outputs: The discriminator's `[validity, classes]` of fakes,
                `(batch_size, 1)` and `(batch_size, num_classes)`.
            fake_labels: One-hot classes `y'` of the fakes,
                `(batch_size, num_classes)`.

        Returns:
            A scalar tensor.
        """
        return (losses.generator_loss(fake_outputs[0])
                + losses.class_crossentropy(fake_labels, fake_outputs[1]))

    def test_step(self, data):
        # The training losses, in inference mode, no update.
        real_images, labels = self.unpack_batch(data)
        batch_size = ops.shape(real_images)[0]
        fake_labels = self.sample_labels(batch_size)
        real = self.discriminator(real_images, training=False)
        fake = self.combined([fake_labels, self.sample_prior_codes(batch_size)])
        return self.update_metrics({
            "d_loss": self.discriminator_loss(real, fake, labels, fake_labels),
            "g_loss": self.generator_loss(fake, fake_labels),
            "d_acc": losses.discriminator_accuracy(real[0], fake[0]),
            "d_class_acc": 0.5 * (losses.class_accuracy(labels, real[1])
                                  + losses.class_accuracy(fake_labels, fake[1])),
        })

    def get_config(self):
        base_config = super().get_config()
        config = {
            "input_shape": self.input_shape,
            "num_classes": self.num_classes,
            "latent_dim": self.latent_dim,
            "seed": self.seed,
        }
        return {**base_config, **config}

