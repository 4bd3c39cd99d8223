"""Keras-GAN's semi-supervised GAN, `sgan.py` (Odena 2016), with Salimans et al.'s feature matching."""

import keras
import numpy as np
from keras import ops

from keras_gen import backend
from keras_gen import losses
from keras_gen import priors
from keras_gen.layers import WeightNormalizedDense
from keras_gen.models import semi_supervised
from keras_gen.models.acgan import acgan_discriminator, acgan_generator
from keras_gen.models.adversarial import frozen, generator_and_discriminator
from keras_gen.models.base import DEFAULT_BATCH_SIZE, GenerativeModel
from keras_gen.models.dcgan import check_image_shape
from keras_gen.models.gan import add_generator_and_discriminator
from keras_gen.validation import check_num_classes, check_positive_int

METRIC_NAMES = ("d_loss", "g_loss", "d_acc", "classification_loss", "classification_acc")
# Salimans et al.'s MNIST discriminator: widths, and the Gaussian noise on its input and hidden layers.
FEATURE_MATCHING_UNITS = (1000, 500, 250, 250, 250)
INPUT_NOISE, HIDDEN_NOISE = 0.3, 0.5


def feature_matching_discriminator(input_shape, num_classes, seed=None,
                                   units=FEATURE_MATCHING_UNITS):
    """Salimans et al.'s MNIST discriminator: `input_shape -> [logits (num_classes,), features (units[-1],)]`.

    Gaussian noise (std 0.3) on the flattened input, then weight-normalized
    ReLU layers of `units` (theirs: 1000, 500, 250, 250 and 250), each
    followed by Gaussian noise (std 0.5), and a weight-normalized linear
    layer of `num_classes` logits. `features` is the last hidden layer's
    output (before its noise), what the generator's feature matching
    compares. `seed` seeds the noise layers.
    """
    inputs = keras.Input(shape=input_shape, name="images")
    seeds = iter(range(len(units) + 1)) if seed is not None else None
    noise = lambda std: keras.layers.GaussianNoise(  # noqa: E731
        std, seed=None if seeds is None else seed + next(seeds))
    x = noise(INPUT_NOISE)(keras.layers.Flatten()(inputs))
    for width in units:
        features = WeightNormalizedDense(width, activation="relu")(x)
        x = noise(HIDDEN_NOISE)(features)
    logits = WeightNormalizedDense(num_classes, name="logits")(x)
    return keras.Model(inputs, [logits, features], name="discriminator")


def feature_matching_generator(latent_dim, output_shape):
    """Salimans et al.'s MNIST generator: `(latent_dim,) -> output_shape`, sigmoid.

    Twice `Dense(500, no bias) -> BatchNormalization -> softplus`, then a
    weight-normalized `Dense` to the pixels with a sigmoid, reshaped.
    """
    noise = keras.Input(shape=(latent_dim,), name="noise")
    x = noise
    for _ in range(2):
        x = keras.layers.Dense(500, use_bias=False)(x)
        x = keras.layers.BatchNormalization()(x)
        x = keras.layers.Activation("softplus")(x)
    size = 1
    for dimension in output_shape:
        size *= dimension
    x = WeightNormalizedDense(size, activation="sigmoid")(x)
    return keras.Model(noise, keras.layers.Reshape(output_shape)(x), name="generator")


@keras.saving.register_keras_serializable(package="keras_gen")
class SGAN(GenerativeModel):
    """A semi-supervised GAN: the discriminator is also the classifier.

    It trains on `make_semi_supervised_dataset()`'s batches (a batch of
    unlabelled inputs `x` with a batch of the few labelled ones) and
    classifies with `model.classifier` (`predict_classes`,
    `classification_error`), as `SemiSupervisedAdversarialAutoencoder`
    does. Each batch runs two phases:

    1. `discriminator_step(batch, noise)`: fakes from the generator in
       inference mode; the discriminator (`d_optimizer`) minimizes
       `discriminator_loss`, which scores real (unlabelled) against fake
       and classifies the labelled inputs.
    2. `generator_step(x, noise)`: the generator (`g_optimizer`) minimizes
       `generator_loss` against the frozen discriminator on fresh noise.

    Two objectives:

    - `feature_matching=False` (default), Keras-GAN's `sgan.py` (Odena
      2016): a convolutional discriminator with a sigmoid "real" head and a
      softmax over `num_classes + 1` classes, the last one "fake"; the
      discriminator minimizes `0.25 * (BCE(1, D(x)) + BCE(0, D(G(z))) +
      CE(y, C(x_l)) + CE(fake, C(G(z))) / num_classes)` (Keras-GAN's loss
      weights 0.5, 0.5 and class weights, whose ratio is `num_classes : 1`
      for a real class against the fake one), the generator `BCE(1,
      D(G(z)))`. Images in [-1, 1] (tanh); Adam(2e-4, beta_1=0.5).
      `model.classifier` renormalizes the real classes' probabilities.
    - `feature_matching=True`, Salimans et al. 2016 ("Improved Techniques
      for Training GANs"): an MLP discriminator with `num_classes` logits
      (the fake class's logit fixed at 0, so `D(x) = Z / (Z + 1)`, `Z =
      sum exp(logits)`), Gaussian noise and weight normalization; it
      minimizes `CE(y, softmax(l(x_l))) + unlabelled_gan_loss(l(x),
      l(G(z)))`. The generator minimizes `feature_matching_loss`: the
      squared distance between the batch means of the discriminator's last
      hidden layer on `x` and on `G(z)`. Noise uniform on [0, 1]^100;
      inputs in [0, 1] (sigmoid); Adam(3e-3, beta_1=0.5), batches of 100
      unlabelled and 100 labelled images. Unlike their code, the weight
      normalization has no data-dependent initialization, and the
      generator matches the unlabelled batch the discriminator just saw
      (theirs: a second shuffled pass over the data).

    Salimans et al. score a moving average of the discriminator's weights.
    Keras' optimizers keep one: compile with `d_optimizer=keras.optimizers.
    Adam(3e-3, beta_1=0.5, use_ema=True, ema_momentum=0.999)` and, after
    `fit()`, swap it in with `model.d_optimizer.finalize_variable_values(
    model.discriminator.trainable_variables)` (`fit()` does not, for a
    model with several optimizers).

    The history has `d_loss`, `g_loss`, `d_acc` (real against fake, at
    0.5), and `classification_loss` and `classification_acc` on the
    labelled batches (on the validation data in `evaluate`).

    ```python
    (x_l, y_l), (x_u, _) = keras_gen.data.labelled_split(x_train, y_train, 100)
    batches = keras_gen.make_semi_supervised_dataset(x_u, x_l, y_l, batch_size=100)
    sgan = keras_gen.SGAN(input_shape=(784,), feature_matching=True)
    sgan.compile()
    sgan.fit(batches, epochs=100)
    sgan.classification_error(x_test, y_test)
    ```

    Args:
        input_shape: Shape of one input: `(height, width, channels)` for
            Keras-GAN's networks (height and width multiples of 4); any
            shape for feature matching, e.g. `(784,)`.
        num_classes: Number of classes of the labels.
        latent_dim: Size of the noise vector.
        feature_matching: Salimans et al.'s objective and networks (see above).
        generator: Optional `keras.Model`, `(latent_dim,) -> input_shape`.
        discriminator: Optional `keras.Model`, `input_shape -> [(1,)
            probabilities, (num_classes + 1,) softmax]`, or with feature
            matching `input_shape -> [(num_classes,) logits, (features,)]`.
        seed: Optional integer seed of the training noise.
        **kwargs: Base model arguments such as `name`.
    """

    network_names = ("generator", "discriminator")

    def __init__(
        self,
        input_shape=(28, 28, 1),
        num_classes=10,
        latent_dim=100,
        feature_matching=False,
        generator=None,
        discriminator=None,
        seed=None,
        **kwargs,
    ):
        if not isinstance(feature_matching, bool):
            raise ValueError(
                f"`feature_matching` must be True or False. Received: "
                f"feature_matching={feature_matching!r}")
        if not feature_matching:
            input_shape = check_image_shape(input_shape, "keras_gan")
        input_shape = tuple(check_positive_int(d, "input_shape") for d in input_shape)
        num_classes = check_num_classes(num_classes)
        latent_dim = check_positive_int(latent_dim, "latent_dim")
        super().__init__(metric_names=METRIC_NAMES, **kwargs)
        self.input_shape = input_shape
        self.num_classes = num_classes
        self.feature_matching = feature_matching
        self.seed = seed
        if feature_matching:
            self.value_range = (0.0, 1.0)
            self.value_range_reason = "the generator ends in a sigmoid"
            generator = generator or feature_matching_generator(latent_dim, input_shape)
            discriminator = discriminator or feature_matching_discriminator(
                input_shape, num_classes, seed)
        else:
            self.value_range = (-1.0, 1.0)
            self.value_range_reason = "the generator ends in a tanh, so real images share its range"
            generator = generator or acgan_generator(latent_dim, input_shape)
            discriminator = discriminator or acgan_discriminator(
                input_shape, num_classes + 1, filters=(32, 64, 128, 256))
        add_generator_and_discriminator(self, latent_dim, generator, discriminator, seed)
        if feature_matching:
            self.prior = priors.Uniform(latent_dim, minval=0.0, maxval=1.0)
        self.classifier = self.build_classifier()

    def build_classifier(self):
        """`model.classifier`: inputs -> `(num_classes,)` class probabilities, sharing the discriminator."""
        inputs = keras.Input(shape=self.input_shape, name="images")
        outputs = self.discriminator(inputs)
        if self.feature_matching:
            probabilities = keras.layers.Softmax()(outputs[0])
        else:  # The real classes of the num_classes + 1, renormalized.
            real = outputs[1][:, : self.num_classes]
            probabilities = real / ops.sum(real, axis=-1, keepdims=True)
        return keras.Model(inputs, probabilities, name="classifier")

    @property
    def decoder_classes(self):
        """None: the classes are the classifier's; the generator takes noise alone."""
        return None

    @property
    def decoder(self):
        """The generator: what `decode`, `generate` and the callbacks run."""
        return self.generator

    def call(self, inputs, training=False):
        """The discriminator's outputs on inputs."""
        return self.discriminator(inputs, training=training)

    def compile(self, d_optimizer=None, g_optimizer=None, **kwargs):
        """Configures training. The losses are built in: pass optimizers.

        Args:
            d_optimizer: Optimizer of the discriminator (the classifier); a
                new Adam(2e-4, beta_1=0.5) by default, Adam(3e-3,
                beta_1=0.5) with feature matching (Salimans et al.'s).
            g_optimizer: Optimizer of the generator, same defaults.
            **kwargs: `run_eagerly`, `steps_per_execution` or `jit_compile`.
        """
        if self.feature_matching:
            d_optimizer = d_optimizer or keras.optimizers.Adam(3e-3, beta_1=0.5)
            g_optimizer = g_optimizer or keras.optimizers.Adam(3e-3, beta_1=0.5)
        self.compile_players(
            generator_and_discriminator(self, d_optimizer, g_optimizer), **kwargs)

    def unpack_batch(self, data):
        """Returns the dict of `make_semi_supervised_dataset()` (`(x, y)`: both parts)."""
        return semi_supervised.unpack_semi_supervised(self, data)

    def train_step(self, data):
        batch = self.unpack_batch(data)
        batch_size = ops.shape(batch["x"])[0]
        logs = self.discriminator_step(batch, self.sample_prior_codes(batch_size))
        logs.update(self.generator_step(batch["x"], self.sample_prior_codes(batch_size)))
        return self.update_metrics(logs)

    def discriminator_step(self, batch, noise):
        """Updates the discriminator: real against fake, and the labelled batch's classes.

        Args:
            batch: Dict from `unpack_batch`: `"x"`, `"x_labelled"`, `"y_labelled"`.
            noise: Codes of the fakes, `(batch_size, latent_dim)`.

        Returns:
            Dict of the step's `d_loss`, `d_acc`, `classification_loss` and
            `classification_acc`.
        """
        fake_images = ops.stop_gradient(self.generator(noise, training=False))

        def loss_fn():
            real = self.discriminator(batch["x"], training=True)
            labelled = self.discriminator(batch["x_labelled"], training=True)
            fake = self.discriminator(fake_images, training=True)
            return self.discriminator_loss(real, labelled, batch["y_labelled"], fake)

        d_loss, logs = backend.minimize(
            loss_fn, self.discriminator.trainable_variables, self.d_optimizer)
        return {"d_loss": d_loss, **logs}

    def generator_step(self, real_images, noise):
        """Updates the generator against the frozen discriminator.

        Args:
            real_images: The unlabelled batch (feature matching's target).
            noise: Codes of the fakes, `(batch_size, latent_dim)`.

        Returns:
            Dict of the step's `g_loss`.
        """
        def loss_fn():
            fake_images = self.generator(noise, training=True)
            fake = frozen(self.discriminator, fake_images)
            real = frozen(self.discriminator, real_images) if self.feature_matching else None
            return self.generator_loss(fake, real), None

        g_loss, _ = backend.minimize(
            loss_fn, self.generator.trainable_variables, self.g_optimizer)
        return {"g_loss": g_loss}

    def discriminator_loss(self, real, labelled, labels, fake):
        """The discriminator's loss of one batch (see the class docstring).

        Args:
            real: The discriminator's outputs on the unlabelled batch.
            labelled: Its outputs on the labelled batch.
            labels: The labelled batch's integer labels, `(batch_size,)`.
            fake: Its outputs on the fakes.

        Returns:
            `(loss, logs)`: a scalar tensor, and a dict of `d_acc`,
            `classification_loss` and `classification_acc`.
        """
        if self.feature_matching:
            classification, accuracy = losses.classification_loss(
                labels, labelled[0], from_logits=True)
            real_logit = ops.logsumexp(real[0], axis=-1)
            fake_logit = ops.logsumexp(fake[0], axis=-1)
            loss = classification + losses.unlabelled_gan_loss(real[0], fake[0])
            d_acc = losses.discriminator_accuracy(real_logit, fake_logit, from_logits=True)
        else:
            classification, accuracy = losses.classification_loss(labels, labelled[1])
            fake_class = ops.full((ops.shape(fake[1])[0],), self.num_classes, "int32")
            fake_classification, _ = losses.classification_loss(fake_class, fake[1])
            loss = 0.5 * (losses.discriminator_loss(real[0], fake[0])
                          + 0.5 * (classification + fake_classification / self.num_classes))
            d_acc = losses.discriminator_accuracy(real[0], fake[0])
        return loss, {"d_acc": d_acc, "classification_loss": classification,
                      "classification_acc": accuracy}

    def generator_loss(self, fake, real=None):
        """`BCE(1, D(G(z)))`, or with feature matching `feature_matching_loss(f(x), f(G(z)))`.

        Args:
            fake: The frozen discriminator's outputs on the fakes.
            real: Its outputs on the real batch (feature matching only).

        Returns:
            A scalar tensor.
        """
        if self.feature_matching:
            return losses.feature_matching_loss(ops.stop_gradient(real[1]), fake[1])
        return losses.generator_loss(fake[0])

    def test_step(self, data):
        # The training losses, in inference mode, no update.
        batch = self.unpack_batch(data)
        batch_size = ops.shape(batch["x"])[0]
        real = self.discriminator(batch["x"], training=False)
        labelled = self.discriminator(batch["x_labelled"], training=False)
        fake = self.discriminator(
            self.generator(self.sample_prior_codes(batch_size), training=False), training=False)
        d_loss, logs = self.discriminator_loss(real, labelled, batch["y_labelled"], fake)
        g_loss = self.generator_loss(fake, real)
        return self.update_metrics({"d_loss": d_loss, "g_loss": g_loss, **logs})

    def predict_proba(self, x, batch_size=DEFAULT_BATCH_SIZE):
        """The class probabilities of inputs, `(num_examples, num_classes)`."""
        return semi_supervised.predict_proba(self, x, batch_size)

    def predict_classes(self, x, batch_size=DEFAULT_BATCH_SIZE):
        """The most likely class of each input, an array `(num_examples,)`."""
        return np.argmax(self.predict_proba(x, batch_size), axis=-1)

    def classification_error(self, x, y, batch_size=DEFAULT_BATCH_SIZE):
        """The fraction of inputs whose predicted class is not their label.

        Args:
            x: Array of shape `(num_examples, *input_shape)`.
            y: Their integer labels.
            batch_size: Examples per batch.

        Returns:
            A Python float in [0, 1] (multiply by 100 for a percentage).
        """
        return semi_supervised.classification_error(self, x, y, batch_size)

    def _check_fit_data(self, arguments):
        # `fit()` trains on the dataset of labelled and unlabelled batches.
        semi_supervised.check_semi_supervised_fit_data(self, arguments.get("x"))
        super()._check_fit_data(arguments)

    def _check_stream_batch(self, batch):
        if not isinstance(batch, dict):
            return super()._check_stream_batch(batch)
        semi_supervised.check_semi_supervised_batch(self, batch)

    def get_config(self):
        base_config = super().get_config()
        config = {
            "input_shape": self.input_shape,
            "num_classes": self.num_classes,
            "latent_dim": self.latent_dim,
            "feature_matching": self.feature_matching,
            "seed": self.seed,
        }
        return {**base_config, **config}
