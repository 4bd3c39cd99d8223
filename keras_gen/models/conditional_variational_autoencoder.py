"""The conditional variational autoencoder: the label into the encoder and the decoder."""

import keras

from keras_gen import backend
from keras_gen.layers import Sampling
from keras_gen.models.base import DEFAULT_BATCH_SIZE, predict_in_batches
from keras_gen.models.variational_autoencoder import VariationalAutoencoder
from keras_gen.validation import check_data, check_num_classes

METRIC_NAMES = ("loss", "reconstruction_loss", "kl_loss")


@keras.saving.register_keras_serializable(package="keras_gen")
class ConditionalVariationalAutoencoder(VariationalAutoencoder):
    """A variational autoencoder given the class of each example (Sohn et al. 2015).

    The encoder reads `[one-hot label, x]` and the decoder `[one-hot label,
    z]`, each concatenating the label to its input, so the code `z` only
    needs what the label does not say (the style) and `generate(n,
    labels=...)` draws the class asked for. Otherwise it is the
    `VariationalAutoencoder`: the same hidden layer on each side, the loss
    `reconstruction + beta * KL` with `kl_loss` unweighted in the history,
    inputs in [0, 1].

    `fit(x, y)` and `evaluate(x, y)` take integer labels in
    `[0, num_classes)`, checked before the first step; `encode`, `decode`
    and `reconstruct` take them as `labels=`.

    ```python
    cvae = keras_gen.ConditionalVariationalAutoencoder(num_classes=10)
    cvae.compile("adam")
    cvae.fit(x_train, y_train, epochs=50, batch_size=128)  # x in [0, 1], (n, 784)
    sevens = cvae.generate(16, labels=[7] * 16, seed=0)
    ```

    Args:
        input_shape: Shape of one example, e.g. `(784,)` or `(28, 28, 1)`.
        num_classes: Number of classes of the labels.
        original_dim: Number of features of one example (see
            `VariationalAutoencoder`).
        intermediate_dim: Units of the hidden layer on each side.
        latent_dim: Size of the latent code.
        reconstruction_loss: `"mse"` or `"binary_crossentropy"` (see
            `VariationalAutoencoder`).
        beta: Weight of the KL term, >= 0.
        seed: Optional integer seed of the sampling noise.
        **kwargs: Base model arguments such as `name`.
    """

    def __init__(
        self,
        input_shape=(784,),
        num_classes=10,
        original_dim=None,
        intermediate_dim=512,
        latent_dim=2,
        reconstruction_loss="mse",
        beta=1.0,
        seed=None,
        **kwargs,
    ):
        # Set before the networks are built: they take the labels.
        self.num_classes = check_num_classes(num_classes)
        super().__init__(
            input_shape=input_shape,
            original_dim=original_dim,
            intermediate_dim=intermediate_dim,
            latent_dim=latent_dim,
            reconstruction_loss=reconstruction_loss,
            beta=beta,
            seed=seed,
            metric_names=METRIC_NAMES,  # Its own train_step's history.
            **kwargs,
        )

    def build_encoder(self):
        """Builds `[labels (num_classes,), x] -> [z_mean, z_log_var, z]`."""
        labels = keras.Input(shape=(self.num_classes,), name="labels")
        inputs = keras.Input(shape=self.input_shape, name="encoder_input")
        x = keras.layers.Concatenate()([keras.layers.Flatten()(inputs), labels])
        x = keras.layers.Dense(self.intermediate_dim, activation="relu")(x)
        z_mean = keras.layers.Dense(self.latent_dim, name="z_mean")(x)
        z_log_var = keras.layers.Dense(self.latent_dim, name="z_log_var")(x)
        z = Sampling(seed=self.seed, name="z")([z_mean, z_log_var])
        return keras.Model([labels, inputs], [z_mean, z_log_var, z], name="encoder")

    def build_decoder(self):
        """Builds `[labels (num_classes,), z] -> input_shape` in [0, 1]."""
        labels = keras.Input(shape=(self.num_classes,), name="labels")
        z = keras.Input(shape=(self.latent_dim,), name="z_sampling")
        x = keras.layers.Concatenate()([z, labels])
        x = keras.layers.Dense(self.intermediate_dim, activation="relu")(x)
        x = keras.layers.Dense(self.original_dim, activation="sigmoid")(x)
        outputs = keras.layers.Reshape(self.input_shape)(x)
        return keras.Model([labels, z], outputs, name="decoder")

    def build(self, input_shape=None):
        self.built = True  # The networks are functional, built on creation.

    def call(self, inputs, training=False):
        """Reconstructs `[one-hot labels, x]`: the labelled batch through both networks."""
        labels, x = inputs
        z_mean, z_log_var, z = self.encoder([labels, x], training=training)
        self.keep_kl_loss(z_mean, z_log_var)
        return self.decoder([labels, z], training=training)

    def train_step(self, data):
        x, labels = self.unpack_batch(data)

        def loss_fn():
            reconstruction = self([labels, x], training=True)
            loss, reconstruction_loss, kl_loss = self.loss_terms(x, reconstruction)
            return loss, (reconstruction_loss, kl_loss)

        loss, (reconstruction_loss, kl_loss) = backend.minimize(
            loss_fn, self.trainable_variables, self.optimizer)
        return self.update_metrics(
            {"loss": loss, "reconstruction_loss": reconstruction_loss, "kl_loss": kl_loss})

    def test_step(self, data):
        x, labels = self.unpack_batch(data)
        loss, reconstruction_loss, kl_loss = self.loss_terms(x, self([labels, x]))
        return self.update_metrics(
            {"loss": loss, "reconstruction_loss": reconstruction_loss, "kl_loss": kl_loss})

    def encode(self, x, *, labels, batch_size=DEFAULT_BATCH_SIZE, sample=False):
        """Encodes labelled inputs to latent codes.

        Args:
            x: Array of shape `(num_examples, *input_shape)`.
            labels: The integer class of each example, in `[0, num_classes)`.
            batch_size: Examples per batch.
            sample: If `False` (default), the mean of q(z|x, y); if `True`,
                a sample `z`.

        Returns:
            NumPy array of shape `(num_examples, latent_dim)`.
        """
        check_data(x, "x", self.input_shape)
        z_mean, _, z = predict_in_batches(
            self.encoder, [self.one_hot(labels, len(x)), x], batch_size)
        return z if sample else z_mean

    def reconstruct(self, x, *, labels, batch_size=DEFAULT_BATCH_SIZE):
        """Encodes then decodes labelled inputs, with their labels.

        Args:
            x: Array of shape `(num_examples, *input_shape)`.
            labels: The integer class of each example.
            batch_size: Examples per batch.

        Returns:
            NumPy array with the shape of `x`.
        """
        codes = self.encode(x, labels=labels, batch_size=batch_size)
        return self.decode(codes, labels=labels, batch_size=batch_size)

    def get_config(self):
        base_config = super().get_config()
        return {**base_config, "num_classes": self.num_classes}
