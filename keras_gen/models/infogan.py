"""Keras-GAN's information-maximizing GAN, `infogan.py` (Chen et al. 2016)."""

import keras
import numpy as np
from keras import ops

from keras_gen import backend
from keras_gen import losses
from keras_gen import priors
from keras_gen.layers import LatentSampler
from keras_gen.models.adversarial import frozen, generator_and_discriminator
from keras_gen.models.base import DEFAULT_BATCH_SIZE, GenerativeModel, predict_in_batches
from keras_gen.models.dcgan import check_image_shape
from keras_gen.validation import (
    check_data,
    check_non_negative_float,
    check_num_classes,
    check_positive_int,
)

METRIC_NAMES = ("d_loss", "g_loss", "info_loss", "d_acc")


def infogan_generator(code_dim, image_shape):
    """The InfoGAN generator (the paper's MNIST network, Keras-GAN's layers): `(code_dim,) -> image_shape`.

    `Dense(1024, relu) -> BatchNorm`, `Dense(128 * h/4 * w/4, relu) ->
    BatchNorm`, reshape, `UpSampling2D -> Conv2D(64, 4) -> ReLU -> BatchNorm`,
    `UpSampling2D -> Conv2D(channels, 4)`, tanh (BatchNorm momentum 0.8).
    """
    height, width, channels = image_shape
    codes = keras.Input(shape=(code_dim,), name="codes")
    x = keras.layers.Dense(1024, activation="relu")(codes)
    x = keras.layers.BatchNormalization(momentum=0.8)(x)
    x = keras.layers.Dense(128 * (height // 4) * (width // 4), activation="relu")(x)
    x = keras.layers.BatchNormalization(momentum=0.8)(x)
    x = keras.layers.Reshape((height // 4, width // 4, 128))(x)
    x = keras.layers.UpSampling2D()(x)
    x = keras.layers.Conv2D(64, 4, padding="same")(x)
    x = keras.layers.ReLU()(x)
    x = keras.layers.BatchNormalization(momentum=0.8)(x)
    x = keras.layers.UpSampling2D()(x)
    x = keras.layers.Conv2D(channels, 4, padding="same")(x)
    images = keras.layers.Activation("tanh")(x)
    return keras.Model(codes, images, name="generator")


def infogan_discriminator(image_shape, num_categories, num_continuous):
    """The InfoGAN discriminator with its Q head: `image_shape -> [validity, categories, means]`.

    A shared body, `Conv2D(64, 4, strides 2) -> LeakyReLU(0.2) ->
    Dropout(0.25)`, `Conv2D(128, 4, strides 2) -> LeakyReLU -> BatchNorm ->
    Dropout`, `Flatten -> Dense(1024) -> LeakyReLU -> BatchNorm`; then the
    real-or-fake sigmoid, and the Q head `Dense(128) -> LeakyReLU ->
    BatchNorm` with a softmax over the categories and a linear mean per
    continuous code.
    """
    images = keras.Input(shape=image_shape, name="images")
    x = images
    for index, filters in enumerate((64, 128)):
        x = keras.layers.Conv2D(filters, 4, strides=2, padding="same")(x)
        x = keras.layers.LeakyReLU(negative_slope=0.2)(x)
        if index:
            x = keras.layers.BatchNormalization(momentum=0.8)(x)
        x = keras.layers.Dropout(0.25)(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(1024)(x)
    x = keras.layers.LeakyReLU(negative_slope=0.2)(x)
    features = keras.layers.BatchNormalization(momentum=0.8)(x)
    validity = keras.layers.Dense(1, activation="sigmoid", name="validity")(features)
    q = keras.layers.Dense(128)(features)
    q = keras.layers.LeakyReLU(negative_slope=0.2)(q)
    q = keras.layers.BatchNormalization(momentum=0.8)(q)
    categories = keras.layers.Dense(num_categories, activation="softmax", name="categories")(q)
    means = keras.layers.Dense(num_continuous, name="continuous_means")(q)
    return keras.Model(images, [validity, categories, means], name="discriminator")


@keras.saving.register_keras_serializable(package="keras_gen")
class InfoGAN(GenerativeModel):
    """An information-maximizing GAN: codes the generator must make readable.

    The generator reads `[z, c, u]`: Gaussian noise `z` (`noise_dim`), a
    categorical code `c` (one of `num_categories`, one-hot) and continuous
    codes `u` (`num_continuous`, uniform on [-1, 1]), drawn from
    `model.prior`, a `priors.Concatenation` of the three. The discriminator
    shares its body with a Q head that reads the codes back from an image:
    a softmax over the categories and a mean per continuous code. Both the
    generator and Q minimize the information loss, the lower bound on the
    mutual information between codes and images taken with the right sign,

    `info_loss = categorical_weight * CE(c, Q_c(G(z, c, u))) +
    continuous_weight * mean((u - Q_u(G(z, c, u)))^2)`

    (a cross-entropy, and a Gaussian of fixed variance's log-likelihood up
    to constants), so with no labels at all the categorical code tends to
    take the digit's class and the continuous ones its slant and width.
    InfoGAN trains on images alone: `fit(x)`.

    Each batch runs two phases:

    The discriminator scores the real batch and the fakes as one batch, in
    both phases: the BatchNormalization just before its heads then
    normalizes both with the same statistics. Scored apart, as Keras-GAN's
    `train_on_batch` calls do, each batch's mean "real" logit is pinned to
    the same value whatever the images, the discriminator stays at chance
    and the generator learns nothing (Keras-GAN's "can't make digits",
    #7 and #126).

    1. `discriminator_step(real_images)`: fakes of fresh codes from the
       generator in inference mode; the discriminator and Q minimize
       `0.5 * (BCE(1, D(x)) + BCE(0, D(G(codes)))) + info_loss`
       (`d_optimizer`, which updates the body and both heads).
    2. `generator_step(real_images)`: on fresh codes, the generator
       minimizes `BCE(1, D(G(codes))) + info_loss`, the discriminator and Q
       frozen (`g_optimizer`), scored beside the real batch.

    The history has `d_loss`, `g_loss`, `info_loss` (the generator phase's)
    and `d_acc`. `predict_codes(x)` reads the categorical code of images,
    which `keras_gen.evaluation.code_accuracy` scores as a classifier.

    Defaults are the paper's MNIST networks as Keras-GAN writes them
    (`infogan_generator`, `infogan_discriminator`): 62 noise dimensions,
    10 categories, 2 continuous codes, Adam(2e-4, beta_1=0.5) for each
    player; images in [-1, 1].

    ```python
    infogan = keras_gen.InfoGAN()
    infogan.compile()
    infogan.fit(x_train * 2 - 1, epochs=20, batch_size=64)
    digits = infogan.predict_codes(x_test * 2 - 1)  # categories, in [0, 10)
    ```

    Args:
        input_shape: `(height, width, channels)` of one image, multiples of 4.
        noise_dim: Size of the Gaussian noise.
        num_categories: Values of the categorical code (>= 2).
        num_continuous: Number of continuous codes (>= 1).
        categorical_weight: Weight of the categorical term, >= 0.
        continuous_weight: Weight of the continuous term, >= 0.
        generator: Optional `keras.Model`, `(code_dim,) -> input_shape`,
            `code_dim = noise_dim + num_categories + num_continuous`.
        discriminator: Optional `keras.Model`, `input_shape -> [(1,)
            probabilities, (num_categories,) softmax, (num_continuous,)]`.
        seed: Optional integer seed of the training codes.
        **kwargs: Base model arguments such as `name`.
    """

    value_range = (-1.0, 1.0)
    value_range_reason = "the generator ends in a tanh, so real images share its range"
    network_names = ("generator", "discriminator")
    checks_targets = False  # Trained on images alone: a `y` is ignored.

    def __init__(
        self,
        input_shape=(28, 28, 1),
        noise_dim=62,
        num_categories=10,
        num_continuous=2,
        categorical_weight=1.0,
        continuous_weight=0.1,
        generator=None,
        discriminator=None,
        seed=None,
        **kwargs,
    ):
        input_shape = check_image_shape(input_shape, "keras_gan")
        super().__init__(metric_names=METRIC_NAMES, **kwargs)
        self.input_shape = input_shape
        self.noise_dim = check_positive_int(noise_dim, "noise_dim")
        self.num_categories = check_num_classes(num_categories, "num_categories")
        self.num_continuous = check_positive_int(num_continuous, "num_continuous")
        self.categorical_weight = check_non_negative_float(categorical_weight, "categorical_weight")
        self.continuous_weight = check_non_negative_float(continuous_weight, "continuous_weight")
        self.seed = seed
        self.prior = priors.Concatenation([
            priors.Gaussian(self.noise_dim, std=1.0),
            priors.Categorical(self.num_categories),
            priors.Uniform(self.num_continuous, -1.0, 1.0),
        ])
        self.latent_dim = self.prior.latent_dim
        self.latent_sampler = LatentSampler(self.latent_dim, seed=seed, name="latent_sampler")
        self.generator = generator or infogan_generator(self.latent_dim, input_shape)
        self.discriminator = discriminator or infogan_discriminator(
            input_shape, self.num_categories, self.num_continuous)
        codes = keras.Input(shape=(self.latent_dim,), name="codes")
        self.combined = keras.Model(
            codes, self.discriminator(self.generator(codes)), name="combined")

    @property
    def decoder(self):
        """The generator: what `decode`, `generate` and the callbacks run."""
        return self.generator

    def call(self, inputs, training=False):
        """The discriminator's `[validity, categories, continuous means]` of images."""
        return self.discriminator(inputs, training=training)

    def compile(self, d_optimizer=None, g_optimizer=None, **kwargs):
        """Configures training. The losses are built in: pass optimizers.

        Args:
            d_optimizer: Optimizer of the discriminator and Q; a new
                Adam(2e-4, beta_1=0.5) by default.
            g_optimizer: Optimizer of the generator, same default.
            **kwargs: `run_eagerly`, `steps_per_execution` or `jit_compile`.
        """
        self.compile_players(
            generator_and_discriminator(self, d_optimizer, g_optimizer), **kwargs)

    def train_step(self, data):
        real_images = self.unpack_batch(data)
        logs = self.discriminator_step(real_images)
        logs.update(self.generator_step(real_images))
        return self.update_metrics(logs)

    def discriminator_step(self, real_images):
        """Updates the discriminator and Q on real images and fakes of fresh codes.

        Args:
            real_images: Batch of data, `(batch_size, *input_shape)`.

        Returns:
            Dict of the step's `d_loss` and `d_acc`.
        """
        real_images = ops.convert_to_tensor(real_images)
        codes = self.sample_prior_codes(ops.shape(real_images)[0])
        fake_images = ops.stop_gradient(self.generator(codes, training=False))

        def loss_fn():
            real, fake = self.real_and_fake(
                self.discriminator(ops.concatenate([real_images, fake_images]), training=True),
                real_images)
            loss = (losses.discriminator_loss(real[0], fake[0])
                    + self.info_loss(codes, fake))
            return loss, (real[0], fake[0])

        d_loss, (real_scores, fake_scores) = backend.minimize(
            loss_fn, self.discriminator.trainable_variables, self.d_optimizer)
        return {"d_loss": d_loss,
                "d_acc": losses.discriminator_accuracy(real_scores, fake_scores)}

    def generator_step(self, real_images):
        """Updates the generator on fresh codes; the discriminator and Q frozen.

        Args:
            real_images: Batch of data, `(batch_size, *input_shape)`, scored
                in one batch with the fakes.

        Returns:
            Dict of the step's `g_loss` and `info_loss`.
        """
        real_images = ops.convert_to_tensor(real_images)
        codes = self.sample_prior_codes(ops.shape(real_images)[0])

        def loss_fn():
            fake_images = self.generator(codes, training=True)
            _, fake = self.real_and_fake(
                frozen(self.discriminator, ops.concatenate([real_images, fake_images])),
                real_images)
            info = self.info_loss(codes, fake)
            return losses.generator_loss(fake[0]) + info, info

        g_loss, info = backend.minimize(
            loss_fn, self.generator.trainable_variables, self.g_optimizer)
        return {"g_loss": g_loss, "info_loss": info}

    @staticmethod
    def real_and_fake(outputs, real_images):
        """Splits the discriminator's outputs on `[real_images; fakes]` into the two halves."""
        size = ops.shape(real_images)[0]
        return [output[:size] for output in outputs], [output[size:] for output in outputs]

    def split_codes(self, codes):
        """`(noise, one-hot category, continuous codes)` of a batch of codes.

        Args:
            codes: Tensor (or array) of shape `(batch_size, latent_dim)`,
                the generator's inputs.

        Returns:
            A tuple of slices of `codes`, of shapes
            `(batch_size, noise_dim)`, `(batch_size, num_categories)` and
            `(batch_size, num_continuous)`.
        """
        categories_end = self.noise_dim + self.num_categories
        return (codes[:, : self.noise_dim], codes[:, self.noise_dim: categories_end],
                codes[:, categories_end:])

    def info_loss(self, codes, outputs):
        """The information loss of the codes the fakes were drawn from.

        Args:
            codes: The generator's inputs, `(batch_size, latent_dim)`.
            outputs: The discriminator's `[validity, categories, means]` of
                the fakes.

        Returns:
            `categorical_weight * CE + continuous_weight * mean squared error`.
        """
        _, category, continuous = self.split_codes(codes)
        _, category_probabilities, means = outputs
        return (self.categorical_weight * losses.class_crossentropy(category, category_probabilities)
                + self.continuous_weight * ops.mean(ops.square(continuous - means)))

    def test_step(self, data):
        # The training losses, in inference mode, no update.
        real_images = self.unpack_batch(data)
        codes = self.sample_prior_codes(ops.shape(real_images)[0])
        real = self.discriminator(real_images, training=False)
        fake = self.combined(codes, training=False)
        info = self.info_loss(codes, fake)
        return self.update_metrics({
            "d_loss": losses.discriminator_loss(real[0], fake[0]) + info,
            "g_loss": losses.generator_loss(fake[0]) + info,
            "info_loss": info,
            "d_acc": losses.discriminator_accuracy(real[0], fake[0]),
        })

    def predict_codes(self, x, batch_size=DEFAULT_BATCH_SIZE):
        """Reads the categorical code of images with Q: the most probable category.

        Args:
            x: Images in [-1, 1], `(num_examples, *input_shape)`.
            batch_size: Images per batch.

        Returns:
            NumPy int array `(num_examples,)` of categories in `[0, num_categories)`.
        """
        check_data(x, "x", self.input_shape)
        _, categories, _ = predict_in_batches(self.discriminator, x, batch_size)
        return np.argmax(categories, axis=-1)

    def get_config(self):
        base_config = super().get_config()
        config = {
            "input_shape": self.input_shape,
            "noise_dim": self.noise_dim,
            "num_categories": self.num_categories,
            "num_continuous": self.num_continuous,
            "categorical_weight": self.categorical_weight,
            "continuous_weight": self.continuous_weight,
            "seed": self.seed,
        }
        return {**base_config, **config}
