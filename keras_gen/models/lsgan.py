"""Keras-GAN's least-squares GAN, `lsgan.py` (Mao et al. 2017)."""

import keras

from keras_gen import losses
from keras_gen.models.gan import GAN, mlp_discriminator, mlp_generator


@keras.saving.register_keras_serializable(package="keras_gen")
class LSGAN(GAN):
    """A least-squares GAN: a `GAN` whose players minimize squared errors.

    The discriminator outputs a raw score (no sigmoid) and is trained
    towards 1 on data and 0 on fakes,
    `0.5 * (mean((D(x) - 1)^2) + mean(D(G(z))^2))`; the generator pulls its
    fakes' scores towards 1, `mean((D(G(z)) - 1)^2)`
    (`losses.least_squares_discriminator_loss`,
    `losses.least_squares_generator_loss`). Squared errors keep giving
    gradients to fakes the discriminator already classifies correctly but
    that lie far from the data, where the sigmoid's cross-entropy
    saturates.

    Defaults are Keras-GAN's `lsgan.py`: generator `latent_dim -> 256 ->
    512 -> 1024 -> prod(input_shape)`, each hidden layer `Dense ->
    LeakyReLU(0.2) -> BatchNormalization(momentum=0.8)`, tanh output;
    discriminator `Flatten -> 512 -> 256 -> 1` (LeakyReLU(0.2), linear
    output); Adam(2e-4, beta_1=0.5) for each player; data in [-1, 1].
    Training runs the `GAN`'s two phases with these losses, and the history
    has the `GAN`'s keys (`d_acc` and `d_x`, `d_g_z1`, `d_g_z2` read the raw
    scores against the 0.5 midpoint of the targets).

    ```python
    lsgan = keras_gen.LSGAN(input_shape=(28, 28, 1))
    lsgan.compile()
    lsgan.fit(x_train * 2 - 1, epochs=30, batch_size=64)
    # or Keras-GAN's loop: lsgan.train(epochs=30000, batch_size=32, sample_interval=200)
    ```

    Args:
        input_shape: Shape of one image, `(784,)` or `(28, 28, 1)` for MNIST.
        latent_dim: Size of the noise vector.
        generator: Optional `keras.Model`, `(latent_dim,) -> input_shape`.
        discriminator: Optional `keras.Model`, `input_shape -> (1,)` raw
            scores (no sigmoid).
        generator_units: Hidden layer sizes of the default generator; None
            for Keras-GAN's (256, 512, 1024).
        discriminator_units: Hidden layer sizes of the default discriminator.
        seed: Optional integer seed of the training noise.
        **kwargs: Base model arguments such as `name`.
    """

    default_generator_units = (256, 512, 1024)  # Keras-GAN's.

    def build_generator(self, latent_dim, image_shape):
        """Keras-GAN's: BatchNorm after every hidden layer, the first included.

        Args:
            latent_dim: Size of the noise vector.
            image_shape: Shape of one generated image.

        Returns:
            A `keras.Model`, `(latent_dim,) -> image_shape`, tanh outputs.
        """
        return mlp_generator(latent_dim, self.generator_units, image_shape,
                             batch_norm_first=True)

    def build_discriminator(self, image_shape):
        """Keras-GAN's: a raw score, no sigmoid.

        Args:
            image_shape: Shape of one image.

        Returns:
            A `keras.Model`, `image_shape -> (1,)` raw scores.
        """
        return mlp_discriminator(image_shape, self.discriminator_units, activation=None)

    def discriminator_loss(self, real_scores, fake_scores):
        """`0.5 * (mean((D(x) - 1)^2) + mean(D(G(z))^2))`.

        Args:
            real_scores: The discriminator's raw scores of real images,
                `(batch_size, 1)`.
            fake_scores: Its raw scores of fakes, `(batch_size, 1)`.

        Returns:
            A scalar tensor.
        """
        return losses.least_squares_discriminator_loss(real_scores, fake_scores)

    def generator_loss(self, fake_scores):
        """`mean((D(G(z)) - 1)^2)`.

        Args:
            fake_scores: The discriminator's raw scores of fakes,
                `(batch_size, 1)`.

        Returns:
            A scalar tensor.
        """
        return losses.least_squares_generator_loss(fake_scores)
