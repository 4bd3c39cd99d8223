"""The adversarial autoencoder of Makhzani et al. and the Paperspace post."""

import math

import keras
import numpy as np
from keras import ops

from keras_gen import backend
from keras_gen import priors
from keras_gen.models.adversarial import AdversarialModel
from keras_gen.models.base import DEFAULT_BATCH_SIZE
from keras_gen.models.gan import check_units
from keras_gen.validation import (
    check_data,
    check_non_negative_float,
    check_positive_int,
    is_array_like,
)

# The Paperspace post's optimizers: Adam with PyTorch's default betas.
RECONSTRUCTION_LEARNING_RATE = 6e-4
REGULARIZATION_LEARNING_RATE = 8e-4


def reconstruction_loss(x, reconstruction):
    """Binary cross-entropy averaged over pixels and examples (the post's).

    Multiply by the number of pixels for nats per example.

    Args:
        x: Targets in [0, 1], shape `(batch_size, ...)`.
        reconstruction: Probabilities with the same shape.

    Returns:
        A scalar tensor.
    """
    return ops.mean(ops.binary_crossentropy(x, reconstruction))


def check_unit_interval(x, name):
    """Checks that in-memory data lies in [0, 1], as binary cross-entropy needs."""
    values = np.asarray(x)
    low, high = values.min(), values.max()
    if low < 0 or high > 1:
        raise ValueError(
            f"`{name}` must hold values in [0, 1]: the decoder ends in a sigmoid "
            "and the reconstruction loss is binary cross-entropy (load the data "
            "with keras_gen.data.load_dataset(value_range=(0, 1))). Received: "
            f"{name} with values from {low} to {high}"
        )
    return x


def check_num_classes(num_classes):
    """Checks a number of classes, at least 2."""
    num_classes = check_positive_int(num_classes, "num_classes")
    if num_classes < 2:
        raise ValueError(
            f"`num_classes` must be at least 2. Received: num_classes={num_classes}"
        )
    return num_classes


def check_validation_labels(validation_data, num_classes):
    """Checks the labels of in-memory `validation_data=(x, y)` before training."""
    if (
        isinstance(validation_data, (tuple, list))
        and len(validation_data) >= 2
        and is_array_like(validation_data[0])
        and validation_data[1] is not None
    ):
        priors.check_label_array(
            validation_data[1], "validation_data[1]", num_classes,
            len(validation_data[0]),
        )


def predict_inputs_in_batches(model, inputs, batch_size=DEFAULT_BATCH_SIZE):
    """Runs a model with several inputs in inference mode, in batches.

    Args:
        model: A Keras model taking the list `inputs`.
        inputs: List of arrays with the same first axis.
        batch_size: Examples per call.

    Returns:
        A NumPy array.
    """
    batch_size = check_positive_int(batch_size, "batch_size")
    return np.concatenate([
        ops.convert_to_numpy(
            model([x[start : start + batch_size] for x in inputs], training=False)
        )
        for start in range(0, len(inputs[0]), batch_size)
    ])


def dense_stack(x, units, dropout_rate, seed=None):
    """`Dense(relu) -> Dropout` for each size in `units`.

    The post puts dropout before the ReLU; both orders give the same output,
    since dropout multiplies by a non-negative factor.
    """
    for size in units:
        x = keras.layers.Dense(size, activation="relu")(x)
        if dropout_rate > 0:
            x = keras.layers.Dropout(dropout_rate, seed=seed)(x)
    return x


@keras.saving.register_keras_serializable(package="keras_gen")
class AdversarialAutoencoder(AdversarialModel):
    """An autoencoder whose codes are shaped into a prior by a discriminator.

    The encoder q(z|x) maps an input to a code `z`, the decoder p(x|z) maps
    it back through a sigmoid (inputs must lie in [0, 1]), and a
    discriminator learns to tell codes from samples of the prior p(z). Each
    batch runs three phases, each with its own optimizer (Makhzani et al.,
    "Adversarial Autoencoders"; the Paperspace post's training loop):

    1. `reconstruction_step`: the encoder and decoder (training mode, so
       with dropout) minimize the binary cross-entropy between the input and
       its reconstruction, averaged over pixels as in the post
       (`ae_optimizer`, Adam(6e-4)).
    2. `discriminator_step`: the discriminator learns prior samples as real
       and codes as fake, `d_loss = 0.5 * (BCE(1, D(z')) + BCE(0, D(q(x))))`
       with `z' ~ p(z)` (`d_optimizer`, Adam(8e-4)). The codes come from the
       encoder in inference mode (the post's `Q.eval()`), without gradient,
       so the encoder and decoder are left untouched.
    3. `regularization_step`: the encoder, as the generator of this game and
       in training mode, minimizes `g_loss = BCE(1, D(q(x)))` (`g_optimizer`,
       Adam(8e-4), a second optimizer on the encoder as in the post). The
       discriminator is frozen (`frozen_discriminator()`): training mode,
       so its dropout is on as in the post, but no gradient and a stateless
       call, so every variable stays bit-identical. The decoder is
       not used.

    These phases reuse `AdversarialModel`: `model.generator` is the encoder
    (it generates codes), `model.discriminator` scores codes, and
    `model.combined` is Keras-GAN's `adversarial_autoencoder`,
    `x -> [decoder(encoder(x)), discriminator(encoder(x))]`.

    Metrics (per-epoch means of the per-step values):

    - `reconstruction_loss`: the binary cross-entropy per pixel (times 784
      for nats per MNIST digit).
    - `d_loss`, `g_loss`: the adversarial losses above (both near
      `log 2 = 0.693` when codes and prior samples cannot be told apart).
    - `d_acc`: the discriminator's accuracy at threshold 0.5 on prior samples
      and codes.
    - `d_prior`, `d_code`: its mean score of the prior samples and of the
      codes, before its update.

    Defaults follow the post: encoder, decoder and discriminator are three
    dense layers each, two hidden layers of 1000 ReLU units with dropout
    (0.25 in the encoder and decoder, 0.2 in the discriminator) and the
    output layer; a 2-D code with a Gaussian prior of standard deviation 5.
    Other priors plug in with `prior` (see `keras_gen.priors`). Adam keeps
    Keras' defaults apart from the learning rate (the post uses PyTorch's,
    whose epsilon differs: 1e-8 rather than 1e-7).

    ```python
    (x_train, y_train), (x_test, y_test) = keras_gen.data.load_dataset()
    aae = keras_gen.AdversarialAutoencoder(prior="mixture")
    aae.compile()
    aae.fit(x_train, epochs=20, batch_size=100)
    codes = aae.encode(x_test)
    digits = aae.generate(16, seed=0)  # decoded prior samples
    ```

    Subclasses may override `build_encoder()`, `build_decoder()` and
    `build_discriminator()`. Calling the model on inputs returns their
    reconstructions. `fit(x)` takes inputs only; a target `y` is ignored.

    Args:
        input_shape: Shape of one input, e.g. `(784,)` or `(28, 28, 1)`.
        latent_dim: Size of the code.
        prior: The prior p(z): a `keras_gen.priors.Prior` with this
            `latent_dim`, or `"gaussian"` (std 5), `"mixture"` (10 Gaussians
            on a circle), `"uniform"` (on [-10, 10]^latent_dim).
        hidden_units: Hidden layer sizes of the encoder (the decoder uses
            them in reverse).
        discriminator_units: Hidden layer sizes of the discriminator.
        dropout_rate: Dropout after each hidden layer of the encoder and
            decoder.
        discriminator_dropout_rate: Dropout after each hidden layer of the
            discriminator.
        seed: Optional integer seed of the prior samples drawn in training.
        **kwargs: Base model arguments such as `name`.
    """

    phases = ("reconstruction_step", "discriminator_step", "regularization_step")
    metric_names = (
        "reconstruction_loss", "d_loss", "g_loss", "d_acc", "d_prior", "d_code",
    )
    default_learning_rates = {
        "ae_optimizer": RECONSTRUCTION_LEARNING_RATE,
        "d_optimizer": REGULARIZATION_LEARNING_RATE,
        "g_optimizer": REGULARIZATION_LEARNING_RATE,
    }

    def __init__(
        self,
        input_shape=(784,),
        latent_dim=2,
        prior="gaussian",
        hidden_units=(1000, 1000),
        discriminator_units=(1000, 1000),
        dropout_rate=0.25,
        discriminator_dropout_rate=0.2,
        seed=None,
        **kwargs,
    ):
        latent_dim = check_positive_int(latent_dim, "latent_dim")
        self.prior = priors.get_prior(prior, latent_dim)
        self.hidden_units = check_units(hidden_units, "hidden_units")
        self.discriminator_units = check_units(
            discriminator_units, "discriminator_units"
        )
        self.dropout_rate = check_non_negative_float(
            dropout_rate, "dropout_rate", upper=1.0
        )
        self.discriminator_dropout_rate = check_non_negative_float(
            discriminator_dropout_rate, "discriminator_dropout_rate", upper=1.0
        )
        super().__init__(
            input_shape=input_shape, latent_dim=latent_dim, seed=seed, **kwargs
        )

    # Networks.

    def build_generator(self):
        # The encoder generates the codes the discriminator judges; the
        # decoder is built alongside it.
        self.encoder = self.build_encoder()
        self._decoder = self.build_decoder()
        return self.encoder

    @property
    def decoder(self):
        """The decoder p(x|z), what `decode`, `generate` and the callbacks run."""
        return self._decoder

    def build_encoder(self):
        """Builds the encoder: `input_shape -> (latent_dim,)`, linear output.

        Returns:
            A `keras.Model`.
        """
        images = keras.Input(shape=self.input_shape, name="images")
        x = keras.layers.Flatten()(images)
        x = dense_stack(x, self.hidden_units, self.dropout_rate)
        codes = keras.layers.Dense(self.latent_dim, name="z")(x)
        return keras.Model(images, codes, name="encoder")

    def build_decoder(self):
        """Builds the decoder: `(latent_dim,) -> input_shape` in [0, 1].

        Returns:
            A `keras.Model`.
        """
        codes = keras.Input(shape=(self.latent_dim,), name="z")
        return keras.Model(codes, self._decode_from(codes), name="decoder")

    def _decode_from(self, x):
        x = dense_stack(x, self.hidden_units[::-1], self.dropout_rate)
        x = keras.layers.Dense(math.prod(self.input_shape), activation="sigmoid")(x)
        return keras.layers.Reshape(self.input_shape)(x)

    def build_discriminator(self):
        """Builds the discriminator: `(latent_dim,) -> (1,)`, a probability.

        Returns:
            A `keras.Model`.
        """
        codes = keras.Input(shape=(self.latent_dim,), name="z")
        return keras.Model(
            codes, self._score(codes, "validity"), name="discriminator"
        )

    def _score(self, x, name):
        x = dense_stack(x, self.discriminator_units, self.discriminator_dropout_rate)
        return keras.layers.Dense(1, activation="sigmoid", name=name)(x)

    def build_combined(self):
        """Builds Keras-GAN's `adversarial_autoencoder` on the same layers.

        Returns:
            A `keras.Model`: `x -> [reconstruction, validity of the code]`.
        """
        images = keras.Input(shape=self.input_shape, name="images")
        codes = self.encoder(images)
        return keras.Model(
            images, [self.decoder(codes), self.discriminator(codes)],
            name="combined",
        )

    def call(self, inputs, training=False):
        codes = self.encoder(inputs, training=training)
        return self.decoder(codes, training=training)

    # Compilation.

    def player_variables(self):
        encoder = self.encoder.trainable_variables
        return {
            "ae_optimizer": encoder + self.decoder.trainable_variables,
            "d_optimizer": self.discriminator.trainable_variables,
            "g_optimizer": encoder,
        }

    def compile(self, ae_optimizer=None, d_optimizer=None, g_optimizer=None, **kwargs):
        """Configures training. The losses are built in: pass optimizers.

        Args:
            ae_optimizer: Optimizer (instance, name or config) of the
                reconstruction phase, on the encoder and decoder. Defaults to
                a new Adam(6e-4).
            d_optimizer: Optimizer of the discriminator. Defaults to a new
                Adam(8e-4).
            g_optimizer: Optimizer of the regularization phase, on the
                encoder. Defaults to a new Adam(8e-4).
            **kwargs: `run_eagerly`, `steps_per_execution` or `jit_compile`,
                as in `keras.Model.compile()`.
        """
        self.compile_players(
            self.default_optimizers(
                ae_optimizer=ae_optimizer, d_optimizer=d_optimizer,
                g_optimizer=g_optimizer,
            ),
            **kwargs,
        )

    def default_optimizers(self, **optimizers):
        """Replaces each `None` by a new Adam with the phase's learning rate."""
        return {
            name: (
                keras.optimizers.Adam(self.default_learning_rates[name])
                if optimizer is None else optimizer
            )
            for name, optimizer in optimizers.items()
        }

    # Training.

    def unpack_batch(self, data):
        """Returns what the phases receive: a dict with the inputs `"x"`."""
        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        return {"x": x}

    def _as_batch(self, batch):
        # The phases can also be called by hand, on NumPy data.
        if not isinstance(batch, dict):
            batch = self._batch_from_arrays(batch)
        return keras.tree.map_structure(ops.convert_to_tensor, batch)

    def _batch_from_arrays(self, batch):
        return {"x": batch}

    def encode_batch(self, batch, training):
        """Runs the encoder on the batch's inputs; its output is the code."""
        return self.encoder(batch["x"], training=training)

    def sample_prior_codes(self, batch):
        """Draws one prior sample per input of the batch, with the saved seed."""
        return self.prior.sample(
            ops.shape(batch["x"])[0], seed=self.latent_sampler.seed_generator
        )

    def compute_reconstruction_loss(self, batch, training=True):
        """The reconstruction loss of one batch.

        Args:
            batch: Dict from `unpack_batch`.
            training: Whether the encoder and decoder run in training mode.

        Returns:
            A scalar tensor.
        """
        codes = self.encode_batch(batch, training)
        return reconstruction_loss(
            batch["x"], self.decoder(codes, training=training)
        )

    def reconstruction_step(self, batch):
        """Updates the encoder and decoder; the discriminator is untouched.

        Args:
            batch: Dict from `unpack_batch` (or an array of inputs).

        Returns:
            Dict of the step's `reconstruction_loss`.
        """
        batch = self._as_batch(batch)
        loss, _ = backend.minimize(
            lambda: (self.compute_reconstruction_loss(batch), None),
            self.player_variables()["ae_optimizer"],
            self.get_optimizer("ae_optimizer"),
        )
        return {"reconstruction_loss": loss}

    def discriminator_step(self, batch):
        """Updates the discriminator; the encoder and decoder are untouched.

        Args:
            batch: Dict from `unpack_batch` (or an array of inputs).

        Returns:
            Dict of the step's `d_loss`, `d_acc`, `d_prior` and `d_code`.
        """
        batch = self._as_batch(batch)
        codes = keras.tree.map_structure(
            ops.stop_gradient, self.encode_batch(batch, training=False)
        )
        prior_codes = self.sample_prior_codes(batch)
        loss, logs = backend.minimize(
            lambda: self.compute_discriminator_loss(prior_codes, codes),
            self.discriminator.trainable_variables,
            self.get_optimizer("d_optimizer"),
        )
        return {"d_loss": loss, **_rename_discriminator_logs(logs)}

    def regularization_step(self, batch):
        """Updates the encoder against the frozen discriminator.

        Args:
            batch: Dict from `unpack_batch` (or an array of inputs).

        Returns:
            Dict of the step's `g_loss`.
        """
        batch = self._as_batch(batch)
        # `compute_generator_loss` runs `self.generator`, the encoder, in
        # training mode and the discriminator frozen.
        loss, _ = backend.minimize(
            lambda: self.compute_generator_loss(batch["x"]),
            self.generator.trainable_variables,
            self.get_optimizer("g_optimizer"),
        )
        return {"g_loss": loss}

    def test_step(self, data):
        # The same quantities as in training, in inference mode, no update.
        self.update_trackers(self.compute_test_logs(self.unpack_batch(data)))
        return {tracker.name: tracker.result() for tracker in self.metrics}

    def compute_test_logs(self, batch):
        """Every metric of one batch, in inference mode, without updates."""
        codes = self.encode_batch(batch, training=False)
        d_loss, d_logs = self.compute_discriminator_loss(
            self.sample_prior_codes(batch), codes, training=False
        )
        g_loss, _ = self.compute_generator_loss(batch["x"], training=False)
        return {
            "reconstruction_loss": self.compute_reconstruction_loss(
                batch, training=False
            ),
            "d_loss": d_loss,
            "g_loss": g_loss,
            **_rename_discriminator_logs(d_logs),
        }

    # Input checks and NumPy helpers.

    def _check_batch(self, x, name):
        # A target `y` is ignored by this model.
        if name != "y" and is_array_like(x):
            check_data(x, name, self.input_shape)
            check_unit_interval(x, name)

    def sample_prior(self, num_samples, seed=None, labels=None):
        """Draws codes from the model's prior, with NumPy.

        Args:
            num_samples: Number of codes.
            seed: Optional integer seed, for the same codes on every call.
            labels: Optional integer labels for a prior with classes (the
                mixture's component of each code).

        Returns:
            NumPy array of shape `(num_samples, latent_dim)`.
        """
        return self.prior.sample_numpy(num_samples, seed=seed, labels=labels)

    def get_config(self):
        base_config = super().get_config()
        config = {
            "prior": keras.saving.serialize_keras_object(self.prior),
            "hidden_units": list(self.hidden_units),
            "discriminator_units": list(self.discriminator_units),
            "dropout_rate": self.dropout_rate,
            "discriminator_dropout_rate": self.discriminator_dropout_rate,
        }
        return {**base_config, **config}


def _rename_discriminator_logs(logs):
    # The base class names the scores as in a GAN (`D(x)`, `D(G(z))`); here
    # the "real" samples come from the prior and the "fakes" are codes.
    return {"d_acc": logs["d_acc"], "d_prior": logs["d_x"], "d_code": logs["d_g_z1"]}


class ClassConditionalDecoding:
    """Mixin for adversarial autoencoders with classes, decoding `[label, z]`.

    Gives the decoder on `[one-hot label, z]`, the checks of integer labels
    (`y`, `validation_data`), `num_classes` in the config, and the NumPy
    helpers `decode(z, labels)` (which the style pictures,
    `keras_gen.callbacks.style_grid.StyleGrid`, use),
    `generate(num_samples, labels=...)` and `reconstruct(x, labels)`. The
    model sets `num_classes` before building, and has `latent_dim`, `prior`,
    `encode` and `_decode_from` (as `AdversarialAutoencoder`, which must come
    after this mixin among the bases).

    Attributes:
        label_input_name: Name of the decoder's label input.
    """

    label_input_name = "labels"

    def build_decoder(self):
        """Builds the decoder: `[one-hot label, z] -> input_shape` in [0, 1].

        The label input is named `label_input_name`; in training it may also
        take class probabilities (the semi-supervised encoder's `y`).

        Returns:
            A `keras.Model` with the inputs `[labels, z]`.
        """
        labels = keras.Input(shape=(self.num_classes,), name=self.label_input_name)
        codes = keras.Input(shape=(self.latent_dim,), name="z")
        x = keras.layers.Concatenate()([labels, codes])
        return keras.Model([labels, codes], self._decode_from(x), name="decoder")

    def fit(self, x=None, y=None, *args, **kwargs):
        # `GenerativeModel.fit` checks only the inputs of `validation_data`.
        check_validation_labels(kwargs.get("validation_data"), self.num_classes)
        return super().fit(x, y, *args, **kwargs)

    def _check_batch(self, x, name):
        if name == "y":
            if is_array_like(x):
                priors.check_label_array(x, "y", self.num_classes)
            return
        super()._check_batch(x, name)

    def one_hot(self, labels, num_examples=None, name="labels"):
        """Checks integer labels and returns their float32 one-hot vectors."""
        labels = priors.check_label_array(labels, name, self.num_classes, num_examples)
        return np.eye(self.num_classes, dtype="float32")[labels]

    def decode(self, z, labels=None, batch_size=DEFAULT_BATCH_SIZE):
        """Decodes style codes `z` with the class `labels`.

        Args:
            z: Array of shape `(num_examples, latent_dim)`.
            labels: Integer labels in `[0, num_classes)`, one per code.
            batch_size: Examples per batch.

        Returns:
            NumPy array of shape `(num_examples, *input_shape)`.
        """
        z = np.asarray(z, dtype="float32")
        check_data(z, "z", (self.latent_dim,))
        if labels is None:
            raise ValueError(
                f"{type(self).__name__}.decode() needs the class of each code: "
                f"pass `labels`, integers in [0, {self.num_classes}). "
                "Received: labels=None"
            )
        return predict_inputs_in_batches(
            self.decoder, [self.one_hot(labels, len(z)), z], batch_size
        )

    def generate(self, num_samples, seed=None, labels=None):
        """Decodes prior samples of the style with the given classes.

        Args:
            num_samples: Number of samples.
            seed: Optional integer seed of the styles (and of the classes,
                when `labels` is None).
            labels: Integer labels, one per sample; drawn uniformly at
                random if None.

        Returns:
            NumPy array of shape `(num_samples, *input_shape)`.
        """
        z = self.sample_prior(num_samples, seed)
        if labels is None:
            rng = np.random.default_rng(seed)
            labels = rng.integers(0, self.num_classes, num_samples)
        return self.decode(z, labels)

    def reconstruct(self, x, labels=None, batch_size=DEFAULT_BATCH_SIZE):
        """Encodes inputs to styles and decodes them with `labels`.

        Args:
            x: Array of shape `(num_examples, *input_shape)`.
            labels: Integer labels, one per example (their own, or others to
                redraw the same styles as other classes).
            batch_size: Examples per batch.

        Returns:
            NumPy array with the shape of `x`.
        """
        return self.decode(self.encode(x, batch_size), labels, batch_size)

    def get_config(self):
        base_config = super().get_config()
        return {**base_config, "num_classes": self.num_classes}
