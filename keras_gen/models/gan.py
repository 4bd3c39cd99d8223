"""The MLP GAN of the lecture notes and Keras-GAN's `gan.py`."""

import math

import keras
from keras import ops

from keras_gen import backend
from keras_gen import losses
from keras_gen import priors
from keras_gen.layers import LatentSampler
from keras_gen.models.adversarial import (
    frozen,
    generator_and_discriminator,
    minimize_if,
)
from keras_gen.models.base import GenerativeModel
from keras_gen.validation import check_positive_int, check_shape, check_units

METRIC_NAMES = ("d_loss", "g_loss", "d_acc", "d_x", "d_g_z1", "d_g_z2")


def label_embedding(labels, size, name="label_embedding"):
    """Keras-GAN's `Flatten()(Embedding(num_classes, size)(label))`, on one-hot labels.

    A bias-free `Dense` on a one-hot vector picks one row of its kernel: the
    same lookup, initialized like Keras' `Embedding` (uniform in +-0.05).
    """
    return keras.layers.Dense(
        size, use_bias=False, name=name,
        kernel_initializer=keras.initializers.RandomUniform(-0.05, 0.05))(labels)


def conditional_inputs(latent_dim, num_classes):
    """The inputs of a generator: `noise`, or `[labels, noise]` with the code multiplied in.

    Returns:
        `(inputs, x)`: the `keras.Input`s and the tensor the layers start
        from, `noise * label_embedding(labels)` with classes (Keras-GAN's
        `multiply([noise, label_embedding])`).
    """
    noise = keras.Input(shape=(latent_dim,), name="noise")
    if num_classes is None:
        return noise, noise
    labels = keras.Input(shape=(num_classes,), name="labels")
    x = keras.layers.Multiply()([noise, label_embedding(labels, latent_dim)])
    return [labels, noise], x


def mlp_generator(latent_dim, units, output_shape, batch_norm_first=False, num_classes=None):
    """Builds an MLP generator: the lecture notes' (`GAN`, `EBGAN`), Keras-GAN's.

    Each hidden layer is `Dense -> LeakyReLU(0.2)`, followed by
    `BatchNormalization(momentum=0.8)`: from the second layer on (the
    lecture notes'), or on every layer with `batch_norm_first=True`
    (Keras-GAN's `gan.py`, `lsgan.py`, `bgan.py`, `cgan.py`). The output is
    a tanh, reshaped to `output_shape`.

    Args:
        latent_dim: Size of the noise vector.
        units: Hidden layer sizes.
        output_shape: Shape of one generated image.
        batch_norm_first: Whether the first hidden layer has BatchNorm too.
        num_classes: For a conditional generator (`CGAN`), the number of
            classes: the inputs are then `[one-hot labels, noise]`, the noise
            multiplied by the label's embedding (`conditional_inputs`).

    Returns:
        A `keras.Model` named `"generator"`: `(latent_dim,) -> output_shape`,
        or `[(num_classes,), (latent_dim,)] -> output_shape`.
    """
    inputs, x = conditional_inputs(latent_dim, num_classes)
    for index, size in enumerate(units):
        x = keras.layers.Dense(size)(x)
        x = keras.layers.LeakyReLU(negative_slope=0.2)(x)
        if index > 0 or batch_norm_first:
            x = keras.layers.BatchNormalization(momentum=0.8)(x)
    x = keras.layers.Dense(math.prod(output_shape), activation="tanh")(x)
    images = keras.layers.Reshape(output_shape)(x)
    return keras.Model(inputs, images, name="generator")


def mlp_discriminator(input_shape, units, activation="sigmoid"):
    """Builds Keras-GAN's MLP discriminator: `Flatten -> units -> 1`.

    Hidden layers are `Dense -> LeakyReLU(0.2)`; the output is one unit with
    `activation`: a sigmoid (probabilities) by default, or `None` for raw
    scores (logits, a least-squares or a Wasserstein critic's score).

    Args:
        input_shape: Shape of one image.
        units: Hidden layer sizes.
        activation: The output's activation, `"sigmoid"` or `None`.

    Returns:
        A `keras.Model` named `"discriminator"`: `input_shape -> (1,)`.
    """
    images = keras.Input(shape=input_shape, name="images")
    x = keras.layers.Flatten()(images)
    for size in units:
        x = keras.layers.Dense(size)(x)
        x = keras.layers.LeakyReLU(negative_slope=0.2)(x)
    validity = keras.layers.Dense(1, activation=activation)(x)
    return keras.Model(images, validity, name="discriminator")


def add_generator_and_discriminator(model, latent_dim, generator, discriminator, seed):
    """Gives `model` Keras-GAN's players: `generator`, `discriminator`, `combined`.

    Also `model.latent_dim`, `model.prior` (N(0, I), what `generate()`
    samples) and `model.latent_sampler`, the seeded source of the training
    noise (its state is saved with the model, so a resumed run draws what
    the uninterrupted one would). `combined` is noise -> generator ->
    discriminator, sharing their layers; for a model with classes
    (`model.num_classes`), `[labels, noise]` -> generator -> discriminator,
    the labels given to the discriminator too if it takes two inputs.
    """
    model.latent_dim = latent_dim
    model.prior = priors.Gaussian(latent_dim, std=1.0)
    model.latent_sampler = LatentSampler(latent_dim, seed=seed, name="latent_sampler")
    model.generator = generator
    model.discriminator = discriminator
    noise = keras.Input(shape=(latent_dim,), name="noise")
    if model.decoder_classes is None:  # No classes, or the classifier's only (SGAN).
        model.combined = keras.Model(noise, discriminator(generator(noise)), name="combined")
        return
    labels = keras.Input(shape=(model.num_classes,), name="labels")
    images = generator([labels, noise])
    scores = discriminator([labels, images] if len(discriminator.inputs) == 2 else images)
    model.combined = keras.Model([labels, noise], scores, name="combined")


def with_labels(labels):
    """What a conditional player takes: `x` alone, or `[labels, x]` with labels."""
    return (lambda x: x) if labels is None else (lambda x: [labels, x])


def discriminator_update(model, real_images, loss, labels=None):
    """One update of `model.discriminator` against fakes of the untouched generator.

    The fakes come from `generator(z, training=False)` on fresh noise, as
    Keras-GAN's `generator.predict()`; the discriminator, in training mode,
    scores the real and the fake batch separately (each BatchNorm sees one
    kind of image, as in Keras-GAN and the PyTorch DCGAN example) and
    minimizes `loss(real_scores, fake_scores)` with `model.d_optimizer`.
    With `labels` (one-hot, `CGAN`), both players take `[labels, x]`: the
    fakes are drawn as the real batch's classes, as in Keras-GAN's
    `cgan.py`.

    Returns:
        `(d_loss, real_scores, fake_scores)`, the scores from before the update.
    """
    real_images = ops.convert_to_tensor(real_images)
    conditioned = with_labels(labels)
    noise = model.sample_prior_codes(ops.shape(real_images)[0])
    fake_images = ops.stop_gradient(model.generator(conditioned(noise), training=False))

    def loss_fn():
        real_scores = model.discriminator(conditioned(real_images), training=True)
        fake_scores = model.discriminator(conditioned(fake_images), training=True)
        return loss(real_scores, fake_scores), (real_scores, fake_scores)

    d_loss, (real_scores, fake_scores) = backend.minimize(
        loss_fn, model.discriminator.trainable_variables, model.d_optimizer
    )
    return d_loss, real_scores, fake_scores


def generator_update(model, real_images, loss, keep=None, labels=None):
    """One update of `model.generator` against the frozen discriminator.

    On fresh noise, the generator in training mode minimizes
    `loss(fake_scores)` with `model.g_optimizer`, its fakes scored by the
    discriminator through `frozen()` (training mode, no gradient, a
    stateless call), so every discriminator variable stays bit-identical.

    Args:
        model: A model with Keras-GAN's players (`add_generator_and_discriminator`).
        real_images: The batch of data; only its size is used.
        loss: `loss(fake_scores)` -> a scalar.
        keep: Optional boolean scalar tensor: where false, no update
            (`minimize_if`): the generator, its BatchNorm statistics and
            `g_optimizer`'s state stay as they were.
        labels: Optional one-hot labels of the fakes (`CGAN`): both players
            then take `[labels, x]`.

    Returns:
        `(g_loss, fake_scores)`; with `keep`, `(g_loss, None)`, `g_loss` 0 on
        the steps without an update.
    """
    conditioned = with_labels(labels)
    noise = model.sample_prior_codes(ops.shape(real_images)[0])

    def loss_fn():
        fake_images = model.generator(conditioned(noise), training=True)
        fake_scores = frozen(model.discriminator, conditioned(fake_images))
        return loss(fake_scores), fake_scores

    variables = model.generator.trainable_variables
    if keep is None:
        return backend.minimize(loss_fn, variables, model.g_optimizer)
    g_loss = minimize_if(keep, loss_fn, variables, model.g_optimizer,
                         state=model.generator.non_trainable_variables)
    return g_loss, None


@keras.saving.register_keras_serializable(package="keras_gen")
class GAN(GenerativeModel):
    """A GAN: a generator against a discriminator, both passed in or built.

    By default, the multilayer-perceptron GAN of the lecture notes and
    Keras-GAN: generator `latent_dim -> 128 -> 256 (BatchNorm) -> 512
    (BatchNorm) -> prod(input_shape)` with a tanh output (`mlp_generator`),
    discriminator `Flatten -> 512 -> 256 -> 1` with a sigmoid output
    (`mlp_discriminator`). Data must be scaled to [-1, 1].

    Each batch runs two phases, each with its own optimizer:

    1. `discriminator_step`: fakes are generated with
       `generator(z1, training=False)`, as Keras-GAN's `generator.predict()`
       does, so the generator (BatchNorm statistics included) is untouched.
       The discriminator, in training mode, scores the real and the fake
       batch separately (each BatchNorm sees one kind of image, as in
       Keras-GAN and the PyTorch DCGAN example) and minimizes
       `discriminator_loss()`, the BCE `losses.discriminator_loss`
       (`d_optimizer`).
    2. `generator_step`: on fresh noise `z2`, the generator in training mode
       minimizes `generator_loss()`, the non-saturating
       `losses.generator_loss`, scored by the
       discriminator frozen (`frozen()`: training mode, no gradient, a
       stateless call), so every discriminator variable stays bit-identical
       (`g_optimizer`).

    The history has `d_loss`, `g_loss`, `d_acc` (accuracy at 0.5 on the real
    and fake batches, Keras-GAN's `acc`) and the PyTorch DCGAN example's
    `D(x)`, `D(G(z1))`, `D(G(z2))` as `d_x`, `d_g_z1`, `d_g_z2` (before the
    update that uses them).

    The game's two losses are the methods `discriminator_loss(real_scores,
    fake_scores)` and `generator_loss(fake_scores)`, and the default networks
    come from `build_generator()` and `build_discriminator()`: a variant
    with other losses or networks overrides those (`LSGAN`, `BGAN`).

    `model.generator`, `model.discriminator` and `model.combined` (noise ->
    generator -> discriminator, sharing their layers) are there as in
    Keras-GAN. Calling the model on images returns the discriminator's
    probabilities. `fit(x)` takes images only; a target `y` is ignored.

    ```python
    gan = keras_gen.GAN(input_shape=(28, 28, 1))
    gan.compile()  # Adam(2e-4, beta_1=0.5) for each player.
    gan.fit(x_train * 2 - 1, epochs=30, batch_size=64)
    images = gan.generate(16, seed=0)  # in [-1, 1]
    ```

    Args:
        input_shape: Shape of one image, `(784,)` or `(28, 28, 1)` for MNIST.
        latent_dim: Size of the noise vector.
        generator: Optional `keras.Model`, `(latent_dim,) -> input_shape`;
            by default `mlp_generator(latent_dim, generator_units,
            input_shape)`.
        discriminator: Optional `keras.Model`, `input_shape -> (1,)`
            probabilities; by default `mlp_discriminator(input_shape,
            discriminator_units)`.
        generator_units: Hidden layer sizes of the default generator; None
            for the class's `default_generator_units`, (128, 256, 512).
        discriminator_units: Hidden layer sizes of the default discriminator.
        seed: Optional integer seed of the training noise.
        **kwargs: Base model arguments such as `name`.
    """

    # Real images share the range of the generator's tanh output.
    value_range = (-1.0, 1.0)
    value_range_reason = "the generator ends in a tanh, so real images share its range"

    network_names = ("generator", "discriminator")
    # An unconditional GAN ignores a `y` given to fit().
    checks_targets = False
    # The history's keys.
    metric_names = METRIC_NAMES
    # The lecture notes' generator; Keras-GAN's variants use (256, 512, 1024).
    default_generator_units = (128, 256, 512)

    def __init__(
        self,
        input_shape=(784,),
        latent_dim=100,
        generator=None,
        discriminator=None,
        generator_units=None,
        discriminator_units=(512, 256),
        seed=None,
        **kwargs,
    ):
        input_shape = check_shape(input_shape, "input_shape")
        if generator_units is None:
            generator_units = self.default_generator_units
        super().__init__(metric_names=self.metric_names, **kwargs)
        self.input_shape = input_shape
        self.seed = seed
        latent_dim = check_positive_int(latent_dim, "latent_dim")
        self.generator_units = check_units(generator_units, "generator_units")
        self.discriminator_units = check_units(
            discriminator_units, "discriminator_units"
        )
        if generator is None:
            generator = self.build_generator(latent_dim, input_shape)
        if discriminator is None:
            discriminator = self.build_discriminator(input_shape)
        add_generator_and_discriminator(self, latent_dim, generator, discriminator, seed)

    def build_generator(self, latent_dim, image_shape):
        """The default generator: `mlp_generator(latent_dim, generator_units, image_shape)`.

        Args:
            latent_dim: Size of the noise vector.
            image_shape: Shape of one generated image.

        Returns:
            A `keras.Model`, `(latent_dim,) -> image_shape`, tanh outputs.
        """
        return mlp_generator(latent_dim, self.generator_units, image_shape)

    def build_discriminator(self, image_shape):
        """The default discriminator: `mlp_discriminator(image_shape, discriminator_units)`.

        Args:
            image_shape: Shape of one image.

        Returns:
            A `keras.Model`, `image_shape -> (1,)` sigmoid probabilities.
        """
        return mlp_discriminator(image_shape, self.discriminator_units)

    def call(self, inputs, training=False):
        return self.discriminator(inputs, training=training)

    @property
    def decoder(self):
        """The generator: what `decode`, `generate` and the callbacks run."""
        return self.generator

    def compile(self, d_optimizer=None, g_optimizer=None, **kwargs):
        """Configures training. The losses are built in: pass optimizers.

        Args:
            d_optimizer: Optimizer (instance, name or config) of the
                discriminator. Defaults to a new Adam(2e-4, beta_1=0.5).
            g_optimizer: Optimizer of the generator, same default.
            **kwargs: `run_eagerly`, `steps_per_execution` or `jit_compile`,
                as in `keras.Model.compile()`.
        """
        self.compile_players(
            generator_and_discriminator(self, d_optimizer, g_optimizer), **kwargs
        )

    def discriminator_loss(self, real_scores, fake_scores):
        """The discriminator's loss: `losses.discriminator_loss` (BCE).

        Args:
            real_scores: The discriminator's probabilities of real images,
                `(batch_size, 1)`.
            fake_scores: Its probabilities of fakes, `(batch_size, 1)`.

        Returns:
            A scalar tensor.
        """
        return losses.discriminator_loss(real_scores, fake_scores)

    def generator_loss(self, fake_scores):
        """The generator's loss: the non-saturating `losses.generator_loss`.

        Args:
            fake_scores: The discriminator's probabilities of fakes,
                `(batch_size, 1)`.

        Returns:
            A scalar tensor.
        """
        return losses.generator_loss(fake_scores)

    def train_step(self, data):
        real_images = self.unpack_batch(data)
        logs = self.discriminator_step(real_images)
        logs.update(self.generator_step(real_images))
        return self.update_metrics(logs)

    def discriminator_step(self, real_images):
        """Updates the discriminator on one batch; the generator is untouched.

        Args:
            real_images: Batch of data.

        Returns:
            Dict of the step's `d_loss`, `d_acc`, `d_x` and `d_g_z1`.
        """
        d_loss, real_scores, fake_scores = discriminator_update(
            self, real_images, self.discriminator_loss)
        return {
            "d_loss": d_loss,
            "d_acc": losses.discriminator_accuracy(real_scores, fake_scores),
            "d_x": ops.mean(real_scores),
            "d_g_z1": ops.mean(fake_scores),
        }

    def generator_step(self, real_images):
        """Updates the generator against the frozen discriminator.

        Args:
            real_images: Batch of data; only its size is used.

        Returns:
            Dict of the step's `g_loss` and `d_g_z2`.
        """
        g_loss, fake_scores = generator_update(self, real_images, self.generator_loss)
        return {"g_loss": g_loss, "d_g_z2": ops.mean(fake_scores)}

    def test_step(self, data):
        # The same quantities as in training, in inference mode, no update.
        real_images = self.unpack_batch(data)
        batch_size = ops.shape(real_images)[0]
        noise_1 = self.sample_prior_codes(batch_size)
        noise_2 = self.sample_prior_codes(batch_size)
        real_scores = self.discriminator(real_images, training=False)
        fake_scores_1 = self.combined(noise_1, training=False)
        fake_scores_2 = self.combined(noise_2, training=False)
        return self.update_metrics({
            "d_loss": self.discriminator_loss(real_scores, fake_scores_1),
            "g_loss": self.generator_loss(fake_scores_2),
            "d_acc": losses.discriminator_accuracy(real_scores, fake_scores_1),
            "d_x": ops.mean(real_scores),
            "d_g_z1": ops.mean(fake_scores_1),
            "d_g_z2": ops.mean(fake_scores_2),
        })

    def get_config(self):
        base_config = super().get_config()
        config = {
            "input_shape": self.input_shape,
            "seed": self.seed,
            "latent_dim": self.latent_dim,
            "generator_units": list(self.generator_units),
            "discriminator_units": list(self.discriminator_units),
        }
        return {**base_config, **config}
