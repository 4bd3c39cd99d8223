"""Keras-GAN's bidirectional GAN, `bigan.py` (Donahue et al. 2017, "Adversarial Feature Learning")."""

import math

import keras
from keras import ops

from keras_gen import backend
from keras_gen import losses
from keras_gen import priors
from keras_gen.layers import LatentSampler
from keras_gen.models.adversarial import frozen
from keras_gen.models.base import GenerativeModel
from keras_gen.validation import check_positive_int

METRIC_NAMES = ("d_loss", "g_loss", "d_acc")


def bigan_generator(latent_dim, image_shape):
    """Keras-GAN's BiGAN generator: `(latent_dim,) -> image_shape`, tanh.

    Twice `Dense(512) -> LeakyReLU(0.2) -> BatchNormalization(momentum=0.8)`,
    then `Dense(prod(image_shape))`, tanh, reshaped.
    """
    z = keras.Input(shape=(latent_dim,), name="z")
    x = z
    for _ in range(2):
        x = keras.layers.Dense(512)(x)
        x = keras.layers.LeakyReLU(negative_slope=0.2)(x)
        x = keras.layers.BatchNormalization(momentum=0.8)(x)
    x = keras.layers.Dense(math.prod(image_shape), activation="tanh")(x)
    return keras.Model(z, keras.layers.Reshape(image_shape)(x), name="generator")


def bigan_encoder(image_shape, latent_dim):
    """Keras-GAN's BiGAN encoder: `image_shape -> (latent_dim,)`, linear.

    The flattened image, twice `Dense(512) -> LeakyReLU(0.2) ->
    BatchNormalization(momentum=0.8)`, then `Dense(latent_dim)`.
    """
    images = keras.Input(shape=image_shape, name="images")
    x = keras.layers.Flatten()(images)
    for _ in range(2):
        x = keras.layers.Dense(512)(x)
        x = keras.layers.LeakyReLU(negative_slope=0.2)(x)
        x = keras.layers.BatchNormalization(momentum=0.8)(x)
    return keras.Model(images, keras.layers.Dense(latent_dim)(x), name="encoder")


def bigan_discriminator(latent_dim, image_shape):
    """Keras-GAN's BiGAN discriminator: `[z (latent_dim,), image] -> (1,)` probability.

    The code concatenated with the flattened image, three times
    `Dense(1024) -> LeakyReLU(0.2) -> Dropout(0.5)`, then a sigmoid.
    """
    z = keras.Input(shape=(latent_dim,), name="z")
    images = keras.Input(shape=image_shape, name="images")
    x = keras.layers.Concatenate()([z, keras.layers.Flatten()(images)])
    for _ in range(3):
        x = keras.layers.Dense(1024)(x)
        x = keras.layers.LeakyReLU(negative_slope=0.2)(x)
        x = keras.layers.Dropout(0.5)(x)
    validity = keras.layers.Dense(1, activation="sigmoid")(x)
    return keras.Model([z, images], validity, name="discriminator")


@keras.saving.register_keras_serializable(package="keras_gen")
class BiGAN(GenerativeModel):
    """A bidirectional GAN: an encoder learned adversarially, with the generator.

    The discriminator sees pairs: a real image with its code from the
    encoder, `(E(x), x)`, and a code from the prior with its image,
    `(z, G(z))`, and tells which is which. The generator and the encoder,
    one player with one optimizer, learn to make the two kinds of pairs
    alike, so at the optimum the encoder inverts the generator: `encode(x)`
    gives codes from which `decode` draws images like `x`, learned without
    a reconstruction loss. Each batch runs two phases:

    1. `discriminator_step(real_images)`: codes of the real images from the
       encoder and images of fresh prior codes from the generator, both in
       inference mode; the discriminator minimizes `0.5 * (BCE(1, D(E(x),
       x)) + BCE(0, D(z, G(z))))` (`d_optimizer`).
    2. `generator_step(real_images)`: on fresh prior codes, the generator
       and the encoder, in training mode, minimize `BCE(1, D(z, G(z))) +
       BCE(0, D(E(x), x))` against the frozen discriminator (`g_optimizer`,
       Keras-GAN's `bigan_generator` with its swapped targets).

    The history has `d_loss`, `g_loss` and `d_acc`. `model.combined` is
    Keras-GAN's `bigan_generator`: `[z, images] -> [D(z, G(z)), D(E(x), x)]`.

    Defaults are Keras-GAN's `bigan.py` (`bigan_generator`, `bigan_encoder`,
    `bigan_discriminator`), a 100-D N(0, I) prior, Adam(2e-4, beta_1=0.5)
    for each player; images in [-1, 1].

    ```python
    bigan = keras_gen.BiGAN()
    bigan.compile()
    bigan.fit(x_train * 2 - 1, epochs=20, batch_size=64)
    codes = bigan.encode(x_test * 2 - 1)  # (10000, 100)
    ```

    Args:
        input_shape: Shape of one image.
        latent_dim: Size of the codes.
        generator: Optional `keras.Model`, `(latent_dim,) -> input_shape`.
        encoder: Optional `keras.Model`, `input_shape -> (latent_dim,)`.
        discriminator: Optional `keras.Model`, `[(latent_dim,), input_shape]
            -> (1,)` probabilities.
        seed: Optional integer seed of the training codes.
        **kwargs: Base model arguments such as `name`.
    """

    value_range = (-1.0, 1.0)
    value_range_reason = "the generator ends in a tanh, so real images share its range"
    network_names = ("generator", "encoder", "discriminator")

    def __init__(self, input_shape=(28, 28, 1), latent_dim=100, generator=None, encoder=None,
                 discriminator=None, seed=None, **kwargs):
        input_shape = tuple(check_positive_int(d, "input_shape") for d in input_shape)
        latent_dim = check_positive_int(latent_dim, "latent_dim")
        super().__init__(metric_names=METRIC_NAMES, **kwargs)
        self.input_shape = input_shape
        self.latent_dim = latent_dim
        self.seed = seed
        self.prior = priors.Gaussian(latent_dim, std=1.0)
        self.latent_sampler = LatentSampler(latent_dim, seed=seed, name="latent_sampler")
        self.generator = generator or bigan_generator(latent_dim, input_shape)
        self.encoder = encoder or bigan_encoder(input_shape, latent_dim)
        self.discriminator = discriminator or bigan_discriminator(latent_dim, input_shape)
        z = keras.Input(shape=(latent_dim,), name="z")
        images = keras.Input(shape=input_shape, name="images")
        self.combined = keras.Model(
            [z, images], [self.discriminator([z, self.generator(z)]),
                          self.discriminator([self.encoder(images), images])], name="combined")

    @property
    def decoder(self):
        """The generator: what `decode`, `generate` and the callbacks run."""
        return self.generator

    def call(self, inputs, training=False):
        """The discriminator's probability that `[z, images]` is an encoded real pair."""
        return self.discriminator(inputs, training=training)

    def compile(self, d_optimizer=None, g_optimizer=None, **kwargs):
        """Configures training. The losses are built in: pass optimizers.

        Args:
            d_optimizer: Optimizer of the discriminator; a new
                Adam(2e-4, beta_1=0.5) by default.
            g_optimizer: Optimizer of the generator and the encoder together,
                same default.
            **kwargs: `run_eagerly`, `steps_per_execution` or `jit_compile`.
        """
        self.compile_players({
            "d_optimizer": (d_optimizer, self.discriminator.trainable_variables),
            "g_optimizer": (g_optimizer, self.generator.trainable_variables
                            + self.encoder.trainable_variables),
        }, **kwargs)

    def train_step(self, data):
        real_images = self.unpack_batch(data)
        logs = self.discriminator_step(real_images)
        logs.update(self.generator_step(real_images))
        return self.update_metrics(logs)

    def discriminator_step(self, real_images):
        """Updates the discriminator on encoded real pairs against generated ones.

        Args:
            real_images: A batch of images, `(batch_size, *input_shape)`.

        Returns:
            Dict of the step's `d_loss` and `d_acc`.
        """
        real_images = ops.convert_to_tensor(real_images)
        z = self.sample_prior_codes(ops.shape(real_images)[0])
        fake_images = ops.stop_gradient(self.generator(z, training=False))
        codes = ops.stop_gradient(self.encoder(real_images, training=False))

        def loss_fn():
            real = self.discriminator([codes, real_images], training=True)
            fake = self.discriminator([z, fake_images], training=True)
            return losses.discriminator_loss(real, fake), (real, fake)

        d_loss, (real, fake) = backend.minimize(
            loss_fn, self.discriminator.trainable_variables, self.d_optimizer)
        return {"d_loss": d_loss, "d_acc": losses.discriminator_accuracy(real, fake)}

    def generator_step(self, real_images):
        """Updates the generator and the encoder together; the discriminator frozen.

        Args:
            real_images: A batch of images, `(batch_size, *input_shape)`.

        Returns:
            Dict of the step's `g_loss`.
        """
        real_images = ops.convert_to_tensor(real_images)
        z = self.sample_prior_codes(ops.shape(real_images)[0])

        def loss_fn():
            fake = frozen(self.discriminator, [z, self.generator(z, training=True)])
            real = frozen(self.discriminator, [self.encoder(real_images, training=True),
                                               real_images])
            return self.generator_loss(fake, real), None

        g_loss, _ = backend.minimize(
            loss_fn, self.generator.trainable_variables + self.encoder.trainable_variables,
            self.g_optimizer)
        return {"g_loss": g_loss}

    def generator_loss(self, fake_scores, real_scores):
        """`BCE(1, D(z, G(z))) + BCE(0, D(E(x), x))`: both kinds of pair passed off as the other.

        Args:
            fake_scores: The discriminator's probabilities of `(z, G(z))`, `(batch_size, 1)`.
            real_scores: Its probabilities of `(E(x), x)`, `(batch_size, 1)`.

        Returns:
            A scalar tensor.
        """
        return (losses.binary_crossentropy_to(1.0, fake_scores)
                + losses.binary_crossentropy_to(0.0, real_scores))

    def test_step(self, data):
        # The training losses, in inference mode, no update.
        real_images = self.unpack_batch(data)
        z = self.sample_prior_codes(ops.shape(real_images)[0])
        fake, real = self.combined([z, real_images], training=False)
        return self.update_metrics({
            "d_loss": losses.discriminator_loss(real, fake),
            "g_loss": self.generator_loss(fake, real),
            "d_acc": losses.discriminator_accuracy(real, fake),
        })

    def get_config(self):
        base_config = super().get_config()
        config = {"input_shape": self.input_shape, "latent_dim": self.latent_dim,
                  "seed": self.seed}
        return {**base_config, **config}
