"""The variational autoencoder of the Keras, W&B and Paperspace posts."""

import math

import keras
from keras import ops

from keras_gen import backend
from keras_gen import losses
from keras_gen import priors
from keras_gen.layers import Sampling
from keras_gen.models.base import (
    DEFAULT_BATCH_SIZE,
    GenerativeModel,
)
from keras_gen.validation import (
    check_choice,
    check_non_negative_float,
    check_positive_int,
    check_shape,
)

RECONSTRUCTION_LOSSES = {
    # The W&B blog: `mse(inputs, outputs) * original_dim`.
    "mse": losses.sum_squared_error,
    # The Paperspace post: binary cross-entropy summed over the pixels.
    "binary_crossentropy": losses.binary_crossentropy_sum,
}


@keras.saving.register_keras_serializable(package="keras_gen")
class VariationalAutoencoder(GenerativeModel):
    """A dense variational autoencoder with a standard normal prior.

    The encoder maps an input to `[z_mean, z_log_var, z]`, where `z` is drawn
    with the reparameterization trick by a seeded `keras_gen.layers.Sampling`
    layer (the blog's `sampling` Lambda); the decoder maps `z` back to
    `input_shape` through a sigmoid, so inputs are expected in [0, 1].

    The loss is `reconstruction + beta * KL` per example, averaged over the
    batch, plus anything else added with `add_loss()` during the forward
    pass (the penalty of a weight regularizer you put on your own layers).
    `beta=1` is the VAE's negative ELBO; `beta > 1` is the β-VAE of Higgins
    et al. (2017), which trades reconstruction for a code closer to the
    prior (more disentangled factors). The loss is built in, so compile
    with an optimizer only: `vae.compile("adam")`. The history tracks
    `loss`, `reconstruction_loss` and `kl_loss`, the KL term unweighted
    (without `beta`) and without the other `add_loss()` terms.

    ```python
    beta_vae = keras_gen.VariationalAutoencoder(latent_dim=10, beta=4.0)
    beta_vae.compile("adam")
    beta_vae.fit(x_train, epochs=50, batch_size=128)  # x in [0, 1], (n, 784)
    ```

    Args:
        input_shape: Shape of one example, e.g. `(784,)` or `(28, 28, 1)`.
        original_dim: Number of features of one example; defaults to (and
            must equal) the product of `input_shape`. It scales the MSE
            reconstruction loss, as in the blog.
        intermediate_dim: Units of the hidden layer on each side.
        latent_dim: Size of the latent code.
        reconstruction_loss: `"mse"` (squared error summed over the features,
            i.e. MSE times `original_dim`, the W&B blog) or
            `"binary_crossentropy"` (summed over the pixels, the Paperspace
            post; with it the loss is the negative ELBO in nats).
        beta: Weight of the KL term, >= 0: 1 for the VAE, > 1 for a β-VAE.
        seed: Optional integer seed of the sampling noise.
        **kwargs: Base model arguments such as `name`.
    """

    def __init__(
        self,
        input_shape=(784,),
        original_dim=None,
        intermediate_dim=512,
        latent_dim=2,
        reconstruction_loss="mse",
        beta=1.0,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.input_shape = check_shape(input_shape, "input_shape")
        features = math.prod(self.input_shape)
        if original_dim is None:
            original_dim = features
        self.original_dim = check_positive_int(original_dim, "original_dim")
        if self.original_dim != features:
            raise ValueError(
                "`original_dim` must equal the number of features of one "
                f"example, {features} for input_shape={self.input_shape}. "
                f"Received: original_dim={original_dim}"
            )
        self.intermediate_dim = check_positive_int(
            intermediate_dim, "intermediate_dim"
        )
        self.latent_dim = check_positive_int(latent_dim, "latent_dim")
        self.prior = priors.Gaussian(self.latent_dim, std=1.0)  # What generate() samples.
        self.reconstruction_loss = check_choice(
            reconstruction_loss, "reconstruction_loss", RECONSTRUCTION_LOSSES
        )
        self.beta = check_non_negative_float(beta, "beta")
        self.seed = seed
        self.encoder = self.build_encoder()
        self.decoder = self.build_decoder()
        # A subclass with its own `train_step` (and `metric_names`) has them.
        trackers = self.trackers or {}
        self.reconstruction_loss_tracker = trackers.get(
            "reconstruction_loss", keras.metrics.Mean(name="reconstruction_loss"))
        self.kl_loss_tracker = trackers.get("kl_loss", keras.metrics.Mean(name="kl_loss"))
        self.build((None, *self.input_shape))

    def build_encoder(self):
        """Builds the encoder: `input_shape -> [z_mean, z_log_var, z]`.

        An override must return a model with these three outputs, each of
        shape `(latent_dim,)`; reuse `Sampling(seed=self.seed)` for `z`.

        Returns:
            A `keras.Model`.
        """
        inputs = keras.Input(shape=self.input_shape, name="encoder_input")
        x = keras.layers.Flatten()(inputs)
        x = keras.layers.Dense(self.intermediate_dim, activation="relu")(x)
        z_mean = keras.layers.Dense(self.latent_dim, name="z_mean")(x)
        z_log_var = keras.layers.Dense(self.latent_dim, name="z_log_var")(x)
        z = Sampling(seed=self.seed, name="z")([z_mean, z_log_var])
        return keras.Model(inputs, [z_mean, z_log_var, z], name="encoder")

    def build_decoder(self):
        """Builds the decoder: `(latent_dim,) -> input_shape` in [0, 1].

        Returns:
            A `keras.Model`.
        """
        z = keras.Input(shape=(self.latent_dim,), name="z_sampling")
        x = keras.layers.Dense(self.intermediate_dim, activation="relu")(z)
        x = keras.layers.Dense(self.original_dim, activation="sigmoid")(x)
        outputs = keras.layers.Reshape(self.input_shape)(x)
        return keras.Model(z, outputs, name="decoder")

    def call(self, inputs, training=False):
        z_mean, z_log_var, z = self.encoder(inputs, training=training)
        self.keep_kl_loss(z_mean, z_log_var)
        return self.decoder(z, training=training)

    def keep_kl_loss(self, z_mean, z_log_var):
        """Keeps the batch's mean KL term for `loss_terms()`, run next in the step.

        Not `add_loss()`: the loss needs the KL term apart from the other
        terms added there (a regularizer's), and on JAX Keras' trainer
        returns those to the model as one list, whoever added them.
        """
        self._batch_kl_loss = ops.mean(losses.kl_divergence(z_mean, z_log_var))

    def compile(self, optimizer="adam", **kwargs):
        """Configures training. The loss is built in: pass an optimizer.

        Args:
            optimizer: Optimizer name or instance.
            **kwargs: Other `keras.Model.compile()` arguments, e.g. `metrics`.
        """
        if kwargs.get("loss") is not None:
            raise ValueError(
                "VariationalAutoencoder computes its own loss (reconstruction "
                "+ KL); choose the reconstruction term with "
                "`reconstruction_loss=` when building the model. Received: "
                f"loss={kwargs['loss']!r}"
            )
        super().compile(optimizer=optimizer, **kwargs)

    def compute_loss(
        self, x=None, y=None, y_pred=None, sample_weight=None, training=True
    ):
        loss, reconstruction_loss, kl_loss = self.loss_terms(x, y_pred, sample_weight)
        self.reconstruction_loss_tracker.update_state(reconstruction_loss)
        self.kl_loss_tracker.update_state(kl_loss)
        # As Keras' own losses: under `tf.distribute`, this replica's share.
        return backend.scale_for_replicas(loss)

    def loss_terms(self, x, reconstruction, sample_weight=None):
        """The batch's loss and its terms, after a forward pass of the model.

        Args:
            x: The inputs, `(batch_size, *input_shape)`.
            reconstruction: The model's outputs for them.
            sample_weight: Optional weights of the examples.

        Returns:
            `(loss, reconstruction_loss, kl_loss)`: scalars, `loss` the
            reconstruction plus `beta` times the KL term plus any other
            `add_loss()` term of the forward pass.
        """
        per_example = RECONSTRUCTION_LOSSES[self.reconstruction_loss](x, reconstruction)
        reconstruction_loss = losses.weighted_mean(per_example, sample_weight)
        kl_loss = self._batch_kl_loss  # Of the forward pass just run.
        # The `add_loss()` terms (regularizers) count in the loss only.
        loss = reconstruction_loss + self.beta * kl_loss + sum(self.losses)
        return loss, reconstruction_loss, kl_loss

    def encode(self, x, batch_size=DEFAULT_BATCH_SIZE, sample=False):
        """Encodes inputs to latent codes.

        Args:
            x: Array of shape `(num_examples, *input_shape)`.
            batch_size: Examples per batch.
            sample: If `False` (default), returns the mean of q(z|x), as the
                blog's latent plots do; if `True`, a sample `z`.

        Returns:
            NumPy array of shape `(num_examples, latent_dim)`.
        """
        z_mean, _, z = super().encode(x, batch_size)
        return z if sample else z_mean

    def get_config(self):
        base_config = super().get_config()
        config = {
            "input_shape": self.input_shape,
            "original_dim": self.original_dim,
            "intermediate_dim": self.intermediate_dim,
            "latent_dim": self.latent_dim,
            "reconstruction_loss": self.reconstruction_loss,
            "beta": self.beta,
            "seed": self.seed,
        }
        return {**base_config, **config}
