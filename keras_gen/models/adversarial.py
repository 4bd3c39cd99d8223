"""What the adversarial models share: players, each with its own optimizer.

Keras-GAN trains a GAN with `generator.predict()` and `train_on_batch()` calls
on the discriminator and on a `combined` model whose discriminator was frozen
with `trainable = False` before compiling. On Keras 3 that freezing silently
stops the discriminator from ever learning, and the loop is several times
slower than one compiled step. Here every player (a network with its own
optimizer and loss) is updated in turn inside one `train_step` per batch,
which `fit()` compiles once, on every backend.
"""

import copy
import os

import keras
import numpy as np
from keras import ops

from keras_gen import backend
from keras_gen import callbacks
from keras_gen import data
from keras_gen.models.base import GenerativeModel
from keras_gen.optimizers import PlayerOptimizers
from keras_gen.validation import check_positive_int


def default_optimizer():
    """A fresh Adam(2e-4, beta_1=0.5), the optimizer of Keras-GAN and DCGAN."""
    return keras.optimizers.Adam(learning_rate=2e-4, beta_1=0.5)


def frozen(network, inputs):
    """Runs `network` as the frozen player of another player's update.

    The network runs in training mode, as in its own update, so the other
    player learns from the function that update trains (BatchNorm on the
    batch's statistics, dropout on). The call is stateless: the BatchNorm
    moving statistics and dropout seed states it would update are discarded,
    and since `keras_gen.backend.minimize` differentiates the updated
    player's variables only, nothing of `network` changes. This is what
    Keras-GAN's `combined` model with `discriminator.trainable = False` did
    on Keras 2.

    Args:
        network: A `keras.Model`.
        inputs: What the network takes.

    Returns:
        The network's outputs.
    """
    outputs, _ = network.stateless_call(
        [variable.value for variable in network.trainable_variables],
        [variable.value for variable in network.non_trainable_variables],
        inputs,
        training=True,
    )
    return outputs


def minimize_every(loss_fn, variables, optimizer, interval):
    """`backend.minimize()`, with the update kept on every `interval`-th step only.

    Some players train less often than once a batch (the ports of Makhzani
    et al.'s semi-supervised AAE that run the supervised phase every k-th
    batch). A compiled step cannot skip an update by Python control flow,
    and `ops.cond` cannot hold the variable updates of a JAX step, so this
    runs the update on every step and, on the steps it should not happen,
    puts back `variables` and the optimizer's state (slots such as momentum)
    bit for bit: a `where` on the values from before the step. The forward
    pass still runs, so random draws and BatchNorm's moving statistics in
    `loss_fn` move on as on any step.

    The step is counted by `optimizer.iterations`, which goes on counting
    every step (it is not put back): it is part of the optimizer's state, so
    it runs on inside compiled loops of `steps_per_execution` steps, is
    threaded through JAX's stateless steps, and is saved and restored with
    the model (`.keras` files, `BackupAndRestore`) where a Python counter
    would start over; and a learning-rate schedule, which counts
    `iterations`, keeps counting batches, in step with the epochs like the
    other players' schedules. (Adam's bias correction counts the same steps,
    so its first updates, while `beta ** iterations` is not yet negligible,
    are a little smaller than after as many updates on every step.)

    Args:
        loss_fn: As in `backend.minimize()`.
        variables: As in `backend.minimize()`.
        optimizer: As in `backend.minimize()`; one counting its own steps
            (no `gradient_accumulation_steps`).
        interval: A positive int: the update is kept on the steps whose
            index (from 0, `optimizer.iterations` before the step) is a
            multiple of `interval`. With 1 this is `backend.minimize()`.

    Returns:
        `(loss, aux)` of every step, as `backend.minimize()` returns them.
    """
    interval = check_positive_int(interval, "interval")
    if interval == 1:
        return backend.minimize(loss_fn, variables, optimizer)
    _check_can_put_back(optimizer)
    keep_update = ops.equal(ops.mod(optimizer.iterations, interval), 0)
    state = [v for v in optimizer.variables if v is not optimizer.iterations]
    return _minimize_kept(keep_update, loss_fn, variables, optimizer, state)


def minimize_if(keep, loss_fn, variables, optimizer, state=()):
    """`backend.minimize()`, with the update kept only where `keep` is true.

    For a player that trains less often than the other, such as the
    generator of a Wasserstein GAN, updated once every `n_critic` critic
    updates. As `minimize_every()` does, this runs the update on every step
    and puts back, bit for bit, on the steps where `keep` is false:
    `variables`, the optimizer's whole state (its `iterations` included, so
    `iterations` counts the updates kept and Adam's bias correction sees
    those), and `state`.

    Args:
        keep: A boolean scalar tensor: whether this step's update stays.
        loss_fn: As in `backend.minimize()`.
        variables: As in `backend.minimize()`.
        optimizer: As in `backend.minimize()`, built, without
            `gradient_accumulation_steps`.
        state: Other variables to put back with them: the player's
            non-trainable variables (BatchNorm moving statistics), so a
            skipped step leaves the player exactly as it was.

    Returns:
        `(loss, aux)` of every step, as `backend.minimize()` returns them.
    """
    _check_can_put_back(optimizer)
    return _minimize_kept(
        keep, loss_fn, variables, optimizer, [*optimizer.variables, *state])


def _check_can_put_back(optimizer):
    if not optimizer.built:
        # Slots made inside the step would escape the put-back.
        raise ValueError(
            "An update kept every few steps puts the optimizer's state back, "
            "so the optimizer must be built first: call "
            "`optimizer.build(variables)` (a keras-gen model's compile() "
            f"does). Received: an unbuilt {type(optimizer).__name__}"
        )
    if optimizer.gradient_accumulation_steps:
        raise ValueError(
            "An update kept every few steps counts the steps with the "
            "optimizers' `iterations`, which gradient accumulation divides: "
            "use an optimizer without `gradient_accumulation_steps`. Received: "
            f"gradient_accumulation_steps={optimizer.gradient_accumulation_steps}"
        )


def _minimize_kept(keep, loss_fn, variables, optimizer, state):
    variables = list(variables)
    kept = variables + list(state)
    # Copies: PyTorch updates the variables in place.
    before = [ops.copy(variable.value) for variable in kept]
    loss, aux = backend.minimize(loss_fn, variables, optimizer)
    for variable, value in zip(kept, before):
        variable.assign(ops.where(keep, variable.value, value))
    return loss, aux


def generator_and_discriminator(model, d_optimizer, g_optimizer):
    """The two players of a GAN, for `AdversarialModel.compile_players()`.

    Returns:
        `{"d_optimizer": (d_optimizer, discriminator variables),
        "g_optimizer": (g_optimizer, generator variables)}`.
    """
    return {
        "d_optimizer": (d_optimizer, model.discriminator.trainable_variables),
        "g_optimizer": (g_optimizer, model.generator.trainable_variables),
    }


class AdversarialModel(GenerativeModel):
    """Base class of the models whose players are trained against each other.

    It holds the machinery, not a game: one optimizer per player behind
    `model.optimizer` (a `keras_gen.optimizers.PlayerOptimizers`, where
    Keras' trainers find, save and restore their state), the `Mean` trackers
    of the history, the networks in the model's config (so networks passed to
    the constructor survive `.keras` save/load), and, through
    `keras_gen.backend.Model`, the stateful `train_step(data)` on every
    backend. Subclasses write `train_step` out top to bottom from their
    phases, each a call of `keras_gen.backend.minimize(loss, variables,
    optimizer)`.

    Args:
        input_shape: Shape of one input.
        metric_names: The history's keys, one `keras.metrics.Mean` each
            (`update_metrics()` feeds them).
        seed: Optional integer seed of the model's training noise.
        **kwargs: Base model arguments such as `name`.

    Attributes:
        network_names: Class attribute: the constructor arguments that are
            networks, serialized in the config.
    """

    network_names = ()

    def __init__(self, input_shape, metric_names, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.input_shape = input_shape
        self.seed = seed
        self.trackers = {
            name: keras.metrics.Mean(name=name) for name in metric_names
        }
        # The networks, set by the subclass, are functional models, built on
        # creation. (Not `self.build()`: it would lock the model against
        # the networks the subclass adds next.)
        self.built = True

    def build(self, input_shape=None):
        self.built = True

    def __getattr__(self, name):
        # Only reached when `name` is not found the usual way. PyTorch's
        # modules keep their sub-modules here: look there first.
        parent = getattr(super(), "__getattr__", None)
        if parent is not None:
            try:
                return parent(name)
            except AttributeError:
                pass
        if name.endswith("_optimizer"):
            raise AttributeError(
                f"{type(self).__name__} has no `{name}` yet: call `compile()` "
                "before training."
            )
        raise AttributeError(
            f"'{type(self).__name__}' object has no attribute '{name}'"
        )

    @property
    def metrics(self):
        # Only our trackers: otherwise Keras adds an unused `loss` key.
        return list(self.trackers.values())

    def update_metrics(self, logs):
        """Adds one step's values to the trackers; returns every tracker's result."""
        for name, value in logs.items():
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    def unpack_batch(self, data):
        """Returns what the phases receive from a batch: the inputs only."""
        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        return x

    def compile_players(
        self, players, run_eagerly=False, steps_per_execution=1, jit_compile="auto"
    ):
        """Sets and builds one optimizer per player.

        Each optimizer becomes an attribute of the model (`model.d_optimizer`,
        ...) and a part of `model.optimizer`.

        Args:
            players: Dict `{optimizer_name: (optimizer, variables)}`: the
                optimizer (instance, name, config, or `None` for a new
                Adam(2e-4, beta_1=0.5)) and the variables it updates.
            run_eagerly: Whether to run `train_step` eagerly (for debugging).
            steps_per_execution: Batches per compiled call.
            jit_compile: Whether to compile with XLA (`"auto"`: Keras decides;
                True on JAX, False on TensorFlow's CPU and on PyTorch).
        """
        optimizers = {}
        # Made and built in the model's `tf.distribute` strategy, if any, so
        # that their slots are mirrored like the weights.
        with backend.distribution_scope(self):
            for name, (optimizer, _) in players.items():
                if isinstance(optimizer, keras.optimizers.Optimizer):
                    backend.check_optimizer(optimizer, self, name)
                try:
                    optimizers[name] = (
                        default_optimizer() if optimizer is None
                        else keras.optimizers.get(optimizer)
                    )
                except ValueError as error:
                    raise ValueError(
                        f"`{name}` must be a Keras optimizer, its name or its "
                        f"config. Received: {name}={optimizer!r} ({error})"
                    ) from None
            container = PlayerOptimizers(optimizers)
        super().compile(
            optimizer=container,
            run_eagerly=run_eagerly,
            steps_per_execution=steps_per_execution,
            jit_compile=jit_compile,
        )
        for name, optimizer in optimizers.items():
            setattr(self, name, optimizer)
        # Built now, so `load_model()` finds the slots to restore and no
        # variable is created inside the compiled step.
        with backend.distribution_scope(self):
            container.build(
                {name: variables for name, (_, variables) in players.items()})
        self._player_compile_kwargs = {
            "run_eagerly": run_eagerly,
            "steps_per_execution": steps_per_execution,
            "jit_compile": jit_compile,
        }

    def get_compile_config(self):
        if not self.compiled:
            return {}
        config = {
            name: keras.saving.serialize_keras_object(optimizer)
            for name, optimizer in self.optimizer.optimizers.items()
        }
        return {**config, **self._player_compile_kwargs}

    def _check_batch(self, x, name):
        # A target `y` is ignored by default.
        if name != "y":
            super()._check_batch(x, name)

    def train(
        self, epochs=None, batch_size=128, save_interval=50, x=None,
        directory="images", seed=None, verbose="auto", sample_interval=None,
    ):
        """Keras-GAN's `train()`: `epochs` iterations of one random batch each.

        For the models with a generator (`model.generator`).

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

    def get_config(self):
        base_config = super().get_config()
        config = {
            "input_shape": self.input_shape,
            "seed": self.seed,
            **{
                name: keras.saving.serialize_keras_object(getattr(self, name))
                for name in self.network_names
            },
        }
        return {**base_config, **config}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        for name in cls.network_names:
            if isinstance(config.get(name), dict):
                # A copy: deserializing consumes the dict it reads.
                config[name] = keras.saving.deserialize_keras_object(
                    copy.deepcopy(config[name]), custom_objects=custom_objects
                )
        return cls(**config)
