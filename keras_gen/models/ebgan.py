"""The energy-based GAN (EBGAN) of Zhao, Mathieu and LeCun, as in the NYU notes.

The "discriminator" is a cost network: an autoencoder whose energy `C(x)` is
its reconstruction error. It learns to give data low energy and generated
images an energy of at least a margin `m`; the generator learns to make
images of low energy. The two loss terms are module functions
(`margin_loss`, `pull_away_term`) so that they can be checked on their own.
"""

import math
import numbers

import keras
import numpy as np
from keras import ops

from keras_gen import losses
from keras_gen.models.adversarial import AdversarialModel
from keras_gen.models.base import DEFAULT_BATCH_SIZE
from keras_gen.models.gan import check_units, mlp_generator
from keras_gen.validation import (
    check_choice,
    check_data,
    check_non_negative_float,
    check_positive_int,
    check_shape,
)

ARCHITECTURES = ("mlp", "conv")

# Measured on MNIST (see the class docstring): the cost network, an
# autoencoder, must learn faster than the generator, or the generator
# collapses onto images that the cost network happens to reconstruct well.
DEFAULT_D_LEARNING_RATE = 1e-3
DEFAULT_G_LEARNING_RATE = 2e-4


def margin_loss(real_energy, fake_energy, margin):
    """The cost network's loss: `mean(C(x)) + mean(max(0, m - C(G(z))))`.

    Data is pushed down to energy 0, fakes up to the margin `m`; a fake whose
    energy is already at least `m` gives no gradient.

    Args:
        real_energy: Energies `C(x)` of a real batch, shape `(batch_size,)`.
        fake_energy: Energies `C(G(z))` of a fake batch, shape
            `(batch_size,)`.
        margin: The margin `m`, a positive number.

    Returns:
        A scalar tensor.
    """
    return ops.mean(real_energy) + ops.mean(ops.relu(margin - fake_energy))


def pull_away_term(embeddings, epsilon=1e-12):
    """The pull-away term (PT) of EBGAN: mean squared cosine similarity.

    `PT = 1 / (N (N - 1)) * sum_{i != j} (s_i . s_j / (|s_i| |s_j|)) ** 2`
    over the `N` embeddings `s_i` of a batch (flattened to vectors). It is 1
    when all embeddings point the same (or opposite) way and 0 when they are
    pairwise orthogonal; the generator minimizes it to produce varied
    images. A zero vector has similarity 0 with every other vector, and a
    batch of one example gives 0.

    Args:
        embeddings: Tensor of shape `(batch_size, ...)`.
        epsilon: Lower bound of the squared norms, to divide safely.

    Returns:
        A scalar tensor.
    """
    embeddings = ops.reshape(embeddings, (ops.shape(embeddings)[0], -1))
    squared_norms = ops.sum(ops.square(embeddings), axis=1, keepdims=True)
    unit = embeddings / ops.sqrt(ops.maximum(squared_norms, epsilon))
    similarity = ops.matmul(unit, ops.transpose(unit))
    # The diagonal holds |u_i|^2, 1 (0 for a zero vector): take it out.
    diagonal = ops.sum(ops.square(unit), axis=1)
    off_diagonal = ops.sum(ops.square(similarity)) - ops.sum(ops.square(diagonal))
    count = ops.cast(ops.shape(embeddings)[0], off_diagonal.dtype)
    return off_diagonal / ops.maximum(count * (count - 1.0), 1.0)


def check_positive_float(value, name):
    """Checks that `value` is a finite number > 0 and returns it as a float."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ValueError(
            f"`{name}` must be a finite number > 0. Received: {name}={value!r}"
        )
    return float(value)


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


@keras.saving.register_keras_serializable(package="keras_gen")
class EBGAN(AdversarialModel):
    """Energy-based GAN: an autoencoder cost network against a generator.

    The cost network ("discriminator") is an autoencoder, and the energy of
    an image is its reconstruction error, the mean squared error over its
    pixels: `C(x) = mean((Dec(Enc(x)) - x) ** 2)`. Per batch, as in the NYU
    deep learning notes and Zhao et al. (2016):

    1. `discriminator_step` updates the cost network on
       `margin_loss = mean(C(x)) + mean(max(0, m - C(G(z1))))`, with fakes
       from `generator(z1, training=False)` (the generator is untouched).
       Real and fake batches go through the cost network separately, in
       training mode.
    2. `generator_step` updates the generator on `mean(C(G(z2)))`, plus
       `pull_away_weight * PT` (`pull_away_term` on the cost network's
       embeddings `Enc(G(z2))`) when `pull_away_weight > 0` ("EBGAN-PT").
       The cost network is frozen (`frozen_discriminator()`): it runs in
       training mode, but gets no gradients and its call is stateless, so
       every one of its variables stays bit-identical (in a subclass with
       BatchNorm, its moving statistics too).

    Scale: the energy of tanh outputs and data in [-1, 1] lies in [0, 4],
    so pick the margin on that scale. The paper's energy is a
    reconstruction norm over all pixels, so its margins do not carry over.
    The defaults were chosen by training on 2000 MNIST digits: the energy
    of data is about 0.9 for an untrained cost network and falls to 0.1-0.2
    while fakes are held near the margin 0.5 (0.25 and 1.0 trained as well
    with the MLP). The cost network learns 5 times faster than the
    generator (Adam 1e-3 against 2e-4, see `compile()`): with 2e-4 for
    both, the convolutional generator collapsed onto a single image that
    the cost network reconstructed well. It also collapsed with BatchNorm
    in the cost network (a batch of near-identical fakes normalised in
    training mode loses what sets it apart), so the cost network has none.

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
        seed: Optional integer seed of the training noise.
        **kwargs: Base model arguments such as `name`.
    """

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
        seed=None,
        **kwargs,
    ):
        self.architecture = check_choice(architecture, "architecture", ARCHITECTURES)
        input_shape = check_shape(input_shape, "input_shape")
        if self.architecture == "conv" and (
            len(input_shape) != 3 or input_shape[0] % 4 or input_shape[1] % 4
        ):
            raise ValueError(
                "`input_shape` must be (height, width, channels) with height "
                "and width divisible by 4 for architecture='conv', e.g. "
                f"(28, 28, 1). Received: input_shape={input_shape!r}"
            )
        self.margin = check_positive_float(margin, "margin")
        self.pull_away_weight = check_non_negative_float(
            pull_away_weight, "pull_away_weight"
        )
        self.embedding_dim = check_positive_int(embedding_dim, "embedding_dim")
        self.generator_units = check_units(generator_units, "generator_units")
        self.cost_units = check_units(cost_units, "cost_units")
        self.ngf = check_positive_int(ngf, "ngf")
        self.ndf = check_positive_int(ndf, "ndf")
        # The base class makes one tracker per name.
        self.metric_names = ("d_loss", "g_loss", "real_energy", "fake_energy")
        if self.pull_away_weight > 0:
            self.metric_names += ("pull_away",)
        super().__init__(
            input_shape=input_shape, latent_dim=latent_dim, seed=seed, **kwargs
        )

    # Networks.

    def build_generator(self):
        if self.architecture == "conv":
            return self.build_conv_generator()
        return self.build_mlp_generator()

    def build_discriminator(self):
        if self.architecture == "conv":
            encoder, decoder = self.build_conv_cost_parts()
        else:
            encoder, decoder = self.build_mlp_cost_parts()
        images = keras.Input(shape=self.input_shape, name="images")
        embedding = encoder(images)
        reconstruction = decoder(embedding)
        energy = ReconstructionEnergy(name="energy")([images, reconstruction])
        outputs = {
            "energy": energy,
            "embedding": embedding,
            "reconstruction": reconstruction,
        }
        return keras.Model(images, outputs, name="discriminator")

    def build_combined(self):
        noise = keras.Input(shape=(self.latent_dim,), name="noise")
        energy = self.discriminator(self.generator(noise))["energy"]
        return keras.Model(noise, energy, name="combined")

    def build_mlp_generator(self):
        """The `"mlp"` generator, `GAN`'s."""
        return mlp_generator(self.latent_dim, self.generator_units, self.input_shape)

    def build_mlp_cost_parts(self):
        """The `"mlp"` cost network's encoder and decoder."""
        images = keras.Input(shape=self.input_shape, name="images")
        x = keras.layers.Flatten()(images)
        for units in self.cost_units:
            x = keras.layers.Dense(units)(x)
            x = keras.layers.LeakyReLU(negative_slope=0.2)(x)
        embedding = keras.layers.Dense(self.embedding_dim, name="embedding")(x)
        encoder = keras.Model(images, embedding, name="encoder")

        codes = keras.Input(shape=(self.embedding_dim,), name="embedding")
        x = codes
        for units in reversed(self.cost_units):
            x = keras.layers.Dense(units)(x)
            x = keras.layers.LeakyReLU(negative_slope=0.2)(x)
        x = keras.layers.Dense(math.prod(self.input_shape), activation="tanh")(x)
        reconstruction = keras.layers.Reshape(self.input_shape)(x)
        decoder = keras.Model(codes, reconstruction, name="decoder")
        return encoder, decoder

    def build_conv_generator(self):
        """The `"conv"` generator."""
        height, width, channels = self.input_shape
        noise = keras.Input(shape=(self.latent_dim,), name="noise")
        x = keras.layers.Dense(2 * self.ngf * (height // 4) * (width // 4))(noise)
        x = keras.layers.BatchNormalization()(x)
        x = keras.layers.ReLU()(x)
        x = keras.layers.Reshape((height // 4, width // 4, 2 * self.ngf))(x)
        x = keras.layers.Conv2DTranspose(self.ngf, 4, strides=2, padding="same")(x)
        x = keras.layers.BatchNormalization()(x)
        x = keras.layers.ReLU()(x)
        images = keras.layers.Conv2DTranspose(
            channels, 4, strides=2, padding="same", activation="tanh"
        )(x)
        return keras.Model(noise, images, name="generator")

    def build_conv_cost_parts(self):
        """The `"conv"` cost network's encoder and decoder."""
        height, width, channels = self.input_shape
        images = keras.Input(shape=self.input_shape, name="images")
        x = keras.layers.Conv2D(self.ndf, 4, strides=2, padding="same")(images)
        x = keras.layers.LeakyReLU(negative_slope=0.2)(x)
        x = keras.layers.Conv2D(2 * self.ndf, 4, strides=2, padding="same")(x)
        x = keras.layers.LeakyReLU(negative_slope=0.2)(x)
        x = keras.layers.Flatten()(x)
        embedding = keras.layers.Dense(self.embedding_dim, name="embedding")(x)
        encoder = keras.Model(images, embedding, name="encoder")

        codes = keras.Input(shape=(self.embedding_dim,), name="embedding")
        x = keras.layers.Dense(2 * self.ndf * (height // 4) * (width // 4))(codes)
        x = keras.layers.LeakyReLU(negative_slope=0.2)(x)
        x = keras.layers.Reshape((height // 4, width // 4, 2 * self.ndf))(x)
        x = keras.layers.Conv2DTranspose(self.ndf, 4, strides=2, padding="same")(x)
        x = keras.layers.LeakyReLU(negative_slope=0.2)(x)
        reconstruction = keras.layers.Conv2DTranspose(
            channels, 4, strides=2, padding="same", activation="tanh"
        )(x)
        decoder = keras.Model(codes, reconstruction, name="decoder")
        return encoder, decoder

    @property
    def cost_encoder(self):
        """The cost network's encoder: images -> embeddings."""
        return self.discriminator.get_layer("encoder")

    @property
    def cost_decoder(self):
        """The cost network's decoder: embeddings -> reconstructions."""
        return self.discriminator.get_layer("decoder")

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
            d_optimizer = keras.optimizers.Adam(
                learning_rate=DEFAULT_D_LEARNING_RATE, beta_1=0.5
            )
        if g_optimizer is None:
            g_optimizer = keras.optimizers.Adam(
                learning_rate=DEFAULT_G_LEARNING_RATE, beta_1=0.5
            )
        super().compile(d_optimizer=d_optimizer, g_optimizer=g_optimizer, **kwargs)

    # Losses. The base class' phases, `test_step` and trackers use them.

    def compute_discriminator_loss(self, real_images, fake_images, training=True):
        """The cost network's margin loss on one real and one fake batch.

        Args:
            real_images: Batch of data.
            fake_images: Batch of generated images.
            training: Whether the cost network runs in training mode.

        Returns:
            `(loss, logs)`, `logs` a dict with `real_energy` and
            `fake_energy`.
        """
        real_energy = self.discriminator(real_images, training=training)["energy"]
        fake_energy = self.discriminator(fake_images, training=training)["energy"]
        loss = margin_loss(real_energy, fake_energy, self.margin)
        logs = {
            "real_energy": ops.mean(real_energy),
            "fake_energy": ops.mean(fake_energy),
        }
        return loss, logs

    def compute_generator_loss(self, noise, training=True):
        """The generator's loss `mean(C(G(z))) + pull_away_weight * PT`.

        The cost network is frozen (`frozen_discriminator()`) when
        `training` is true; in evaluation both networks run in inference
        mode.

        Args:
            noise: Batch of latent vectors.
            training: Whether the generator runs in training mode.

        Returns:
            `(loss, logs)`, `logs` a dict with `pull_away` when the term is
            used, else empty.
        """
        fake_images = self.generator(noise, training=training)
        if training:
            outputs = self.frozen_discriminator(fake_images)
        else:
            outputs = self.discriminator(fake_images, training=False)
        loss = ops.mean(outputs["energy"])
        logs = {}
        if self.pull_away_weight > 0:
            pull_away = pull_away_term(outputs["embedding"])
            loss = loss + self.pull_away_weight * pull_away
            logs["pull_away"] = pull_away
        return loss, logs

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

    def reconstruct(self, x, batch_size=DEFAULT_BATCH_SIZE):
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
