"""The mechanism shared by the adversarial models: players updated in turn.

Keras-GAN trains a GAN with `generator.predict()` and `train_on_batch()` calls
on the discriminator and on a `combined` model whose discriminator was frozen
with `trainable = False` before compiling. On Keras 3 that freezing silently
stops the discriminator from ever learning, and the loop is several times
slower than one compiled step (see the field notes). Here every player (a set
of variables with its own optimizer and loss) is updated in turn inside ONE
`train_step`, which `fit()` compiles once.
"""

import keras
from keras import ops

from keras_gen import backend
from keras_gen.layers import SeededLayer
from keras_gen.models.base import GaussianPrior, GenerativeModel
from keras_gen.optimizers import PlayerOptimizers
from keras_gen.validation import check_positive_int, check_shape


def default_optimizer():
    """A fresh Adam(2e-4, beta_1=0.5), the optimizer of Keras-GAN and DCGAN."""
    return keras.optimizers.Adam(learning_rate=2e-4, beta_1=0.5)


@keras.saving.register_keras_serializable(package="keras_gen")
class LatentSampler(SeededLayer):
    """Draws the training noise `z ~ N(0, I)` from a saved seed generator.

    Its seed generator state is saved with the model (see `SeededLayer`), so
    a reloaded model draws the same noise as the original would have and
    training resumes exactly.

    Args:
        latent_dim: Size of one noise vector.
        seed: Optional integer seed.
        **kwargs: Base layer arguments.
    """

    def __init__(self, latent_dim, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.latent_dim = check_positive_int(latent_dim, "latent_dim")
        # Nothing to build: the only state is the seed generator.
        self.built = True

    def call(self, inputs):
        """Returns one noise vector per example of `inputs`."""
        return self.sample(ops.shape(inputs)[0])

    def sample(self, batch_size):
        """Returns noise of shape `(batch_size, latent_dim)`."""
        return keras.random.normal(
            (batch_size, self.latent_dim), seed=self.seed_generator
        )

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.latent_dim)

    def get_config(self):
        base_config = super().get_config()
        config = {"latent_dim": self.latent_dim}
        return {**base_config, **config}


def binary_crossentropy(target, scores):
    """Mean binary cross-entropy of probabilities `scores` against `target`."""
    return ops.mean(
        ops.binary_crossentropy(ops.full_like(scores, target), scores)
    )


class AdversarialModel(backend.Trainer, GaussianPrior, GenerativeModel):
    """Base class of the models whose players are trained against each other.

    Each batch runs the methods named in `phases`, in order, inside one
    compiled `train_step`. A phase updates one player: it computes that
    player's loss and applies its gradients, with that player's optimizer, to
    that player's variables only (`keras_gen.backend.minimize`). It returns
    a dict of scalars that feed the `keras.metrics.Mean` trackers named in
    `metric_names`, which appear in the history.

    This class implements the GAN game with binary cross-entropy on the
    discriminator's probabilities and the non-saturating generator loss:

    1. `discriminator_step`: fakes are generated with
       `generator(z1, training=False)`, as Keras-GAN's `generator.predict()`
       does, so the generator (BatchNorm moving statistics included) is left
       untouched. The discriminator, in training mode, scores the real batch
       and the fake batch separately (so each BatchNorm sees one kind of
       image, as in Keras-GAN and the PyTorch DCGAN example), and its loss
       is `0.5 * (BCE(1, D(x)) + BCE(0, D(G(z1))))`, Keras-GAN's `d_loss`.
    2. `generator_step`: on fresh noise `z2`, the loss is
       `BCE(1, D(G(z2)))` (the non-saturating loss `-log D(G(z))`), with the
       generator in training mode and the discriminator frozen
       (`frozen_discriminator()`): it runs in training mode, so the
       generator is scored by the same function the discriminator step
       trains (BatchNorm on this batch's statistics, dropout on), but it
       gets no gradients and its call is stateless, so every discriminator
       variable, BatchNorm moving statistics and dropout seeds included,
       stays bit-identical. This is what Keras-GAN's `combined` model with
       `discriminator.trainable = False` did on Keras 2. (On Keras 3,
       `trainable = False` also switches BatchNorm to inference mode; scoring
       fakes with moving statistics that mix real and fake batches made the
       DCGAN collapse. The PyTorch DCGAN example reuses one training-mode
       fake batch for both updates and lets the generator update move the
       discriminator's BatchNorm statistics.)

    Metrics (per-epoch means of the per-step values):

    - `d_loss`, `g_loss`: the two losses above.
    - `d_acc`: the discriminator's accuracy at threshold 0.5, the mean of its
      accuracy on the real and on the fake batch (Keras-GAN's `acc`).
    - `d_x`: mean `D(x)` on the real batch, before the discriminator update
      (the PyTorch DCGAN example's `D(x)`).
    - `d_g_z1`: mean `D(G(z1))` on the fakes, before the discriminator update
      (PyTorch's `D(G(z1))`, the first number of its `D(G(z))`).
    - `d_g_z2`: mean `D(G(z2))` in the generator step, after the
      discriminator update and before the generator update (PyTorch's
      `D(G(z2))`, the second number).

    `model.generator`, `model.discriminator` and `model.combined` (the
    functional model `noise -> generator -> discriminator`, sharing their
    layers) are there as in Keras-GAN. Calling the model on images returns
    the discriminator's probabilities that they are real. `fit(x)` takes
    images only; a target `y` is ignored. Sample weights are ignored.

    Subclasses define `build_generator()` and `build_discriminator()`, set
    their own attributes, then call `super().__init__()`, which builds the
    networks. Models with other players (energy-based GANs, adversarial
    autoencoders) override `phases`, `metric_names`, `player_variables()`,
    `compile()` (calling `compile_players()`) and `test_step()`.

    The TensorFlow and PyTorch backends can train these models; on JAX,
    `fit()` raises `NotImplementedError` (see `keras_gen.gradients`).

    Args:
        input_shape: Shape of one image, e.g. `(784,)` or `(28, 28, 1)`.
        latent_dim: Size of the generator's input noise.
        seed: Optional integer seed of the training noise.
        **kwargs: Base model arguments such as `name`.
    """

    phases = ("discriminator_step", "generator_step")
    metric_names = ("d_loss", "g_loss", "d_acc", "d_x", "d_g_z1", "d_g_z2")

    def __init__(self, input_shape, latent_dim=100, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.input_shape = check_shape(input_shape, "input_shape")
        self.latent_dim = check_positive_int(latent_dim, "latent_dim")
        self.seed = seed
        self.latent_sampler = LatentSampler(
            self.latent_dim, seed=seed, name="latent_sampler"
        )
        self.generator = self.build_generator()
        self.discriminator = self.build_discriminator()
        self.combined = self.build_combined()
        self.trackers = {
            name: keras.metrics.Mean(name=name) for name in self.metric_names
        }
        self.build((None, *self.input_shape))

    def build_generator(self):
        """Builds the generator: `(latent_dim,) -> input_shape`.

        Returns:
            A `keras.Model`.
        """
        raise NotImplementedError

    def build_discriminator(self):
        """Builds the discriminator: `input_shape -> (1,)`, a probability.

        Returns:
            A `keras.Model`.
        """
        raise NotImplementedError

    def build_combined(self):
        """Builds Keras-GAN's `combined` model: noise -> generator -> discriminator.

        It shares the generator's and discriminator's layers. Calling it
        gives `D(G(z))`; training uses the two networks directly, so that the
        generator runs in training mode and the discriminator does not.

        Returns:
            A `keras.Model`.
        """
        noise = keras.Input(shape=(self.latent_dim,), name="noise")
        scores = self.discriminator(self.generator(noise))
        return keras.Model(noise, scores, name="combined")

    def build(self, input_shape=None):
        # The networks are functional models, built on creation.
        self.built = True

    def call(self, inputs, training=False):
        return self.discriminator(inputs, training=training)

    @property
    def metrics(self):
        # Only our trackers: otherwise Keras adds an unused `loss` key.
        return list(self.trackers.values())

    # Compilation: one optimizer per player, saved and restored.

    def player_variables(self):
        """The variables each optimizer updates, keyed by optimizer name.

        The keys are the attributes holding the optimizers and the arguments
        of `compile()`.

        Returns:
            A dict `{optimizer_name: list of variables}`.
        """
        return {
            "d_optimizer": self.discriminator.trainable_variables,
            "g_optimizer": self.generator.trainable_variables,
        }

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
            {"d_optimizer": d_optimizer, "g_optimizer": g_optimizer}, **kwargs
        )

    def compile_players(
        self, optimizers, run_eagerly=False, steps_per_execution=1,
        jit_compile="auto",
    ):
        """Sets and builds one optimizer per player.

        Args:
            optimizers: Dict `{optimizer_name: optimizer or None}` with the
                keys of `player_variables()`; `None` means a new
                Adam(2e-4, beta_1=0.5).
            run_eagerly: Whether to run `train_step` eagerly (for debugging).
            steps_per_execution: Batches per compiled call.
            jit_compile: Whether to compile with XLA (`"auto"`: Keras decides;
                it is off on CPU).
        """
        players = self.player_variables()
        if set(optimizers) != set(players):
            raise ValueError(
                f"`optimizers` must have the keys {sorted(players)}. "
                f"Received: optimizers with keys {sorted(optimizers)}"
            )
        resolved = {}
        for name, optimizer in optimizers.items():
            optimizer = (
                default_optimizer() if optimizer is None
                else keras.optimizers.get(optimizer)
            )
            for other_name, other in resolved.items():
                if optimizer is other:
                    raise ValueError(
                        f"Each player needs its own optimizer instance, since "
                        f"an optimizer holds per-variable state. Received: "
                        f"the same optimizer for `{other_name}` and `{name}`"
                    )
            resolved[name] = optimizer
        # Every player's optimizer behind `model.optimizer`, where Keras'
        # trainers find their state; the losses are built in.
        container = PlayerOptimizers(resolved)
        super().compile(
            optimizer=container,
            run_eagerly=run_eagerly,
            steps_per_execution=steps_per_execution,
            jit_compile=jit_compile,
        )
        for name, optimizer in resolved.items():
            setattr(self, name, optimizer)
        # Built now, so `load_model()` finds the slots to restore and no
        # variable is created inside the compiled step.
        container.build(players)
        self._player_compile_kwargs = {
            "run_eagerly": run_eagerly,
            "steps_per_execution": steps_per_execution,
            "jit_compile": jit_compile,
        }

    def get_optimizer(self, name):
        """Returns the optimizer called `name`, once `compile()` has set it."""
        optimizer = getattr(self, name, None)
        if optimizer is None:
            raise RuntimeError(
                f"{type(self).__name__} has no `{name}` yet: call `compile()` "
                "before training."
            )
        return optimizer

    def get_compile_config(self):
        if not self.compiled:
            return {}
        config = {
            name: keras.saving.serialize_keras_object(getattr(self, name))
            for name in self.player_variables()
        }
        return {**config, **self._player_compile_kwargs}

    # Training.

    def unpack_batch(self, data):
        """Returns what the phases receive from a batch: the images only."""
        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        return x

    def train_step(self, data):
        batch = self.unpack_batch(data)
        for phase in self.phases:
            self.update_trackers(getattr(self, phase)(batch))
        return {tracker.name: tracker.result() for tracker in self.metrics}

    def test_step(self, data):
        # The same quantities as in training, without any update.
        real_images = self.unpack_batch(data)
        fake_images = self.generate_fakes(ops.shape(real_images)[0])
        d_loss, d_logs = self.compute_discriminator_loss(
            real_images, fake_images, training=False
        )
        noise = self.latent_sampler.sample(ops.shape(real_images)[0])
        g_loss, g_logs = self.compute_generator_loss(noise, training=False)
        self.update_trackers({"d_loss": d_loss, "g_loss": g_loss, **d_logs, **g_logs})
        return {tracker.name: tracker.result() for tracker in self.metrics}

    def update_trackers(self, logs):
        """Adds one step's values to the `Mean` trackers of the same names."""
        for name, value in logs.items():
            self.trackers[name].update_state(value)

    def generate_fakes(self, batch_size):
        """Generates fakes without touching the generator's state.

        Args:
            batch_size: Number of images (may be a symbolic scalar).

        Returns:
            Tensor of shape `(batch_size, *input_shape)`, with no gradient.
        """
        noise = self.latent_sampler.sample(batch_size)
        return ops.stop_gradient(self.generator(noise, training=False))

    def compute_discriminator_loss(self, real_images, fake_images, training=True):
        """The discriminator's loss and metrics on one real and one fake batch.

        Args:
            real_images: Batch of data.
            fake_images: Batch of generated images.
            training: Whether the discriminator runs in training mode.

        Returns:
            `(loss, logs)`, `logs` a dict with `d_acc`, `d_x` and `d_g_z1`.
        """
        real_scores = self.discriminator(real_images, training=training)
        fake_scores = self.discriminator(fake_images, training=training)
        loss = 0.5 * (
            binary_crossentropy(1.0, real_scores)
            + binary_crossentropy(0.0, fake_scores)
        )
        accuracy = 0.5 * (
            ops.mean(ops.cast(real_scores > 0.5, "float32"))
            + ops.mean(ops.cast(fake_scores <= 0.5, "float32"))
        )
        logs = {
            "d_acc": accuracy,
            "d_x": ops.mean(real_scores),
            "d_g_z1": ops.mean(fake_scores),
        }
        return loss, logs

    def frozen_discriminator(self, inputs):
        """Runs the discriminator as the frozen player of a generator update.

        The discriminator runs in training mode, as in its own update, so the
        generator learns from the function the discriminator step trained.
        The call is stateless: the BatchNorm moving statistics and dropout
        seed states it would update are discarded, and
        `backend.minimize` differentiates the generator's variables only,
        so nothing of the discriminator changes.

        Args:
            inputs: What the discriminator takes (fake images, or codes).

        Returns:
            The discriminator's outputs.
        """
        discriminator = self.discriminator
        outputs, _ = discriminator.stateless_call(
            [variable.value for variable in discriminator.trainable_variables],
            [variable.value for variable in discriminator.non_trainable_variables],
            inputs,
            training=True,
        )
        return outputs

    def compute_generator_loss(self, noise, training=True):
        """The non-saturating generator loss with a frozen discriminator.

        Args:
            noise: Batch of latent vectors (or, for the adversarial
                autoencoders, the images the encoder turns into codes).
            training: Whether the update runs: the generator in training mode
                and the discriminator frozen (`frozen_discriminator()`).
                `False` (evaluation) runs both in inference mode.

        Returns:
            `(loss, logs)`, `logs` a dict with `d_g_z2`.
        """
        fake_images = self.generator(noise, training=training)
        if training:
            fake_scores = self.frozen_discriminator(fake_images)
        else:
            fake_scores = self.discriminator(fake_images, training=False)
        loss = binary_crossentropy(1.0, fake_scores)
        return loss, {"d_g_z2": ops.mean(fake_scores)}

    def discriminator_step(self, real_images):
        """Updates the discriminator on one batch; the generator is untouched.

        Can be called on its own, eagerly or inside a compiled function.

        Args:
            real_images: Batch of data.

        Returns:
            Dict of the step's `d_loss`, `d_acc`, `d_x` and `d_g_z1`.
        """
        real_images = ops.convert_to_tensor(real_images)
        fake_images = self.generate_fakes(ops.shape(real_images)[0])
        loss, logs = backend.minimize(
            lambda: self.compute_discriminator_loss(real_images, fake_images),
            self.discriminator.trainable_variables,
            self.get_optimizer("d_optimizer"),
        )
        return {"d_loss": loss, **logs}

    def generator_step(self, real_images):
        """Updates the generator on one batch; the discriminator is untouched.

        Args:
            real_images: Batch of data; only its size is used.

        Returns:
            Dict of the step's `g_loss` and `d_g_z2`.
        """
        noise = self.latent_sampler.sample(ops.shape(real_images)[0])
        loss, logs = backend.minimize(
            lambda: self.compute_generator_loss(noise),
            self.generator.trainable_variables,
            self.get_optimizer("g_optimizer"),
        )
        return {"g_loss": loss, **logs}

    # Input checks and NumPy helpers.

    def _check_batch(self, x, name):
        # Targets are made per batch (real/fake), so a given `y` is ignored.
        if name != "y":
            super()._check_batch(x, name)

    @property
    def decoder(self):
        """The generator: what `decode`, `generate` and the callbacks run."""
        return self.generator

    def get_config(self):
        base_config = super().get_config()
        config = {
            "input_shape": self.input_shape,
            "latent_dim": self.latent_dim,
            "seed": self.seed,
        }
        return {**base_config, **config}
