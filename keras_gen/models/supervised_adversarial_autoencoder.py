"""The supervised adversarial autoencoder: labels in, style in the code."""

import keras
from keras import ops

from keras_gen.models.adversarial_autoencoder import (
    AdversarialAutoencoder,
    check_architecture,
    mlp_decoder,
)
from keras_gen.models.base import one_hot_labels
from keras_gen.validation import check_num_classes


@keras.saving.register_keras_serializable(package="keras_gen")
class SupervisedAdversarialAutoencoder(AdversarialAutoencoder):
    """An adversarial autoencoder whose decoder is given the class.

    The decoder receives the one-hot label and the code, `[y, z]`, so the
    code `z`, shaped into the prior by the discriminator, only needs to hold
    what the label does not: the style (Makhzani et al., "Supervised
    Adversarial Autoencoders"; the Paperspace post's supervised model).
    Training runs the three phases of `AdversarialAutoencoder`, with the
    label fed to the decoder in the reconstruction phase; the metrics are
    the same.

    `fit(x, y)` takes integer labels in `[0, num_classes)`. The pictures
    decode fixed styles with every class: see
    `keras_gen.callbacks.style_grid.StyleGrid`, rows of fixed `z`, columns
    of the digits 0-9.

    ```python
    model = keras_gen.SupervisedAdversarialAutoencoder()
    model.compile()
    model.fit(x_train, y_train, epochs=20, batch_size=100)
    styles = model.encode(x_test[:8])
    sevens = model.decode(styles, labels=[7] * 8)  # the same styles, as 7s
    ```

    Calling the model on inputs returns their style codes (the decoder
    needs labels, which `call` does not take).

    Args:
        input_shape: Shape of one input.
        num_classes: Number of classes of the labels.
        latent_dim: Size of the style code.
        prior: The prior of the style code (see `AdversarialAutoencoder`).
        encoder: Optional `keras.Model`, `input_shape -> (latent_dim,)`.
        decoder: Optional `keras.Model` with the inputs
            `[one-hot labels (num_classes,), z (latent_dim,)]`, in that order;
            by default `mlp_decoder(..., num_classes=num_classes)`.
        discriminator: Optional `keras.Model`, `(latent_dim,) -> (1,)`.
        hidden_units: Hidden layer sizes of the default encoder (and,
            reversed, decoder).
        discriminator_units: Hidden layer sizes of the default discriminator.
        dropout_rate: Dropout in the default encoder and decoder.
        discriminator_dropout_rate: Dropout in the default discriminator.
        seed: Optional integer seed of the prior samples drawn in training.
        **kwargs: Base model arguments such as `name`.
    """

    def __init__(
        self,
        input_shape=(784,),
        num_classes=10,
        latent_dim=2,
        prior="gaussian",
        encoder=None,
        decoder=None,
        discriminator=None,
        hidden_units=(1000, 1000),
        discriminator_units=(1000, 1000),
        dropout_rate=0.25,
        discriminator_dropout_rate=0.2,
        seed=None,
        **kwargs,
    ):
        num_classes = check_num_classes(num_classes)
        if decoder is None:
            shape, code_dim, units, _, rate, _ = check_architecture(
                input_shape, latent_dim, hidden_units, discriminator_units,
                dropout_rate, discriminator_dropout_rate,
            )
            decoder = mlp_decoder(shape, code_dim, units[::-1], rate, num_classes)
        super().__init__(
            input_shape=input_shape,
            latent_dim=latent_dim,
            prior=prior,
            encoder=encoder,
            decoder=decoder,
            discriminator=discriminator,
            hidden_units=hidden_units,
            discriminator_units=discriminator_units,
            dropout_rate=dropout_rate,
            discriminator_dropout_rate=discriminator_dropout_rate,
            seed=seed,
            **kwargs,
        )
        self.num_classes = num_classes

    def build_combined(self):
        """Builds `[x, one-hot label] -> [reconstruction, validity of the code]`."""
        images = keras.Input(shape=self.input_shape, name="images")
        labels = keras.Input(shape=(self.decoder.inputs[0].shape[-1],), name="labels")
        codes = self.encoder(images)
        return keras.Model(
            [images, labels],
            [self.decoder([labels, codes]), self.discriminator(codes)],
            name="combined",
        )

    def call(self, inputs, training=False):
        return self.encoder(inputs, training=training)

    def unpack_batch(self, data):
        """Returns a dict with the inputs `"x"` and one-hot labels `"y"`."""
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        if y is None:
            raise ValueError(
                f"{type(self).__name__} trains on labelled data: call "
                "`fit(x, y)` with integer labels, or pass a dataset of (x, y). "
                "Received: no `y`"
            )
        x = ops.convert_to_tensor(x)
        return {"x": x, "y": one_hot_labels(y, self.num_classes, dtype=x.dtype)}

    def decoder_inputs(self, batch, codes):
        """The decoder takes the batch's one-hot labels and the codes."""
        return [ops.convert_to_tensor(batch["y"], dtype=codes.dtype), codes]

    def get_config(self):
        base_config = super().get_config()
        return {**base_config, "num_classes": self.num_classes}
