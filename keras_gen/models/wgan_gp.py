"""Keras-GAN's Wasserstein GAN with gradient penalty, `wgan_gp.py` (Gulrajani et al. 2017)."""

import keras
from keras import ops

from keras_gen import backend
from keras_gen import losses
from keras_gen.models.wgan import WGAN
from keras_gen.validation import check_non_negative_float


@keras.saving.register_keras_serializable(package="keras_gen")
class WGANGP(WGAN):
    """A Wasserstein GAN whose critic is kept Lipschitz by a gradient penalty.

    The critic minimizes
    `mean(D(G(z))) - mean(D(x)) + λ * mean((|grad D(x_hat)|_2 - 1)^2)`, the
    penalty taken at random points `x_hat = α x + (1 - α) G(z)`, `α ~ U(0,
    1)` per example (`losses.gradient_penalty`); the generator minimizes
    `-mean(D(G(z)))`. The penalty's gradient with respect to the critic's
    weights is a gradient of a gradient, taken by
    `keras_gen.backend.gradients` inside the critic's update, on TensorFlow,
    JAX and PyTorch alike.

    The generator is updated on every `n_critic`-th batch, exactly as in
    `WGAN` (see its docstring: the update is put back on the other batches,
    both optimizers' `iterations` count their player's real updates).

    Defaults are Keras-GAN's `wgan_gp.py`: `WGAN`'s networks (its critic
    keeps Keras-GAN's BatchNorm, which couples the examples of a batch in
    the penalty; the paper's critic has none: pass your own to follow it),
    RMSprop(5e-5) for each player (the paper's is
    `keras.optimizers.Adam(1e-4, beta_1=0.5, beta_2=0.9)`: pass it to
    `compile()`), `n_critic=5`, `gradient_penalty_weight=10` (λ). The
    history has `d_loss` (the critic's whole loss, penalty included), `g_loss`
    and `gradient_penalty` (the term as added to the critic's loss, λ
    included).

    ```python
    wgan_gp = keras_gen.WGANGP()
    wgan_gp.compile()  # or: compile(d_optimizer=keras.optimizers.Adam(1e-4, 0.5, 0.9), ...)
    wgan_gp.fit(x_train * 2 - 1, epochs=50, batch_size=64)
    ```

    Args:
        input_shape: `(height, width, channels)` of one image.
        latent_dim: Size of the noise vector.
        n_critic: Critic updates per generator update, >= 1.
        gradient_penalty_weight: λ, >= 0.
        generator: Optional `keras.Model`, `(latent_dim,) -> input_shape`.
        discriminator: Optional critic, `input_shape -> (1,)` scores (no
            sigmoid).
        clip_value: Optional weight clipping of the critic on top of the
            penalty, as in `WGAN`; None (the default) for none.
        seed: Optional integer seed of the training noise and of `α`.
        **kwargs: Base model arguments such as `name`.
    """

    metric_names = ("d_loss", "g_loss", "gradient_penalty")

    def __init__(
        self,
        input_shape=(28, 28, 1),
        latent_dim=100,
        n_critic=5,
        gradient_penalty_weight=10.0,
        clip_value=None,
        generator=None,
        discriminator=None,
        seed=None,
        **kwargs,
    ):
        self.gradient_penalty_weight = check_non_negative_float(
            gradient_penalty_weight, "gradient_penalty_weight")
        super().__init__(input_shape, latent_dim, n_critic, clip_value, generator,
                         discriminator, seed, **kwargs)

    def discriminator_step(self, real_images):
        """Updates the critic on the Wasserstein loss plus the gradient penalty.

        Args:
            real_images: Batch of data, `(batch_size, *input_shape)`.

        Returns:
            Dict of the step's `d_loss` and `gradient_penalty`.
        """
        real_images = ops.convert_to_tensor(real_images)
        noise = self.sample_prior_codes(ops.shape(real_images)[0])
        fake_images = ops.stop_gradient(self.generator(noise, training=False))

        def loss():
            real_scores = self.discriminator(real_images, training=True)
            fake_scores = self.discriminator(fake_images, training=True)
            penalty = self.gradient_penalty_weight * losses.gradient_penalty(
                self.discriminator, real_images, fake_images,
                self.latent_sampler.seed_generator)
            return losses.wasserstein_critic_loss(real_scores, fake_scores) + penalty, penalty

        d_loss, penalty = backend.minimize(
            loss, self.discriminator.trainable_variables, self.d_optimizer)
        self.clip_critic()  # Only with a `clip_value` (none by default).
        return {"d_loss": d_loss, "gradient_penalty": penalty}

    def test_step(self, data):
        # The three terms, the critic in inference mode, no update.
        real_images = ops.convert_to_tensor(self.unpack_batch(data))
        batch_size = ops.shape(real_images)[0]
        fake_images = self.generator(self.sample_prior_codes(batch_size), training=False)
        real_scores = self.discriminator(real_images, training=False)
        fake_scores = self.discriminator(fake_images, training=False)
        penalty = self.gradient_penalty_weight * losses.gradient_penalty(
            lambda x, training: self.discriminator(x, training=False),
            real_images, fake_images, self.latent_sampler.seed_generator)
        return self.update_metrics({
            "d_loss": losses.wasserstein_critic_loss(real_scores, fake_scores) + penalty,
            "g_loss": self.generator_loss(fake_scores),
            "gradient_penalty": penalty,
        })

    def get_config(self):
        base_config = super().get_config()
        config = {"gradient_penalty_weight": self.gradient_penalty_weight}
        return {**base_config, **config}
