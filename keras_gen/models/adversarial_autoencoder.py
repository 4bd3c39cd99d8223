"""The adversarial autoencoder of Makhzani et al. and the Paperspace post."""

import math

import keras
from keras import ops

from keras_gen import backend
from keras_gen import losses
from keras_gen import priors
from keras_gen.layers import LatentSampler
from keras_gen.models.adversarial import frozen
from keras_gen.models.base import GenerativeModel
from keras_gen.validation import (
    check_choice,
    check_non_negative_float,
    check_positive_int,
    check_shape,
    check_units,
)

# The Paperspace post's optimizers: Adam with PyTorch's default betas.
RECONSTRUCTION_LEARNING_RATE = 6e-4
REGULARIZATION_LEARNING_RATE = 8e-4

# `reconstruction_loss` -> the reconstruction phase's loss.
RECONSTRUCTION_LOSSES = {
    "binary_crossentropy": losses.pixel_binary_crossentropy,
    "squared_error": losses.half_squared_error,
}

METRIC_NAMES = (
    "reconstruction_loss", "d_loss", "g_loss", "d_acc", "d_prior", "d_code",
)


def dense_stack(x, units, dropout_rate):
    """`Dense(relu) -> Dropout` for each size in `units`.

    The post puts dropout before the ReLU; both orders give the same output,
    since dropout multiplies by a non-negative factor.
    """
    for size in units:
        x = keras.layers.Dense(size, activation="relu")(x)
        if dropout_rate > 0:
            x = keras.layers.Dropout(dropout_rate)(x)
    return x


def mlp_encoder(
    input_shape, latent_dim, units, dropout_rate, num_classes=None, input_noise_std=0.0
):
    """The post's encoder: `Flatten -> units (ReLU, dropout) -> z` (linear).

    Args:
        input_shape: Shape of one input.
        latent_dim: Size of the code `z`.
        units: Hidden layer sizes.
        dropout_rate: Dropout after each hidden layer.
        num_classes: If given, a second head: the encoder outputs `[y, z]`,
            `y` a softmax over `num_classes` (the semi-supervised model).
        input_noise_std: If above 0, Gaussian noise of this standard
            deviation is added to the inputs in training (the paper's
            semi-supervised recipe: 0.3), by a `GaussianNoise` layer.

    Returns:
        A `keras.Model` named `"encoder"`.
    """
    images = keras.Input(shape=input_shape, name="images")
    x = keras.layers.Flatten()(images)
    if input_noise_std > 0:
        x = keras.layers.GaussianNoise(input_noise_std, name="input_noise")(x)
    x = dense_stack(x, units, dropout_rate)
    z = keras.layers.Dense(latent_dim, name="z")(x)
    if num_classes is None:
        return keras.Model(images, z, name="encoder")
    y = keras.layers.Dense(num_classes, activation="softmax", name="y")(x)
    return keras.Model(images, [y, z], name="encoder")


def mlp_decoder(
    input_shape, latent_dim, units, dropout_rate, num_classes=None,
    label_input_name="labels",
):
    """The post's decoder: `z -> units (ReLU, dropout) -> input_shape` (sigmoid).

    Args:
        input_shape: Shape of one output.
        latent_dim: Size of the code `z`.
        units: Hidden layer sizes.
        dropout_rate: Dropout after each hidden layer.
        num_classes: If given, the decoder takes `[labels, z]`: one-hot
            labels (or class probabilities) concatenated to `z`.
        label_input_name: Name of the label input.

    Returns:
        A `keras.Model` named `"decoder"`.
    """
    z = keras.Input(shape=(latent_dim,), name="z")
    inputs, x = z, z
    if num_classes is not None:
        labels = keras.Input(shape=(num_classes,), name=label_input_name)
        inputs, x = [labels, z], keras.layers.Concatenate()([labels, z])
    x = dense_stack(x, units, dropout_rate)
    x = keras.layers.Dense(math.prod(input_shape), activation="sigmoid")(x)
    outputs = keras.layers.Reshape(input_shape)(x)
    return keras.Model(inputs, outputs, name="decoder")


def mlp_code_discriminator(code_dim, units, dropout_rate, name="discriminator"):
    """The post's discriminator: `code -> units (ReLU, dropout) -> 1` (sigmoid).

    Returns:
        A `keras.Model` `(code_dim,) -> (1,)`, the probability that a code
        is a prior sample.
    """
    codes = keras.Input(shape=(code_dim,), name="z")
    x = dense_stack(codes, units, dropout_rate)
    validity = keras.layers.Dense(1, activation="sigmoid", name="validity")(x)
    return keras.Model(codes, validity, name=name)


def adam_unless(optimizer, learning_rate):
    """`optimizer`, or a new Adam with `learning_rate` (Keras' defaults else) if None."""
    if optimizer is None:
        return keras.optimizers.Adam(learning_rate)
    return optimizer


def check_architecture(
    input_shape, latent_dim, hidden_units, discriminator_units, dropout_rate,
    discriminator_dropout_rate,
):
    """Checks the arguments of the default networks; returns them checked."""
    return (
        check_shape(input_shape, "input_shape"),
        check_positive_int(latent_dim, "latent_dim"),
        check_units(hidden_units, "hidden_units"),
        check_units(discriminator_units, "discriminator_units"),
        check_non_negative_float(dropout_rate, "dropout_rate", upper=1.0),
        check_non_negative_float(
            discriminator_dropout_rate, "discriminator_dropout_rate", upper=1.0
        ),
    )


def check_batch(batch, keys, model):
    """Checks that a phase was given a dict with `keys`, as `unpack_batch` makes."""
    if not isinstance(batch, dict) or not set(keys) <= set(batch):
        raise ValueError(
            f"The phases of a {type(model).__name__} take a dict with "
            f"{', '.join(repr(key) for key in keys)}, as `unpack_batch()` "
            f"returns. Received: batch of type {type(batch).__name__}"
            + (f" with keys {sorted(batch)}" if isinstance(batch, dict) else "")
        )
    return batch


@keras.saving.register_keras_serializable(package="keras_gen")
class AdversarialAutoencoder(GenerativeModel):
    """An autoencoder whose codes are shaped into a prior by a discriminator.

    The encoder q(z|x) maps an input to a code `z`, the decoder p(x|z) maps
    it back through a sigmoid (inputs must lie in [0, 1]), and a latent
    discriminator learns to tell codes from samples of the prior p(z). Each
    batch runs three phases, each with its own optimizer (Makhzani et al.,
    "Adversarial Autoencoders"; the Paperspace post's training loop):

    1. `reconstruction_step`: the encoder and decoder (training mode, so
       with dropout) minimize the binary cross-entropy between the input and
       its reconstruction, averaged over pixels as in the post
       (`ae_optimizer`, Adam(6e-4)).
    2. `discriminator_step`: the discriminator learns prior samples as real
       and codes as fake, `losses.discriminator_loss` (`d_optimizer`,
       Adam(8e-4)). The codes come from the encoder in inference mode (the
       post's `Q.eval()`), without gradient: the encoder and decoder are
       untouched.
    3. `regularization_step`: the encoder, in training mode, minimizes
       `losses.generator_loss` of its codes scored by the frozen
       discriminator (`frozen()`: training mode, no gradient, a stateless
       call) (`g_optimizer`, Adam(8e-4), a second optimizer on the encoder
       as in the post). The decoder is not used.

    Metrics (per-epoch means of the per-step values):
    `reconstruction_loss` (binary cross-entropy per pixel; times 784 for
    nats per MNIST digit), `d_loss` and `g_loss` (both near `log 2 = 0.693`
    when codes and prior samples cannot be told apart), `d_acc` (the
    discriminator's accuracy at 0.5), `d_prior` and `d_code` (its mean score
    of the prior samples and of the codes, before its update).

    Defaults follow the post: encoder, decoder and discriminator with two
    hidden layers of 1000 ReLU units and dropout (0.25 in the encoder and
    decoder, 0.2 in the discriminator); a 2-D code with a Gaussian prior of
    standard deviation 5. Other priors plug in with `prior` (see
    `keras_gen.priors`), other networks with `encoder`, `decoder` and
    `discriminator`. `model.combined` is Keras-GAN's `adversarial_autoencoder`,
    `x -> [decoder(encoder(x)), discriminator(encoder(x))]`. Calling the
    model on inputs returns their reconstructions. `fit(x)` takes inputs
    only; a target `y` is ignored.

    ```python
    (x_train, y_train), (x_test, y_test) = keras_gen.data.load_dataset()
    aae = keras_gen.AdversarialAutoencoder(prior="mixture")
    aae.compile()
    aae.fit(x_train, epochs=20, batch_size=100)
    codes = aae.encode(x_test)
    digits = aae.generate(16, seed=0)  # decoded prior samples
    ```

    Args:
        input_shape: Shape of one input, e.g. `(784,)` or `(28, 28, 1)`.
        latent_dim: Size of the code.
        prior: The prior p(z): a `keras_gen.priors.Prior` with this
            `latent_dim`, or `"gaussian"` (std 5), `"mixture"` (10 Gaussians
            on a circle), `"uniform"` (on [-10, 10]^latent_dim).
        encoder: Optional `keras.Model`, `input_shape -> (latent_dim,)`; by
            default `mlp_encoder(...)`.
        decoder: Optional `keras.Model`, `(latent_dim,) -> input_shape` in
            [0, 1]; by default `mlp_decoder(...)`.
        discriminator: Optional `keras.Model`, `(latent_dim,) -> (1,)`
            probabilities; by default `mlp_code_discriminator(...)`.
        hidden_units: Hidden layer sizes of the default encoder (and,
            reversed, decoder).
        discriminator_units: Hidden layer sizes of the default discriminator.
        dropout_rate: Dropout in the default encoder and decoder.
        discriminator_dropout_rate: Dropout in the default discriminator.
        input_noise_std: Standard deviation of the Gaussian noise the
            default encoder adds to its inputs in training (0: none).
        reconstruction_loss: `"binary_crossentropy"` (averaged over pixels,
            the post's) or `"squared_error"` (half the squared Euclidean
            distance per example, averaged over the batch: the paper's).
        seed: Optional integer seed of the prior samples drawn in training.
        **kwargs: Base model arguments such as `name`.
    """

    network_names = ("encoder", "decoder", "discriminator")
    metric_names = METRIC_NAMES

    def __init__(
        self,
        input_shape=(784,),
        latent_dim=2,
        prior="gaussian",
        encoder=None,
        decoder=None,
        discriminator=None,
        hidden_units=(1000, 1000),
        discriminator_units=(1000, 1000),
        dropout_rate=0.25,
        discriminator_dropout_rate=0.2,
        input_noise_std=0.0,
        reconstruction_loss="binary_crossentropy",
        seed=None,
        **kwargs,
    ):
        (
            input_shape, latent_dim, hidden_units, discriminator_units,
            dropout_rate, discriminator_dropout_rate,
        ) = check_architecture(
            input_shape, latent_dim, hidden_units, discriminator_units,
            dropout_rate, discriminator_dropout_rate,
        )
        self.input_noise_std = check_non_negative_float(input_noise_std, "input_noise_std")
        self.reconstruction_loss = check_choice(
            reconstruction_loss, "reconstruction_loss", sorted(RECONSTRUCTION_LOSSES)
        )
        super().__init__(metric_names=self.metric_names, **kwargs)
        self.input_shape = input_shape
        self.seed = seed
        self.latent_dim = latent_dim
        self.prior = priors.get_prior(prior, latent_dim)
        self.hidden_units = hidden_units
        self.discriminator_units = discriminator_units
        self.dropout_rate = dropout_rate
        self.discriminator_dropout_rate = discriminator_dropout_rate
        # Its seed generator draws the prior samples; saved with the model.
        self.latent_sampler = LatentSampler(latent_dim, seed=seed, name="latent_sampler")
        if encoder is None:
            encoder = mlp_encoder(
                input_shape, latent_dim, hidden_units, dropout_rate,
                input_noise_std=self.input_noise_std,
            )
        if decoder is None:
            decoder = mlp_decoder(
                input_shape, latent_dim, hidden_units[::-1], dropout_rate
            )
        if discriminator is None:
            discriminator = mlp_code_discriminator(
                latent_dim, discriminator_units, discriminator_dropout_rate
            )
        self.encoder = encoder
        self.decoder = decoder
        self.discriminator = discriminator
        self.combined = self.build_combined()

    def build_combined(self):
        """Keras-GAN's `adversarial_autoencoder`: `x -> [reconstruction, validity]`."""
        images = keras.Input(shape=self.input_shape, name="images")
        codes = self.encoder(images)
        return keras.Model(
            images, [self.decoder(codes), self.discriminator(codes)],
            name="combined",
        )

    def call(self, inputs, training=False):
        return self.decoder(self.encoder(inputs, training=training), training=training)

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
        self.compile_players(self.players(ae_optimizer, d_optimizer, g_optimizer), **kwargs)

    def players(self, ae_optimizer, d_optimizer, g_optimizer):
        """The three phases' `{name: (optimizer, variables)}`, with the defaults.

        Args:
            ae_optimizer: Optimizer of the reconstruction phase, or None for
                a new Adam(6e-4).
            d_optimizer: Optimizer of the discriminator, or None for a new
                Adam(8e-4).
            g_optimizer: Optimizer of the regularization phase, or None for
                a new Adam(8e-4).

        Returns:
            Dict with `"ae_optimizer"` (on the encoder and decoder),
            `"d_optimizer"` (on the discriminator) and `"g_optimizer"` (on
            the encoder), each an `(optimizer, trainable variables)` pair,
            for `compile_players()`.
        """
        encoder = self.encoder.trainable_variables
        return {
            "ae_optimizer": (
                adam_unless(ae_optimizer, RECONSTRUCTION_LEARNING_RATE),
                encoder + self.decoder.trainable_variables,
            ),
            "d_optimizer": (
                adam_unless(d_optimizer, REGULARIZATION_LEARNING_RATE),
                self.discriminator.trainable_variables,
            ),
            "g_optimizer": (adam_unless(g_optimizer, REGULARIZATION_LEARNING_RATE), encoder),
        }

    # Training.

    def unpack_batch(self, data):
        """Returns what the phases receive: a dict with the inputs `"x"`."""
        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        return {"x": ops.convert_to_tensor(x)}

    def train_step(self, data):
        batch = self.unpack_batch(data)
        logs = self.reconstruction_step(batch)
        logs.update(self.discriminator_step(batch))
        logs.update(self.regularization_step(batch))
        return self.update_metrics(logs)

    def reconstruction_step(self, batch):
        """Updates the encoder and decoder; the discriminator is untouched.

        Args:
            batch: Dict from `unpack_batch`.

        Returns:
            Dict of the step's `reconstruction_loss`.
        """
        x = check_batch(batch, ["x"], self)["x"]

        def loss():
            codes = self.encoder(x, training=True)
            reconstruction = self.decoder(self.decoder_inputs(batch, codes), training=True)
            return RECONSTRUCTION_LOSSES[self.reconstruction_loss](x, reconstruction), None

        reconstruction_loss, _ = backend.minimize(
            loss,
            self.encoder.trainable_variables + self.decoder.trainable_variables,
            self.ae_optimizer,
        )
        return {"reconstruction_loss": reconstruction_loss}

    def discriminator_step(self, batch):
        """Updates the discriminator; the encoder and decoder are untouched.

        Args:
            batch: Dict from `unpack_batch`.

        Returns:
            Dict of the step's `d_loss`, `d_acc`, `d_prior` and `d_code`.
        """
        x = check_batch(batch, ["x"], self)["x"]
        codes = keras.tree.map_structure(
            ops.stop_gradient, self.encoder(x, training=False)
        )
        prior_codes = self.sample_prior_codes(ops.shape(x)[0])

        def loss():
            prior_scores = self.discriminator(prior_codes, training=True)
            code_scores = self.discriminator(codes, training=True)
            d_loss = losses.discriminator_loss(prior_scores, code_scores)
            return d_loss, (prior_scores, code_scores)

        d_loss, (prior_scores, code_scores) = backend.minimize(
            loss, self.discriminator.trainable_variables, self.d_optimizer
        )
        return {
            "d_loss": d_loss,
            "d_acc": losses.discriminator_accuracy(prior_scores, code_scores),
            "d_prior": ops.mean(prior_scores),
            "d_code": ops.mean(code_scores),
        }

    def regularization_step(self, batch):
        """Updates the encoder against the frozen discriminator.

        Args:
            batch: Dict from `unpack_batch`.

        Returns:
            Dict of the step's `g_loss`.
        """
        x = check_batch(batch, ["x"], self)["x"]

        def loss():
            code_scores = frozen(self.discriminator, self.encoder(x, training=True))
            return losses.generator_loss(code_scores), None

        g_loss, _ = backend.minimize(
            loss, self.encoder.trainable_variables, self.g_optimizer
        )
        return {"g_loss": g_loss}

    def test_step(self, data):
        # The same quantities as in training, in inference mode, no update.
        return self.update_metrics(self.test_logs(self.unpack_batch(data)))

    def test_logs(self, batch):
        """Every metric of one batch, in inference mode, without updates."""
        codes = self.encoder(batch["x"], training=False)
        prior_scores = self.discriminator(
            self.sample_prior_codes(ops.shape(batch["x"])[0]), training=False
        )
        code_scores = self.discriminator(codes, training=False)
        return {
            "reconstruction_loss": RECONSTRUCTION_LOSSES[self.reconstruction_loss](
                batch["x"], self.decoder(self.decoder_inputs(batch, codes), training=False)
            ),
            "d_loss": losses.discriminator_loss(prior_scores, code_scores),
            "g_loss": losses.generator_loss(code_scores),
            "d_acc": losses.discriminator_accuracy(prior_scores, code_scores),
            "d_prior": ops.mean(prior_scores),
            "d_code": ops.mean(code_scores),
        }

    def decoder_inputs(self, batch, codes):
        """What the decoder takes for the encoder's `codes`: here the codes as is."""
        return codes

    def get_config(self):
        base_config = super().get_config()
        config = {
            "input_shape": self.input_shape,
            "seed": self.seed,
            "latent_dim": self.latent_dim,
            "prior": keras.saving.serialize_keras_object(self.prior),
            "hidden_units": list(self.hidden_units),
            "discriminator_units": list(self.discriminator_units),
            "dropout_rate": self.dropout_rate,
            "discriminator_dropout_rate": self.discriminator_dropout_rate,
            "input_noise_std": self.input_noise_std,
            "reconstruction_loss": self.reconstruction_loss,
        }
        return {**base_config, **config}
