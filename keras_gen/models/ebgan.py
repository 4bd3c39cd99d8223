"""The energy-based GAN (EBGAN) of Zhao, Mathieu and LeCun, as in the NYU notes.

The "discriminator" is a cost network: an autoencoder whose energy `C(x)` is
its reconstruction error. It learns to give data low energy and generated
images an energy of at least a margin `m`; the generator learns to make
images of low energy (`keras_gen.losses.margin_loss`,
`keras_gen.losses.pull_away_term`).
"""

import math

import keras
import numpy as np
from keras import ops

from keras_gen import backend
from keras_gen import losses
from keras_gen import priors
from keras_gen.layers import LatentSampler
from keras_gen.models.adversarial import (
    frozen,
    generator_and_discriminator,
)
from keras_gen.models.base import DEFAULT_BATCH_SIZE, GenerativeModel
from keras_gen.models.gan import mlp_generator
from keras_gen.validation import (
    check_choice,
    check_data,
    check_non_negative_float,
    check_positive_float,
    check_positive_int,
    check_shape,
    check_units,
)

ARCHITECTURES = ("mlp", "conv")

# The cost network, an autoencoder, must learn faster than the generator, or
# the generator collapses onto images that it happens to reconstruct well
# (docs/adversarial.md).
DEFAULT_D_LEARNING_RATE = 1e-3
DEFAULT_G_LEARNING_RATE = 2e-4


@keras.saving.register_keras_serializable(package="keras_gen")
class ReconstructionEnergy(keras.layers.Layer):
    """The energy of the cost network: mean squared error per example.

    Called on `[images, reconstructions]`, it returns
    `mean((reconstruction - x) ** 2)` over all features of each example
    (`keras_gen.losses.mean_squared_error`), shape `(batch_size,)`.
    """

    def call(self, inputs):
        images, reconstructions = inputs
        return losses.mean_squared_error(images, reconstructions)

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0],)


def cost_network(encoder, decoder, input_shape):
    """Joins an encoder and a decoder into EBGAN's cost network.

    Args:
        encoder: `input_shape -> embedding`, a `keras.Model` named "encoder".
        decoder: `embedding -> input_shape`, a `keras.Model` named "decoder".
        input_shape: Shape of one image.

    Returns:
        A `keras.Model` named `"discriminator"`: images -> a dict with
        `"energy"` `(batch_size,)`, `"embedding"` and `"reconstruction"`.
    """
    images = keras.Input(shape=input_shape, name="images")
    embedding = encoder(images)
    reconstruction = decoder(embedding)
    energy = ReconstructionEnergy(name="energy")([images, reconstruction])
    outputs = {
        "energy": energy,
        "embedding": embedding,
        "reconstruction": reconstruction,
    }
    return keras.Model(images, outputs, name="discriminator")


def mlp_cost_network(input_shape, embedding_dim, units):
    """The `"mlp"` cost network: `Flatten -> units -> embedding_dim` and back.

    Hidden layers are `Dense -> LeakyReLU(0.2)`, the embedding is linear, the
    reconstruction a tanh; no BatchNorm.
    """
    images = keras.Input(shape=input_shape, name="images")
    x = keras.layers.Flatten()(images)
    for size in units:
        x = keras.layers.Dense(size)(x)
        x = keras.layers.LeakyReLU(negative_slope=0.2)(x)
    embedding = keras.layers.Dense(embedding_dim, name="embedding")(x)
    encoder = keras.Model(images, embedding, name="encoder")

    codes = keras.Input(shape=(embedding_dim,), name="embedding")
    x = codes
    for size in reversed(units):
        x = keras.layers.Dense(size)(x)
        x = keras.layers.LeakyReLU(negative_slope=0.2)(x)
    x = keras.layers.Dense(math.prod(input_shape), activation="tanh")(x)
    reconstruction = keras.layers.Reshape(input_shape)(x)
    decoder = keras.Model(codes, reconstruction, name="decoder")
    return cost_network(encoder, decoder, input_shape)


def conv_generator(latent_dim, image_shape, ngf):
    """The `"conv"` generator: `Dense`, BatchNorm, ReLU, two 4x4 stride-2 deconvolutions."""
    height, width, channels = image_shape
    noise = keras.Input(shape=(latent_dim,), name="noise")
    x = keras.layers.Dense(2 * ngf * (height // 4) * (width // 4))(noise)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.ReLU()(x)
    x = keras.layers.Reshape((height // 4, width // 4, 2 * ngf))(x)
    x = keras.layers.Conv2DTranspose(ngf, 4, strides=2, padding="same")(x)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.ReLU()(x)
    images = keras.layers.Conv2DTranspose(
        channels, 4, strides=2, padding="same", activation="tanh"
    )(x)
    return keras.Model(noise, images, name="generator")


def conv_cost_network(image_shape, embedding_dim, ndf):
    """The `"conv"` cost network: 4x4 stride-2 convolutions to a linear embedding and back."""
    height, width, channels = image_shape
    images = keras.Input(shape=image_shape, name="images")
    x = keras.layers.Conv2D(ndf, 4, strides=2, padding="same")(images)
    x = keras.layers.LeakyReLU(negative_slope=0.2)(x)
    x = keras.layers.Conv2D(2 * ndf, 4, strides=2, padding="same")(x)
    x = keras.layers.LeakyReLU(negative_slope=0.2)(x)
    x = keras.layers.Flatten()(x)
    embedding = keras.layers.Dense(embedding_dim, name="embedding")(x)
    encoder = keras.Model(images, embedding, name="encoder")

    codes = keras.Input(shape=(embedding_dim,), name="embedding")
    x = keras.layers.Dense(2 * ndf * (height // 4) * (width // 4))(codes)
    x = keras.layers.LeakyReLU(negative_slope=0.2)(x)
    x = keras.layers.Reshape((height // 4, width // 4, 2 * ndf))(x)
    x = keras.layers.Conv2DTranspose(ndf, 4, strides=2, padding="same")(x)
    x = keras.layers.LeakyReLU(negative_slope=0.2)(x)
    reconstruction = keras.layers.Conv2DTranspose(
        channels, 4, strides=2, padding="same", activation="tanh"
    )(x)
    decoder = keras.Model(codes, reconstruction, name="decoder")
    return cost_network(encoder, decoder, image_shape)


@keras.saving.register_keras_serializable(package="keras_gen")
class EBGAN(GenerativeModel):
    """Energy-based GAN: an autoencoder cost network against a generator.

    The cost network ("discriminator") is an autoencoder, and the energy of
    an image is its reconstruction error, the mean squared error over its
    pixels: `C(x) = mean((Dec(Enc(x)) - x) ** 2)`. Per batch, as in the NYU
    deep learning notes and Zhao et al. (2016):

    1. `discriminator_step` updates the cost network on
       `losses.margin_loss`: `mean(C(x)) + mean(max(0, m - C(G(z1))))`, with
       fakes from `generator(z1, training=False)` (the generator is
       untouched); real and fake batches go through the cost network
       separately, in training mode (`d_optimizer`).
    2. `generator_step` updates the generator on `mean(C(G(z2)))`, plus
       `pull_away_weight * losses.pull_away_term` of the cost network's
       embeddings `Enc(G(z2))` when `pull_away_weight > 0` ("EBGAN-PT"),
       with the cost network frozen (`frozen()`), so every one of its
       variables stays bit-identical (`g_optimizer`).

    The energy of tanh outputs and data in [-1, 1] lies in [0, 4]: pick the
    margin on that scale (the paper's energy is a norm over all pixels, so
    its margins do not carry over). The cost network learns 5 times faster
    than the generator by default, and has no BatchNorm: both keep the
    generator from collapsing (docs/adversarial.md says how the defaults
    were chosen).

    Metrics (per-epoch means of the per-step values):

    - `d_loss`: the cost network's `margin_loss`.
    - `g_loss`: the generator's loss (energy of its fakes, plus the
      weighted pull-away term).
    - `real_energy`: mean `C(x)` of the real batch, before the cost update.
    - `fake_energy`: mean `C(G(z1))` of the fakes, before the cost update.
    - `pull_away`: the pull-away term, unweighted (only when
      `pull_away_weight > 0`).

    Networks: `model.generator` (noise -> images in [-1, 1], tanh),
    `model.discriminator` (the cost network: images -> a dict with
    `"energy"` of shape `(batch_size,)`, `"embedding"` and
    `"reconstruction"`), its parts `model.cost_encoder` (images ->
    embedding) and `model.cost_decoder` (embedding -> reconstruction), and
    `model.combined` (noise -> energy of the generated images). Calling the
    model on images returns their energies. `model.energy(x)` and
    `model.reconstruct(x)` are NumPy helpers.

    Architectures:

    - `"mlp"`: generator `latent_dim -> generator_units -> prod(input_shape)`
      as in `GAN` (LeakyReLU(0.2), BatchNorm after every hidden layer but
      the first, tanh output); cost network `Flatten -> cost_units ->
      embedding_dim` (linear) `-> reversed(cost_units) -> prod(input_shape)`
      (tanh), hidden layers with LeakyReLU(0.2), no BatchNorm.
    - `"conv"`, for `(height, width, channels)` images with height and width
      divisible by 4: generator `Dense(2 ngf * h/4 * w/4)`, BatchNorm, ReLU,
      then two 4x4 stride-2 transposed convolutions (`ngf` filters with
      BatchNorm and ReLU, then `channels` with tanh); cost network: 4x4
      stride-2 convolutions with `ndf` and `2 ndf` filters and
      LeakyReLU(0.2), `Dense(embedding_dim)` (linear), then the mirror image
      (`Dense`, two transposed convolutions) back to the image with tanh.

    ```python
    ebgan = keras_gen.EBGAN(input_shape=(28, 28, 1), architecture="conv",
                            pull_away_weight=0.1)
    ebgan.compile()  # Adam(1e-3) for the cost network, Adam(2e-4) for G.
    ebgan.fit(x_train * 2 - 1, epochs=20, batch_size=64)
    images = ebgan.generate(16, seed=0)  # in [-1, 1]
    ```

    Args:
        input_shape: Shape of one image, e.g. `(784,)` or `(28, 28, 1)`.
        latent_dim: Size of the noise vector.
        architecture: `"mlp"` or `"conv"`.
        margin: The margin `m` of the cost network's loss, > 0, on the
            scale of the mean squared error.
        pull_away_weight: Weight of the pull-away term in the generator's
            loss, >= 0; 0 turns it off.
        embedding_dim: Size of the cost network's embedding (its encoder's
            output, which the pull-away term compares).
        generator_units: Hidden layer sizes of the `"mlp"` generator.
        cost_units: Hidden layer sizes of the `"mlp"` cost network's
            encoder; its decoder mirrors them.
        ngf: Generator width of the `"conv"` architecture.
        ndf: Cost network width of the `"conv"` architecture.
        generator: Optional `keras.Model` replacing the default generator,
            `(latent_dim,) -> input_shape`.
        discriminator: Optional cost network replacing the default one:
            images -> a dict with `"energy"` `(batch_size,)`, `"embedding"`
            and `"reconstruction"` (see `cost_network()`).
        seed: Optional integer seed of the training noise.
        **kwargs: Base model arguments such as `name`.
    """

    # Real images share the range of the generator's tanh output.
    value_range = (-1.0, 1.0)
    value_range_reason = "the generator ends in a tanh, so real images share its range"

    network_names = ("generator", "discriminator")
    # An unconditional GAN ignores a `y` given to fit().
    checks_targets = False

    def __init__(
        self,
        input_shape=(784,),
        latent_dim=100,
        architecture="mlp",
        margin=0.5,
        pull_away_weight=0.0,
        embedding_dim=64,
        generator_units=(128, 256, 512),
        cost_units=(256,),
        ngf=64,
        ndf=32,
        generator=None,
        discriminator=None,
        seed=None,
        **kwargs,
    ):
        architecture = check_choice(architecture, "architecture", ARCHITECTURES)
        input_shape = check_shape(input_shape, "input_shape")
        if architecture == "conv" and (
            len(input_shape) != 3 or input_shape[0] % 4 or input_shape[1] % 4
        ):
            raise ValueError(
                "`input_shape` must be (height, width, channels) with height "
                "and width divisible by 4 for architecture='conv', e.g. "
                f"(28, 28, 1). Received: input_shape={input_shape!r}"
            )
        pull_away_weight = check_non_negative_float(
            pull_away_weight, "pull_away_weight"
        )
        metric_names = ("d_loss", "g_loss", "real_energy", "fake_energy")
        if pull_away_weight > 0:
            metric_names += ("pull_away",)
        super().__init__(metric_names=metric_names, **kwargs)
        self.input_shape = input_shape
        self.seed = seed
        self.pull_away_weight = pull_away_weight
        self.architecture = architecture
        self.latent_dim = check_positive_int(latent_dim, "latent_dim")
        self.prior = priors.Gaussian(self.latent_dim, std=1.0)  # What generate() samples.
        self.margin = check_positive_float(margin, "margin")
        self.embedding_dim = check_positive_int(embedding_dim, "embedding_dim")
        self.generator_units = check_units(generator_units, "generator_units")
        self.cost_units = check_units(cost_units, "cost_units")
        self.ngf = check_positive_int(ngf, "ngf")
        self.ndf = check_positive_int(ndf, "ndf")
        self.latent_sampler = LatentSampler(
            self.latent_dim, seed=seed, name="latent_sampler"
        )
        conv = architecture == "conv"
        if generator is None:
            generator = (
                conv_generator(self.latent_dim, input_shape, self.ngf) if conv
                else mlp_generator(self.latent_dim, self.generator_units, input_shape)
            )
        if discriminator is None:
            discriminator = (
                conv_cost_network(input_shape, self.embedding_dim, self.ndf) if conv
                else mlp_cost_network(input_shape, self.embedding_dim, self.cost_units)
            )
        self.generator = generator
        self.discriminator = discriminator
        noise = keras.Input(shape=(self.latent_dim,), name="noise")
        energy = self.discriminator(self.generator(noise))["energy"]
        self.combined = keras.Model(noise, energy, name="combined")

    @property
    def cost_encoder(self):
        """The cost network's encoder: images -> embeddings."""
        return self.discriminator.get_layer("encoder")

    @property
    def cost_decoder(self):
        """The cost network's decoder: embeddings -> reconstructions."""
        return self.discriminator.get_layer("decoder")

    @property
    def decoder(self):
        """The generator: what `decode`, `generate` and the callbacks run."""
        return self.generator

    def call(self, inputs, training=False):
        return self.discriminator(inputs, training=training)["energy"]

    def compile(self, d_optimizer=None, g_optimizer=None, **kwargs):
        """Configures training. The losses are built in: pass optimizers.

        Args:
            d_optimizer: Optimizer (instance, name or config) of the cost
                network. Defaults to a new Adam(1e-3, beta_1=0.5).
            g_optimizer: Optimizer of the generator. Defaults to a new
                Adam(2e-4, beta_1=0.5).
            **kwargs: `run_eagerly`, `steps_per_execution` or `jit_compile`,
                as in `keras.Model.compile()`.
        """
        if d_optimizer is None:
            d_optimizer = keras.optimizers.Adam(DEFAULT_D_LEARNING_RATE, beta_1=0.5)
        if g_optimizer is None:
            g_optimizer = keras.optimizers.Adam(DEFAULT_G_LEARNING_RATE, beta_1=0.5)
        self.compile_players(
            generator_and_discriminator(self, d_optimizer, g_optimizer), **kwargs
        )

    def train_step(self, data):
        real_images = self.unpack_batch(data)
        logs = self.discriminator_step(real_images)
        logs.update(self.generator_step(real_images))
        return self.update_metrics(logs)

    def discriminator_step(self, real_images):
        """Updates the cost network on the margin loss; the generator is untouched.

        Args:
            real_images: Batch of data.

        Returns:
            Dict of the step's `d_loss`, `real_energy` and `fake_energy`.
        """
        real_images = ops.convert_to_tensor(real_images)
        noise = self.sample_prior_codes(ops.shape(real_images)[0])
        fake_images = ops.stop_gradient(self.generator(noise, training=False))

        def loss():
            real_energy = self.discriminator(real_images, training=True)["energy"]
            fake_energy = self.discriminator(fake_images, training=True)["energy"]
            d_loss = losses.margin_loss(real_energy, fake_energy, self.margin)
            return d_loss, (real_energy, fake_energy)

        d_loss, (real_energy, fake_energy) = backend.minimize(
            loss, self.discriminator.trainable_variables, self.d_optimizer
        )
        return {
            "d_loss": d_loss,
            "real_energy": ops.mean(real_energy),
            "fake_energy": ops.mean(fake_energy),
        }

    def generator_step(self, real_images):
        """Updates the generator on `mean(C(G(z))) + pull_away_weight * PT`.

        The cost network is frozen (`frozen()`).

        Args:
            real_images: Batch of data; only its size is used.

        Returns:
            Dict of the step's `g_loss` (and `pull_away` when it is used).
        """
        noise = self.sample_prior_codes(ops.shape(real_images)[0])

        def loss():
            outputs = frozen(self.discriminator, self.generator(noise, training=True))
            return self.generator_loss(outputs)

        g_loss, logs = backend.minimize(
            loss, self.generator.trainable_variables, self.g_optimizer
        )
        return {"g_loss": g_loss, **logs}

    def generator_loss(self, cost_outputs):
        """`mean(C(G(z))) + pull_away_weight * PT` of the cost network's outputs.

        Returns:
            `(loss, logs)`, `logs` a dict with `pull_away` when it is used.
        """
        loss = ops.mean(cost_outputs["energy"])
        if self.pull_away_weight == 0:
            return loss, {}
        pull_away = losses.pull_away_term(cost_outputs["embedding"])
        return loss + self.pull_away_weight * pull_away, {"pull_away": pull_away}

    def test_step(self, data):
        # The same quantities as in training, in inference mode, no update.
        real_images = self.unpack_batch(data)
        batch_size = ops.shape(real_images)[0]
        noise_1 = self.sample_prior_codes(batch_size)
        noise_2 = self.sample_prior_codes(batch_size)
        real_energy = self.discriminator(real_images, training=False)["energy"]
        fake_energy = self.combined(noise_1, training=False)
        fake_outputs = self.discriminator(
            self.generator(noise_2, training=False), training=False
        )
        g_loss, g_logs = self.generator_loss(fake_outputs)
        return self.update_metrics({
            "d_loss": losses.margin_loss(real_energy, fake_energy, self.margin),
            "g_loss": g_loss,
            "real_energy": ops.mean(real_energy),
            "fake_energy": ops.mean(fake_energy),
            **g_logs,
        })

    # NumPy helpers.

    def _cost_outputs(self, x, key, batch_size):
        check_data(x, "x", self.input_shape)
        batch_size = check_positive_int(batch_size, "batch_size")
        return np.concatenate([
            ops.convert_to_numpy(
                self.discriminator(x[start : start + batch_size], training=False)[key]
            )
            for start in range(0, len(x), batch_size)
        ])

    def energy(self, x, batch_size=DEFAULT_BATCH_SIZE):
        """The energies `C(x)` of images: their reconstruction errors.

        Args:
            x: Array of shape `(num_examples, *input_shape)`, in [-1, 1].
            batch_size: Examples per batch.

        Returns:
            NumPy array of shape `(num_examples,)`.
        """
        return self._cost_outputs(x, "energy", batch_size)

    def reconstruct(self, x, *, batch_size=DEFAULT_BATCH_SIZE):
        """The cost network's reconstructions of images.

        Args:
            x: Array of shape `(num_examples, *input_shape)`, in [-1, 1].
            batch_size: Examples per batch.

        Returns:
            NumPy array with the shape of `x`.
        """
        return self._cost_outputs(x, "reconstruction", batch_size)

    def get_config(self):
        base_config = super().get_config()
        config = {
            "input_shape": self.input_shape,
            "seed": self.seed,
            "latent_dim": self.latent_dim,
            "architecture": self.architecture,
            "margin": self.margin,
            "pull_away_weight": self.pull_away_weight,
            "embedding_dim": self.embedding_dim,
            "generator_units": list(self.generator_units),
            "cost_units": list(self.cost_units),
            "ngf": self.ngf,
            "ndf": self.ndf,
        }
        return {**base_config, **config}
