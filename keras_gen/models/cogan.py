"""Keras-GAN's coupled GAN, `cogan.py` (Liu and Tuzel 2016): two domains through shared weights."""

import math

import keras
from keras import ops

from keras_gen import backend
from keras_gen import losses
from keras_gen import priors
from keras_gen.layers import LatentSampler
from keras_gen.models.adversarial import frozen, generator_and_discriminator
from keras_gen.models.base import GenerativeModel
from keras_gen.validation import check_positive_int, is_array_like

METRIC_NAMES = ("d_loss", "g_loss", "d_acc")
NO_SECOND_DOMAIN = ("CoGAN trains on two domains: fit(x_a, x_b), the second in `y`'s place. "
                    "Received: no `y`")


def cogan_generator(latent_dim, image_shape):
    """Keras-GAN's coupled generators: `(latent_dim,) -> [image_a, image_b]`, tanh.

    Shared: `Dense(256)` and `Dense(512)`, each `-> LeakyReLU(0.2) ->
    BatchNormalization(momentum=0.8)`. Per domain: `Dense(1024) -> LeakyReLU
    -> BatchNormalization`, then `Dense(prod(image_shape))`, tanh, reshaped.
    """
    z = keras.Input(shape=(latent_dim,), name="z")
    x = z
    for units in (256, 512):  # The shared layers: the high-level structure.
        x = keras.layers.Dense(units)(x)
        x = keras.layers.LeakyReLU(negative_slope=0.2)(x)
        x = keras.layers.BatchNormalization(momentum=0.8)(x)
    images = []
    for domain in ("a", "b"):  # Each domain's own rendering.
        y = keras.layers.Dense(1024)(x)
        y = keras.layers.LeakyReLU(negative_slope=0.2)(y)
        y = keras.layers.BatchNormalization(momentum=0.8)(y)
        y = keras.layers.Dense(math.prod(image_shape), activation="tanh")(y)
        images.append(keras.layers.Reshape(image_shape, name=f"image_{domain}")(y))
    return keras.Model(z, images, name="generator")


def cogan_discriminator(image_shape):
    """Keras-GAN's coupled discriminators: `[image_a, image_b] -> [validity_a, validity_b]`.

    One shared body, `Flatten -> Dense(512) -> LeakyReLU(0.2) -> Dense(256)
    -> LeakyReLU(0.2)`, applied to each domain's images, and a sigmoid head
    per domain.
    """
    body = keras.Sequential([
        keras.Input(shape=image_shape), keras.layers.Flatten(),
        keras.layers.Dense(512), keras.layers.LeakyReLU(negative_slope=0.2),
        keras.layers.Dense(256), keras.layers.LeakyReLU(negative_slope=0.2),
    ], name="shared_body")
    inputs = [keras.Input(shape=image_shape, name=f"image_{d}") for d in ("a", "b")]
    outputs = [keras.layers.Dense(1, activation="sigmoid", name=f"validity_{d}")(body(x))
               for d, x in zip(("a", "b"), inputs)]
    return keras.Model(inputs, outputs, name="discriminator")


@keras.saving.register_keras_serializable(package="keras_gen")
class CoGAN(GenerativeModel):
    """A coupled GAN: one code, two domains, learned from unpaired images.

    Two generators share their first layers and two discriminators their
    body, so one code `z` draws a pair of images, one per domain, that show
    the same thing (the same digit, upright in one domain and rotated in
    the other), though no pair was ever shown: each domain's images are
    judged by its own discriminator only. Each batch runs two phases:

    1. `discriminator_step(x_a, x_b)`: fakes of fresh codes from the
       generators in inference mode; the discriminators minimize, together
       (their shared body gets both gradients), the sum over the domains
       of `0.5 * (BCE(1, D_k(x_k)) + BCE(0, D_k(G_k(z))))` (`d_optimizer`).
    2. `generator_step(x_a)`: on fresh codes, the generators minimize
       `BCE(1, D_a(G_a(z))) + BCE(1, D_b(G_b(z)))` against the frozen
       discriminators (`g_optimizer`), Keras-GAN's `combined`.

    `fit(x_a, x_b)` takes the second domain in `y`'s place. Its batches are
    drawn independently of the first's (`unpaired_targets`: a permutation
    of its own each epoch, of any length), so the rows of `x_a` and `x_b`
    need not, and should not, correspond. `generate(num_samples, seed)`
    returns the pair `(images_a, images_b)`. `model.g1`, `model.g2`,
    `model.d1` and `model.d2` are Keras-GAN's four networks, sharing the
    layers of `model.generator` and `model.discriminator`. The history has
    `d_loss` (both discriminators'), `g_loss` and `d_acc` (their mean).

    Defaults are Keras-GAN's `cogan.py` (`cogan_generator`,
    `cogan_discriminator`), a 100-D N(0, I) prior, Adam(2e-4, beta_1=0.5)
    for each player; images in [-1, 1]. Its domains are MNIST and MNIST
    rotated by 90 degrees (`keras_gen.data.load_domains`).

    ```python
    ((x_a, _), (x_b, _)), _ = keras_gen.data.load_domains("mnist", "rotated")
    cogan = keras_gen.CoGAN()
    cogan.compile()
    cogan.fit(x_a, x_b, epochs=20, batch_size=64)
    upright, rotated = cogan.generate(16, seed=0)
    ```

    Args:
        input_shape: Shape of one image (both domains').
        latent_dim: Size of the shared code.
        generator: Optional `keras.Model`, `(latent_dim,) -> [input_shape,
            input_shape]`.
        discriminator: Optional `keras.Model`, `[input_shape, input_shape]
            -> [(1,), (1,)]` probabilities.
        seed: Optional integer seed of the training codes.
        **kwargs: Base model arguments such as `name`.
    """

    value_range = (-1.0, 1.0)
    value_range_reason = "the generators end in a tanh, so real images share their range"
    network_names = ("generator", "discriminator")
    unpaired_targets = True  # fit(x_a, x_b): two domains, batched apart.

    def __init__(self, input_shape=(28, 28, 1), latent_dim=100, generator=None,
                 discriminator=None, seed=None, **kwargs):
        input_shape = tuple(check_positive_int(d, "input_shape") for d in input_shape)
        latent_dim = check_positive_int(latent_dim, "latent_dim")
        super().__init__(metric_names=METRIC_NAMES, **kwargs)
        self.input_shape = input_shape
        self.latent_dim = latent_dim
        self.seed = seed
        self.prior = priors.Gaussian(latent_dim, std=1.0)
        self.latent_sampler = LatentSampler(latent_dim, seed=seed, name="latent_sampler")
        self.generator = generator or cogan_generator(latent_dim, input_shape)
        self.discriminator = discriminator or cogan_discriminator(input_shape)
        z = keras.Input(shape=(latent_dim,), name="z")
        self.combined = keras.Model(z, self.discriminator(self.generator(z)), name="combined")
        self.g1, self.g2 = (keras.Model(self.generator.inputs, output, name=name)
                            for output, name in zip(self.generator.outputs, ("g1", "g2")))
        self.d1, self.d2 = (keras.Model(inputs, output, name=name) for inputs, output, name in
                            zip(self.discriminator.inputs, self.discriminator.outputs,
                                ("d1", "d2")))

    @property
    def decoder(self):
        """The coupled generators: `decode` and `generate` return a pair of images."""
        return self.generator

    def call(self, inputs, training=False):
        """The discriminators' probabilities of `[images_a, images_b]`."""
        return self.discriminator(inputs, training=training)

    def compile(self, d_optimizer=None, g_optimizer=None, **kwargs):
        """Configures training. The losses are built in: pass optimizers.

        Args:
            d_optimizer: Optimizer of both discriminators; a new
                Adam(2e-4, beta_1=0.5) by default.
            g_optimizer: Optimizer of both generators, same default.
            **kwargs: `run_eagerly`, `steps_per_execution` or `jit_compile`.
        """
        self.compile_players(
            generator_and_discriminator(self, d_optimizer, g_optimizer), **kwargs)

    def unpack_batch(self, data):
        """The batch's two domains, `(x_a, x_b)`."""
        x_a, x_b, _ = keras.utils.unpack_x_y_sample_weight(data)
        if x_b is None:
            raise ValueError(NO_SECOND_DOMAIN)
        return x_a, x_b

    def _check_fit_data(self, arguments):
        # Before the first step: inside it, a missing domain would fail mid-trace.
        if arguments.get("y") is None and is_array_like(arguments.get("x")):
            raise ValueError(NO_SECOND_DOMAIN)
        super()._check_fit_data(arguments)

    def _check_stream_batch(self, batch):
        self.unpack_batch(batch)
        super()._check_stream_batch(batch)

    def train_step(self, data):
        x_a, x_b = self.unpack_batch(data)
        logs = self.discriminator_step(x_a, x_b)
        logs.update(self.generator_step(x_a))
        return self.update_metrics(logs)

    def discriminator_step(self, x_a, x_b):
        """Updates both discriminators on their domain's real images and fakes.

        Args:
            x_a: Images of domain A, `(batch_size, *input_shape)`.
            x_b: Images of domain B, `(batch_size, *input_shape)`.

        Returns:
            Dict of the step's `d_loss` and `d_acc`.
        """
        x_a, x_b = ops.convert_to_tensor(x_a), ops.convert_to_tensor(x_b)
        z = self.sample_prior_codes(ops.shape(x_a)[0])
        fakes = [ops.stop_gradient(f) for f in self.generator(z, training=False)]

        def loss_fn():
            real = self.discriminator([x_a, x_b], training=True)
            fake = self.discriminator(fakes, training=True)
            loss = sum(losses.discriminator_loss(r, f) for r, f in zip(real, fake))
            return loss, (real, fake)

        d_loss, (real, fake) = backend.minimize(
            loss_fn, self.discriminator.trainable_variables, self.d_optimizer)
        accuracy = 0.5 * sum(losses.discriminator_accuracy(r, f) for r, f in zip(real, fake))
        return {"d_loss": d_loss, "d_acc": accuracy}

    def generator_step(self, x_a):
        """Updates both generators against the frozen discriminators.

        Args:
            x_a: A batch of domain A; only its size is used.

        Returns:
            Dict of the step's `g_loss`.
        """
        z = self.sample_prior_codes(ops.shape(x_a)[0])

        def loss_fn():
            scores = frozen(self.discriminator, self.generator(z, training=True))
            return sum(losses.generator_loss(s) for s in scores), None

        g_loss, _ = backend.minimize(
            loss_fn, self.generator.trainable_variables, self.g_optimizer)
        return {"g_loss": g_loss}

    def test_step(self, data):
        # The training losses, in inference mode, no update.
        x_a, x_b = self.unpack_batch(data)
        real = self.discriminator([x_a, x_b], training=False)
        fake = self.combined(self.sample_prior_codes(ops.shape(x_a)[0]), training=False)
        return self.update_metrics({
            "d_loss": sum(losses.discriminator_loss(r, f) for r, f in zip(real, fake)),
            "g_loss": sum(losses.generator_loss(f) for f in fake),
            "d_acc": 0.5 * sum(losses.discriminator_accuracy(r, f) for r, f in zip(real, fake)),
        })

    def get_config(self):
        base_config = super().get_config()
        config = {"input_shape": self.input_shape, "latent_dim": self.latent_dim,
                  "seed": self.seed}
        return {**base_config, **config}
