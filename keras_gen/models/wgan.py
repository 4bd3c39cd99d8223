"""Keras-GAN's Wasserstein GAN, `wgan.py` (Arjovsky et al. 2017)."""

import keras
from keras import ops

from keras_gen import losses
from keras_gen.models.dcgan import (
    check_image_shape,
    keras_gan_discriminator,
    keras_gan_generator,
)
from keras_gen.models.adversarial import generator_and_discriminator
from keras_gen.models.base import GenerativeModel
from keras_gen.models.gan import (
    add_generator_and_discriminator,
    discriminator_update,
    generator_update,
)
from keras_gen.validation import check_positive_float, check_positive_int

# Keras-GAN's WGAN scripts: RMSprop(lr=0.00005) for both players.
DEFAULT_LEARNING_RATE = 5e-5


def keras_gan_critic(image_shape):
    """The WGAN scripts' critic: `keras_gan_discriminator` 16-32-64-128, no sigmoid."""
    critic = keras_gan_discriminator(image_shape, filters=(16, 32, 64, 128), activation=None)
    critic.name = "critic"
    return critic


def critic_updates_done(model):
    """Whether the generator's turn has come: `n_critic` critic updates since its last.

    Counted by `d_optimizer.iterations`, saved with the model, so resumed
    runs keep the rhythm. True at 0 too, so the generator phase run alone
    updates.
    """
    return ops.equal(ops.mod(model.d_optimizer.iterations, model.n_critic), 0)


@keras.saving.register_keras_serializable(package="keras_gen")
class WGAN(GenerativeModel):
    """A Wasserstein GAN: a critic without sigmoid, its weights clipped.

    The critic (`model.critic`, the same network as `model.discriminator`)
    scores images; it minimizes `mean(D(G(z))) - mean(D(x))`
    (`losses.wasserstein_critic_loss`), so it maximizes its estimate of the
    Wasserstein-1 distance, which is only an estimate while the critic stays
    Lipschitz: after every critic update each of its trainable weights is
    clipped to `[-clip_value, clip_value]`. The generator minimizes
    `-mean(D(G(z)))`.

    **How `n_critic` maps onto `fit()`**: every batch updates the critic
    once; the generator is updated on every `n_critic`-th batch, after the
    critic's `n_critic`-th update since its last, as the PyTorch ports do
    (Keras-GAN draws `n_critic` batches per iteration: the same number of
    updates of each player per image seen). On the other batches the
    generator stays as it was, bit for bit (`minimize_if`: nothing of the
    generator's phase runs on TensorFlow and PyTorch; on JAX its update is
    computed and put back): its weights, BatchNorm statistics and
    `g_optimizer`'s state, `iterations` included, so
    `g_optimizer.iterations` counts the generator's real updates and
    `d_optimizer.iterations` the critic's; the turn is read from
    `d_optimizer.iterations`, saved with the model, so a resumed run keeps
    it. The history's `g_loss` averages the batches that update the
    generator (its loss before each update).

    Defaults are Keras-GAN's `wgan.py`: generator `Dense(128 * 7 * 7,
    relu)`, two `UpSampling2D -> Conv2D(128, then 64, 4) ->
    BatchNormalization(momentum=0.8) -> ReLU`, `Conv2D(channels, 4)` tanh;
    critic `Conv2D` 16, 32, 64, 128 (3x3, strides 2, 2, 2, 1) with
    LeakyReLU(0.2), Dropout(0.25) and BatchNorm after the second to fourth,
    `Dense(1)` linear; RMSprop(5e-5) for each player; `n_critic=5`,
    `clip_value=0.01`; images `(height, width, channels)` in [-1, 1], height
    and width multiples of 4. The history has `d_loss` (the critic's loss,
    minus the distance estimate) and `g_loss`.

    ```python
    wgan = keras_gen.WGAN()              # 28x28x1
    wgan.compile()                       # RMSprop(5e-5) for each player
    wgan.fit(x_train * 2 - 1, epochs=50, batch_size=64)
    # or Keras-GAN's loop: wgan.train(epochs=4000, batch_size=32, sample_interval=50)
    ```

    Args:
        input_shape: `(height, width, channels)` of one image.
        latent_dim: Size of the noise vector.
        n_critic: Critic updates per generator update, >= 1.
        clip_value: The bound of the critic's weights, > 0, or None for no
            clipping.
        generator: Optional `keras.Model`, `(latent_dim,) -> input_shape`.
        discriminator: Optional critic, `input_shape -> (1,)` scores (no
            sigmoid).
        seed: Optional integer seed of the training noise.
        **kwargs: Base model arguments such as `name`.
    """

    # Real images share the range of the generator's tanh output.
    value_range = (-1.0, 1.0)
    value_range_reason = "the generator ends in a tanh, so real images share its range"
    network_names = ("generator", "discriminator")
    checks_targets = False  # An unconditional GAN ignores `y`.
    metric_names = ("d_loss", "g_loss")

    def __init__(
        self,
        input_shape=(28, 28, 1),
        latent_dim=100,
        n_critic=5,
        clip_value=0.01,
        generator=None,
        discriminator=None,
        seed=None,
        **kwargs,
    ):
        input_shape = check_image_shape(input_shape, "keras_gan")
        super().__init__(metric_names=self.metric_names, **kwargs)
        self.input_shape = input_shape
        self.seed = seed
        latent_dim = check_positive_int(latent_dim, "latent_dim")
        self.n_critic = check_positive_int(n_critic, "n_critic")
        self.clip_value = (
            None if clip_value is None else check_positive_float(clip_value, "clip_value"))
        if generator is None:
            generator = keras_gan_generator(latent_dim, input_shape, kernel_size=4)
        if discriminator is None:
            discriminator = keras_gan_critic(input_shape)
        add_generator_and_discriminator(self, latent_dim, generator, discriminator, seed)

    @property
    def critic(self):
        """The critic, Keras-GAN's name for `model.discriminator`."""
        return self.discriminator

    @property
    def decoder(self):
        """The generator: what `decode`, `generate` and the callbacks run."""
        return self.generator

    def call(self, inputs, training=False):
        return self.discriminator(inputs, training=training)

    def compile(self, d_optimizer=None, g_optimizer=None, **kwargs):
        """Configures training. The losses are built in: pass optimizers.

        Args:
            d_optimizer: Optimizer (instance, name or config) of the critic.
                Defaults to a new RMSprop(5e-5), Keras-GAN's.
            g_optimizer: Optimizer of the generator, same default.
            **kwargs: `run_eagerly`, `steps_per_execution` or `jit_compile`,
                as in `keras.Model.compile()`.
        """
        if d_optimizer is None:
            d_optimizer = keras.optimizers.RMSprop(DEFAULT_LEARNING_RATE)
        if g_optimizer is None:
            g_optimizer = keras.optimizers.RMSprop(DEFAULT_LEARNING_RATE)
        self.compile_players(
            generator_and_discriminator(self, d_optimizer, g_optimizer), **kwargs)

    def train_step(self, data):
        real_images = self.unpack_batch(data)
        logs = self.discriminator_step(real_images)  # The critic, every batch.
        logs.update(self.generator_step(real_images))  # Every n_critic-th.
        # `g_loss` averages the batches that update the generator.
        turn = ops.cast(critic_updates_done(self), "float32")
        return self.update_metrics(logs, weights={"g_loss": turn})

    def discriminator_loss(self, real_scores, fake_scores):
        """`mean(D(G(z))) - mean(D(x))`.

        Args:
            real_scores: The critic's scores of real images,
                `(batch_size, 1)`.
            fake_scores: Its scores of fakes, `(batch_size, 1)`.

        Returns:
            A scalar tensor.
        """
        return losses.wasserstein_critic_loss(real_scores, fake_scores)

    def generator_loss(self, fake_scores):
        """`-mean(D(G(z)))`.

        Args:
            fake_scores: The critic's scores of fakes, `(batch_size, 1)`.

        Returns:
            A scalar tensor.
        """
        return losses.wasserstein_generator_loss(fake_scores)

    def discriminator_step(self, real_images):
        """Updates the critic, then clips its trainable weights.

        Args:
            real_images: Batch of data, `(batch_size, *input_shape)`.

        Returns:
            Dict of the step's `d_loss`.
        """
        d_loss, _, _ = discriminator_update(self, real_images, self.discriminator_loss)
        self.clip_critic()
        return {"d_loss": d_loss}

    def clip_critic(self):
        """Clips the critic's trainable weights to `[-clip_value, clip_value]`."""
        if self.clip_value is None:
            return
        for variable in self.discriminator.trainable_variables:
            variable.assign(ops.clip(variable, -self.clip_value, self.clip_value))

    def generator_step(self, real_images):
        """Updates the generator when `n_critic` critic updates are done.

        Args:
            real_images: Batch of data; only its size is used.

        Returns:
            Dict of the step's `g_loss`: 0 on the batches without an update.
        """
        g_loss, _ = generator_update(self, real_images, self.generator_loss,
                                     keep=critic_updates_done(self))
        return {"g_loss": g_loss}

    def test_step(self, data):
        # The two losses, in inference mode, no update.
        real_images = self.unpack_batch(data)
        batch_size = ops.shape(real_images)[0]
        real_scores = self.discriminator(real_images, training=False)
        fake_scores = self.combined(self.sample_prior_codes(batch_size), training=False)
        return self.update_metrics({
            "d_loss": self.discriminator_loss(real_scores, fake_scores),
            "g_loss": self.generator_loss(fake_scores),
        })

    def get_config(self):
        base_config = super().get_config()
        config = {
            "input_shape": self.input_shape,
            "seed": self.seed,
            "latent_dim": self.latent_dim,
            "n_critic": self.n_critic,
            "clip_value": self.clip_value,
        }
        return {**base_config, **config}
