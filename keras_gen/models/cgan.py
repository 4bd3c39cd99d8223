"""Keras-GAN's conditional GAN, `cgan.py` (Mirza and Osindero 2014)."""

import math

import keras
from keras import ops

from keras_gen import losses
from keras_gen.models.gan import (
    GAN,
    discriminator_update,
    generator_update,
    label_embedding,
    mlp_generator,
)
from keras_gen.validation import check_non_negative_float, check_num_classes


def conditional_mlp_discriminator(input_shape, num_classes, units=(512, 512, 512),
                                  dropout_rate=0.4):
    """Keras-GAN's CGAN discriminator: `[labels, images] -> (1,)` probabilities.

    The flattened image is multiplied by the label's embedding (of the
    image's size, `label_embedding`), then `Dense -> LeakyReLU(0.2)` for
    each of `units`, with `Dropout(dropout_rate)` after every hidden layer
    but the first, and a sigmoid unit.
    """
    labels = keras.Input(shape=(num_classes,), name="labels")
    images = keras.Input(shape=input_shape, name="images")
    flat = keras.layers.Flatten()(images)
    x = keras.layers.Multiply()([flat, label_embedding(labels, math.prod(input_shape))])
    for index, size in enumerate(units):
        x = keras.layers.Dense(size)(x)
        x = keras.layers.LeakyReLU(negative_slope=0.2)(x)
        if index > 0 and dropout_rate:
            x = keras.layers.Dropout(dropout_rate)(x)
    validity = keras.layers.Dense(1, activation="sigmoid")(x)
    return keras.Model([labels, images], validity, name="discriminator")


@keras.saving.register_keras_serializable(package="keras_gen")
class CGAN(GAN):
    """A conditional GAN: both players are given the class.

    The generator draws `G([y, z])`, an image of class `y`; the
    discriminator judges `D([y, x])`, whether `x` is a real image of class
    `y`. So the discriminator rejects a good image of the wrong class, and
    the generator learns to draw the class it is asked for. Labels enter as
    one-hot vectors (the conditioning contract): `fit(x, y)` takes integer
    labels in `[0, num_classes)`, checked before the first step, and
    `generate(n, labels=...)` draws the classes asked for (uniformly drawn
    ones if omitted).

    Each batch runs the `GAN`'s two phases with its losses (BCE for the
    discriminator, the non-saturating loss for the generator):

    1. `discriminator_step(real_images, labels)`: the fakes are drawn as
       the real batch's classes (Keras-GAN's `cgan.py`), with the generator
       in inference mode; the discriminator scores `[y, x]` and `[y,
       G([y, z])]`.
    2. `generator_step(real_images)`: on fresh noise and classes drawn
       uniformly (seeded, saved with the model), the generator minimizes
       the loss of its fakes scored by the frozen discriminator.

    Defaults are Keras-GAN's `cgan.py`: the noise multiplied by a
    `latent_dim`-sized embedding of the label, then `256 -> 512 -> 1024`,
    each `Dense -> LeakyReLU(0.2) -> BatchNormalization(momentum=0.8)`,
    tanh output; the discriminator multiplies the flattened image by an
    image-sized embedding of the label, then `512 -> 512 -> 512`
    (LeakyReLU(0.2), Dropout(0.4) after the second and third), sigmoid;
    Adam(2e-4, beta_1=0.5) for each player; data in [-1, 1]. The
    embeddings are bias-free `Dense` layers on the one-hot labels, the same
    lookup as Keras-GAN's `Embedding` of integer labels. The history has
    the `GAN`'s keys.

    ```python
    cgan = keras_gen.CGAN()
    cgan.compile()
    cgan.fit(x_train * 2 - 1, y_train, epochs=30, batch_size=64)
    sevens = cgan.generate(16, labels=[7] * 16, seed=0)
    # or Keras-GAN's loop: cgan.train(epochs=20000, batch_size=32, sample_interval=200)
    ```

    Args:
        input_shape: Shape of one image, `(28, 28, 1)` or `(784,)` for MNIST.
        num_classes: Number of classes of the labels.
        latent_dim: Size of the noise vector.
        generator: Optional `keras.Model`, `[(num_classes,) one-hot,
            (latent_dim,)] -> input_shape`.
        discriminator: Optional `keras.Model`, `[(num_classes,) one-hot,
            input_shape] -> (1,)` probabilities.
        generator_units: Hidden layer sizes of the default generator; None
            for Keras-GAN's (256, 512, 1024).
        discriminator_units: Hidden layer sizes of the default discriminator.
        dropout_rate: Dropout of the default discriminator, in [0, 1).
        seed: Optional integer seed of the training noise and classes.
        **kwargs: Base model arguments such as `name`.
    """

    default_generator_units = (256, 512, 1024)  # Keras-GAN's.

    def __init__(
        self,
        input_shape=(28, 28, 1),
        num_classes=10,
        latent_dim=100,
        generator=None,
        discriminator=None,
        generator_units=None,
        discriminator_units=(512, 512, 512),
        dropout_rate=0.4,
        seed=None,
        **kwargs,
    ):
        # Set first: the default networks and `combined` take the labels.
        self.num_classes = check_num_classes(num_classes)
        self.dropout_rate = check_non_negative_float(dropout_rate, "dropout_rate", upper=1.0)
        super().__init__(
            input_shape=input_shape,
            latent_dim=latent_dim,
            generator=generator,
            discriminator=discriminator,
            generator_units=generator_units,
            discriminator_units=discriminator_units,
            seed=seed,
            **kwargs,
        )

    def build_generator(self, latent_dim, image_shape):
        """Keras-GAN's: the noise times the label's embedding, then the MLP.

        Args:
            latent_dim: Size of the noise vector.
            image_shape: Shape of one generated image.

        Returns:
            A `keras.Model`, `[(num_classes,) one-hot labels, (latent_dim,)
            noise] -> image_shape`, tanh outputs.
        """
        return mlp_generator(latent_dim, self.generator_units, image_shape,
                             batch_norm_first=True, num_classes=self.num_classes)

    def build_discriminator(self, image_shape):
        """Keras-GAN's: the flat image times the label's embedding, then the MLP.

        Args:
            image_shape: Shape of one image.

        Returns:
            A `keras.Model`, `[(num_classes,) one-hot labels, image_shape]
            -> (1,)` sigmoid probabilities.
        """
        return conditional_mlp_discriminator(
            image_shape, self.num_classes, self.discriminator_units, self.dropout_rate)

    def call(self, inputs, training=False):
        """The discriminator's probabilities of `[one-hot labels, images]`."""
        return self.discriminator(inputs, training=training)

    def train_step(self, data):
        real_images, labels = self.unpack_batch(data)
        logs = self.discriminator_step(real_images, labels)
        logs.update(self.generator_step(real_images))
        return self.update_metrics(logs)

    def discriminator_step(self, real_images, labels):
        """Updates the discriminator on a labelled batch and fakes of its classes.

        Args:
            real_images: Batch of data, `(batch_size, *input_shape)`.
            labels: Their one-hot labels, `(batch_size, num_classes)`; the
                fakes are drawn with the same classes.

        Returns:
            Dict of the step's `d_loss`, `d_acc`, `d_x` and `d_g_z1`.
        """
        d_loss, real_scores, fake_scores = discriminator_update(
            self, real_images, self.discriminator_loss, labels=labels)
        return {
            "d_loss": d_loss,
            "d_acc": losses.discriminator_accuracy(real_scores, fake_scores),
            "d_x": ops.mean(real_scores),
            "d_g_z1": ops.mean(fake_scores),
        }

    def generator_step(self, real_images):
        """Updates the generator on uniformly drawn classes; the discriminator frozen.

        Args:
            real_images: Batch of data; only its size is used.

        Returns:
            Dict of the step's `g_loss` and `d_g_z2`.
        """
        labels = self.sample_labels(ops.shape(real_images)[0])
        g_loss, fake_scores = generator_update(
            self, real_images, self.generator_loss, labels=labels)
        return {"g_loss": g_loss, "d_g_z2": ops.mean(fake_scores)}

    def test_step(self, data):
        # The training losses, in inference mode, no update.
        real_images, labels = self.unpack_batch(data)
        batch_size = ops.shape(real_images)[0]
        real_scores = self.discriminator([labels, real_images], training=False)
        fake_scores_1 = self.combined([labels, self.sample_prior_codes(batch_size)])
        drawn = self.sample_labels(batch_size)
        fake_scores_2 = self.combined([drawn, self.sample_prior_codes(batch_size)])
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
        config = {"num_classes": self.num_classes, "dropout_rate": self.dropout_rate}
        return {**base_config, **config}
