"""The MLP GAN of the lecture notes and Keras-GAN's `gan.py`."""

import math
import os

import keras
import numpy as np
from keras import ops

from keras_gen import backend
from keras_gen import callbacks
from keras_gen import data
from keras_gen import losses
from keras_gen.layers import LatentSampler
from keras_gen.models.adversarial import (
    AdversarialModel,
    frozen,
    generator_and_discriminator,
)
from keras_gen.models.base import GaussianPrior
from keras_gen.validation import check_positive_int, check_shape, check_units

METRIC_NAMES = ("d_loss", "g_loss", "d_acc", "d_x", "d_g_z1", "d_g_z2")


def mlp_generator(latent_dim, units, output_shape):
    """Builds Keras-GAN's MLP generator, the lecture notes' (`GAN`, `EBGAN`).

    Each hidden layer is `Dense -> LeakyReLU(0.2)`, followed by
    `BatchNormalization(momentum=0.8)` from the second layer on; the output
    is a tanh, reshaped to `output_shape`.

    Args:
        latent_dim: Size of the noise vector.
        units: Hidden layer sizes.
        output_shape: Shape of one generated image.

    Returns:
        A `keras.Model` named `"generator"`: `(latent_dim,) -> output_shape`.
    """
    noise = keras.Input(shape=(latent_dim,), name="noise")
    x = noise
    for index, size in enumerate(units):
        x = keras.layers.Dense(size)(x)
        x = keras.layers.LeakyReLU(negative_slope=0.2)(x)
        if index > 0:
            x = keras.layers.BatchNormalization(momentum=0.8)(x)
    x = keras.layers.Dense(math.prod(output_shape), activation="tanh")(x)
    images = keras.layers.Reshape(output_shape)(x)
    return keras.Model(noise, images, name="generator")


def mlp_discriminator(input_shape, units):
    """Builds Keras-GAN's MLP discriminator: `Flatten -> units -> 1` (sigmoid).

    Hidden layers are `Dense -> LeakyReLU(0.2)`.

    Args:
        input_shape: Shape of one image.
        units: Hidden layer sizes.

    Returns:
        A `keras.Model` named `"discriminator"`: `input_shape -> (1,)`.
    """
    images = keras.Input(shape=input_shape, name="images")
    x = keras.layers.Flatten()(images)
    for size in units:
        x = keras.layers.Dense(size)(x)
        x = keras.layers.LeakyReLU(negative_slope=0.2)(x)
    validity = keras.layers.Dense(1, activation="sigmoid")(x)
    return keras.Model(images, validity, name="discriminator")


@keras.saving.register_keras_serializable(package="keras_gen")
class GAN(GaussianPrior, AdversarialModel):
    """A GAN: a generator against a discriminator, both passed in or built.

    By default, the multilayer-perceptron GAN of the lecture notes and
    Keras-GAN: generator `latent_dim -> 128 -> 256 (BatchNorm) -> 512
    (BatchNorm) -> prod(input_shape)` with a tanh output (`mlp_generator`),
    discriminator `Flatten -> 512 -> 256 -> 1` with a sigmoid output
    (`mlp_discriminator`). Data must be scaled to [-1, 1].

    Each batch runs two phases, each with its own optimizer:

    1. `discriminator_step`: fakes are generated with
       `generator(z1, training=False)`, as Keras-GAN's `generator.predict()`
       does, so the generator (BatchNorm statistics included) is untouched.
       The discriminator, in training mode, scores the real and the fake
       batch separately (each BatchNorm sees one kind of image, as in
       Keras-GAN and the PyTorch DCGAN example) and minimizes
       `losses.discriminator_loss` (`d_optimizer`).
    2. `generator_step`: on fresh noise `z2`, the generator in training mode
       minimizes the non-saturating `losses.generator_loss`, scored by the
       discriminator frozen (`frozen()`: training mode, no gradient, a
       stateless call), so every discriminator variable stays bit-identical
       (`g_optimizer`).

    The history has `d_loss`, `g_loss`, `d_acc` (accuracy at 0.5 on the real
    and fake batches, Keras-GAN's `acc`) and the PyTorch DCGAN example's
    `D(x)`, `D(G(z1))`, `D(G(z2))` as `d_x`, `d_g_z1`, `d_g_z2` (before the
    update that uses them).

    `model.generator`, `model.discriminator` and `model.combined` (noise ->
    generator -> discriminator, sharing their layers) are there as in
    Keras-GAN. Calling the model on images returns the discriminator's
    probabilities. `fit(x)` takes images only; a target `y` is ignored.

    ```python
    gan = keras_gen.GAN(input_shape=(28, 28, 1))
    gan.compile()  # Adam(2e-4, beta_1=0.5) for each player.
    gan.fit(x_train * 2 - 1, epochs=30, batch_size=64)
    images = gan.generate(16, seed=0)  # in [-1, 1]
    ```

    Args:
        input_shape: Shape of one image, `(784,)` or `(28, 28, 1)` for MNIST.
        latent_dim: Size of the noise vector.
        generator: Optional `keras.Model`, `(latent_dim,) -> input_shape`;
            by default `mlp_generator(latent_dim, generator_units,
            input_shape)`.
        discriminator: Optional `keras.Model`, `input_shape -> (1,)`
            probabilities; by default `mlp_discriminator(input_shape,
            discriminator_units)`.
        generator_units: Hidden layer sizes of the default generator.
        discriminator_units: Hidden layer sizes of the default discriminator.
        seed: Optional integer seed of the training noise.
        **kwargs: Base model arguments such as `name`.
    """

    # Real images share the range of the generator's tanh output.
    value_range = (-1.0, 1.0)
    value_range_reason = "the generator ends in a tanh, so real images share its range"

    network_names = ("generator", "discriminator")

    def __init__(
        self,
        input_shape=(784,),
        latent_dim=100,
        generator=None,
        discriminator=None,
        generator_units=(128, 256, 512),
        discriminator_units=(512, 256),
        seed=None,
        **kwargs,
    ):
        input_shape = check_shape(input_shape, "input_shape")
        super().__init__(input_shape, METRIC_NAMES, seed=seed, **kwargs)
        self.latent_dim = check_positive_int(latent_dim, "latent_dim")
        self.generator_units = check_units(generator_units, "generator_units")
        self.discriminator_units = check_units(
            discriminator_units, "discriminator_units"
        )
        self.latent_sampler = LatentSampler(
            self.latent_dim, seed=seed, name="latent_sampler"
        )
        if generator is None:
            generator = mlp_generator(
                self.latent_dim, self.generator_units, input_shape
            )
        if discriminator is None:
            discriminator = mlp_discriminator(input_shape, self.discriminator_units)
        self.generator = generator
        self.discriminator = discriminator
        noise = keras.Input(shape=(self.latent_dim,), name="noise")
        self.combined = keras.Model(
            noise, self.discriminator(self.generator(noise)), name="combined"
        )

    def call(self, inputs, training=False):
        return self.discriminator(inputs, training=training)

    @property
    def decoder(self):
        """The generator: what `decode`, `generate` and the callbacks run."""
        return self.generator

    def compile(self, d_optimizer=None, g_optimizer=None, **kwargs):
        """Configures training. The losses are built in: pass optimizers.

        Args:
            d_optimizer: Optimizer (instance, name or config) of the
                discriminator. Defaults to a new Adam(2e-4, beta_1=0.5).
            g_optimizer: Optimizer of the generator, same default.
            **kwargs: `run_eagerly`, `steps_per_execution` or `jit_compile`,
                as in `keras.Model.compile()`.
        """
        self.compile_players(
            generator_and_discriminator(self, d_optimizer, g_optimizer), **kwargs
        )

    def train(
        self, epochs=None, batch_size=128, save_interval=50, x=None,
        directory="images", seed=None, verbose="auto", sample_interval=None,
    ):
        """Keras-GAN's `train()`: `epochs` iterations of one random batch each.

        `DCGAN().train(epochs=4000, batch_size=32, save_interval=50)` runs as
        Keras-GAN's script does: `epochs` counts iterations, not passes over
        the data; each iteration trains both players on `batch_size` images
        drawn at random (`keras_gen.data.SampledBatches`); a 5x5 grid of
        generated images is saved every `save_interval` iterations, iteration
        0 included, as `directory/generated_images/iteration_NNNNNN.png`
        (the grid decodes the same 25 noise vectors each time). Without `x`
        it trains on MNIST's 60,000 training digits scaled to [-1, 1].

        It is one `fit()` of one epoch of `epochs` steps (the same compiled
        step, the same speed), after `compile()` with the default optimizers
        (Keras-GAN's Adam(2e-4, beta_1=0.5)) if the model is not compiled.

        Args:
            epochs: Number of iterations (Keras-GAN's name for them).
            batch_size: Images per iteration; Keras-GAN's default, 128.
            save_interval: Save a grid every this many iterations.
            x: Training images in [-1, 1] of the model's `input_shape`;
                MNIST by default.
            directory: Folder of the pictures (Keras-GAN's `images/`).
            seed: Seed of the batch draws; by default drawn from NumPy's
                global generator, which `keras.utils.set_random_seed()` seeds.
            verbose: As in `fit()`; 0 also silences the message saying
                where the pictures go.
            sample_interval: Keras-GAN's `gan.py` name for `save_interval`.

        Returns:
            The `History` of the `fit()` call: one entry per metric, the
            average over the iterations.

        On the PyTorch backend a Keras model is also a `torch.nn.Module`,
        whose `train(mode=True)` sets training mode and which Keras calls
        itself: `train()` and `train(True)`/`train(False)` do that there.
        """
        if epochs is None or isinstance(epochs, bool):
            module_train = getattr(super(), "train", None)  # torch.nn.Module's.
            if module_train is None:
                raise TypeError(
                    "train() needs `epochs`, the number of iterations, as in "
                    "Keras-GAN: e.g. dcgan.train(epochs=4000, batch_size=32, "
                    f"save_interval=50). Received: epochs={epochs!r}"
                )
            return module_train(True if epochs is None else epochs)
        iterations = check_positive_int(epochs, "epochs")
        if sample_interval is not None:
            save_interval = sample_interval
        if x is None:
            x = self._keras_gan_mnist()
        self._check_batch(x, "x")
        if not self.compiled:
            self.compile()
        if seed is None:
            seed = int(np.random.randint(2**31 - 1))
        batches = data.SampledBatches(x, batch_size, iterations, seed=seed)
        pictures = callbacks.EveryNBatches(
            callbacks.SampleGrid(
                num_samples=25, columns=5, value_range=self.value_range,
                directory=directory,
                # Flat images are taken as square.
                image_shape=self.input_shape if len(self.input_shape) > 1 else None,
            ),
            every_n_batches=save_interval,
        )
        if verbose != 0:
            print(
                f"Saving 5x5 grids of generated images every {save_interval} "
                f"iterations to {os.path.join(directory, pictures.picture.key)}"
            )
        return self.fit(batches, epochs=1, callbacks=[pictures], verbose=verbose)

    def _keras_gan_mnist(self):
        """MNIST's training digits in [-1, 1], flat or as images to fit the model."""
        layouts = {(784,): "flat", (28, 28, 1): "image"}
        if self.input_shape not in layouts:
            raise ValueError(
                "Without `x`, train() uses MNIST, whose digits have shape "
                "(784,) or (28, 28, 1); pass your images in [-1, 1] as `x=` "
                f"for a model of another shape. Received: input_shape="
                f"{self.input_shape}"
            )
        (x_train, _), _ = data.load_dataset(
            "mnist", layout=layouts[self.input_shape], value_range=(-1.0, 1.0)
        )
        return x_train

    def train_step(self, data):
        real_images = self.unpack_batch(data)
        logs = self.discriminator_step(real_images)
        logs.update(self.generator_step(real_images))
        return self.update_metrics(logs)

    def discriminator_step(self, real_images):
        """Updates the discriminator on one batch; the generator is untouched.

        Args:
            real_images: Batch of data.

        Returns:
            Dict of the step's `d_loss`, `d_acc`, `d_x` and `d_g_z1`.
        """
        real_images = ops.convert_to_tensor(real_images)
        noise = self.latent_sampler.sample(ops.shape(real_images)[0])
        fake_images = ops.stop_gradient(self.generator(noise, training=False))

        def loss():
            real_scores = self.discriminator(real_images, training=True)
            fake_scores = self.discriminator(fake_images, training=True)
            d_loss = losses.discriminator_loss(real_scores, fake_scores)
            return d_loss, (real_scores, fake_scores)

        d_loss, (real_scores, fake_scores) = backend.minimize(
            loss, self.discriminator.trainable_variables, self.d_optimizer
        )
        return {
            "d_loss": d_loss,
            "d_acc": losses.discriminator_accuracy(real_scores, fake_scores),
            "d_x": ops.mean(real_scores),
            "d_g_z1": ops.mean(fake_scores),
        }

    def generator_step(self, real_images):
        """Updates the generator against the frozen discriminator.

        Args:
            real_images: Batch of data; only its size is used.

        Returns:
            Dict of the step's `g_loss` and `d_g_z2`.
        """
        noise = self.latent_sampler.sample(ops.shape(real_images)[0])

        def loss():
            fake_images = self.generator(noise, training=True)
            fake_scores = frozen(self.discriminator, fake_images)
            return losses.generator_loss(fake_scores), fake_scores

        g_loss, fake_scores = backend.minimize(
            loss, self.generator.trainable_variables, self.g_optimizer
        )
        return {"g_loss": g_loss, "d_g_z2": ops.mean(fake_scores)}

    def test_step(self, data):
        # The same quantities as in training, in inference mode, no update.
        real_images = self.unpack_batch(data)
        batch_size = ops.shape(real_images)[0]
        noise_1 = self.latent_sampler.sample(batch_size)
        noise_2 = self.latent_sampler.sample(batch_size)
        real_scores = self.discriminator(real_images, training=False)
        fake_scores_1 = self.combined(noise_1, training=False)
        fake_scores_2 = self.combined(noise_2, training=False)
        return self.update_metrics({
            "d_loss": losses.discriminator_loss(real_scores, fake_scores_1),
            "g_loss": losses.generator_loss(fake_scores_2),
            "d_acc": losses.discriminator_accuracy(real_scores, fake_scores_1),
            "d_x": ops.mean(real_scores),
            "d_g_z1": ops.mean(fake_scores_1),
            "d_g_z2": ops.mean(fake_scores_2),
        })

    def get_config(self):
        base_config = super().get_config()
        config = {
            "latent_dim": self.latent_dim,
            "generator_units": list(self.generator_units),
            "discriminator_units": list(self.discriminator_units),
        }
        return {**base_config, **config}
