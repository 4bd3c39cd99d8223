"""The dense autoencoder of the Keras and W&B blogs."""

import math

import keras

from keras_gen.models.base import GenerativeModel
from keras_gen.validation import check_positive_int, check_shape


@keras.saving.register_keras_serializable(package="keras_gen")
class Autoencoder(GenerativeModel):
    """A dense autoencoder trained to reproduce its input with MSE.

    The encoder is `Flatten -> Dense(intermediate_dim, relu) ->
    Dense(latent_space, latent_activation)` and the decoder mirrors it with a
    sigmoid output reshaped to `input_shape`, so inputs are expected in
    [0, 1]. Override `build_encoder()` and `build_decoder()` to change the
    networks (for example to convolutions); everything else keeps working.

    Train with inputs only, as in the blog: `ae.compile("adam")` then
    `ae.fit(x_train, epochs=..., validation_data=(x_test,))`. A target, if
    given, is used as it is.

    Args:
        input_shape: Shape of one example, e.g. `(784,)` or `(28, 28, 1)`.
        latent_space: Size of the code (the blog's `encoding_dim`).
        intermediate_dim: Units of the hidden layer on each side.
        latent_activation: Activation of the code layer; the blog uses
            `"relu"`. Use `None` for a linear code.
        **kwargs: Base model arguments such as `name`.
    """

    def __init__(
        self,
        input_shape=(784,),
        latent_space=32,
        intermediate_dim=128,
        latent_activation="relu",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.input_shape = check_shape(input_shape, "input_shape")
        self.latent_space = check_positive_int(latent_space, "latent_space")
        self.intermediate_dim = check_positive_int(
            intermediate_dim, "intermediate_dim"
        )
        self.latent_activation = latent_activation
        self.encoder = self.build_encoder()
        self.decoder = self.build_decoder()
        self.build((None, *self.input_shape))

    @property
    def latent_dim(self):
        """Size of the latent code (the same as `latent_space`)."""
        return self.latent_space

    @property
    def original_dim(self):
        """Number of features of one example."""
        return math.prod(self.input_shape)

    def build_encoder(self):
        """Builds the encoder: `input_shape -> (latent_space,)`.

        Returns:
            A `keras.Model`.
        """
        inputs = keras.Input(shape=self.input_shape, name="encoder_input")
        x = keras.layers.Flatten()(inputs)
        x = keras.layers.Dense(self.intermediate_dim, activation="relu")(x)
        code = keras.layers.Dense(
            self.latent_space, activation=self.latent_activation, name="code"
        )(x)
        return keras.Model(inputs, code, name="encoder")

    def build_decoder(self):
        """Builds the decoder: `(latent_space,) -> input_shape` in [0, 1].

        Returns:
            A `keras.Model`.
        """
        code = keras.Input(shape=(self.latent_space,), name="decoder_input")
        x = keras.layers.Dense(self.intermediate_dim, activation="relu")(code)
        x = keras.layers.Dense(self.original_dim, activation="sigmoid")(x)
        outputs = keras.layers.Reshape(self.input_shape)(x)
        return keras.Model(code, outputs, name="decoder")

    def call(self, inputs, training=False):
        return self.decoder(self.encoder(inputs, training=training), training=training)

    def compile(self, optimizer="adam", loss="mse", **kwargs):
        """Configures training; the defaults are the blog's.

        Args:
            optimizer: Optimizer name or instance.
            loss: Reconstruction loss, mean squared error by default.
            **kwargs: Other `keras.Model.compile()` arguments.
        """
        super().compile(optimizer=optimizer, loss=loss, **kwargs)

    def compute_loss(
        self, x=None, y=None, y_pred=None, sample_weight=None, training=True
    ):
        # An autoencoder's target is its own (clean) input.
        if y is None:
            y = x
        return super().compute_loss(
            x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=training
        )

    def get_config(self):
        base_config = super().get_config()
        config = {
            "input_shape": self.input_shape,
            "latent_space": self.latent_space,
            "intermediate_dim": self.intermediate_dim,
            "latent_activation": self.latent_activation,
        }
        return {**base_config, **config}
