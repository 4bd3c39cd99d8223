"""What every keras-gen model shares: `GenerativeModel`."""

import copy
import inspect
import os

import keras
import numpy as np

from keras_gen import backend
from keras_gen import callbacks
from keras_gen import data
from keras_gen import priors
from keras_gen.callbacks.backup import (
    BackupAndRestore,
    keras_backup_epoch,
    random_state_variables,
)
from keras_gen.callbacks.nan_guard import StopOnNaN
from keras_gen.data import ArrayBatches, IndexedBatches
from keras_gen.models.adversarial import default_optimizer
from keras_gen.optimizers import PlayerOptimizers
from keras_gen.validation import (
    check_data,
    check_non_negative_float,
    check_positive_int,
    check_value_range,
    is_array_like,
)

DEFAULT_BATCH_SIZE = 256
# The keys of the random states among a model's own saved variables.
RANDOM_STATE_PREFIX = "random_state_"


def predict_in_batches(model, x, batch_size=DEFAULT_BATCH_SIZE):
    """Runs `model` in inference mode over `x` and returns NumPy arrays.

    Unlike `Model.predict()`, which builds a new compiled function (and
    warns about retracing) for each new sub-model or call pattern, this
    calls the model directly, which suits the occasional calls of the
    helpers and picture callbacks.

    Args:
        model: A Keras model with one or several inputs and outputs.
        x: Array whose first axis is the batch, or a list of them (one per
            input of the model, e.g. `[labels, z]`).
        batch_size: Examples per call.

    Returns:
        A NumPy array, or a list of them for a model with several outputs.
    """
    batch_size = check_positive_int(batch_size, "batch_size")
    inputs = list(x) if isinstance(x, (list, tuple)) else [x]
    batches = [
        keras.tree.map_structure(
            keras.ops.convert_to_numpy,
            model(
                [part[start : start + batch_size] for part in inputs]
                if len(inputs) > 1 else inputs[0][start : start + batch_size],
                training=False,
            ),
        )
        for start in range(0, len(inputs[0]), batch_size)
    ]
    if isinstance(batches[0], (list, tuple)):
        return [np.concatenate(parts) for parts in zip(*batches)]
    return np.concatenate(batches)


def one_hot_labels(labels, num_classes, dtype="float32"):
    """One-hot vectors of a batch of integer labels, inside a training step.

    Args:
        labels: Tensor of integer (or integral float) labels, shape
            `(batch,)` or `(batch, 1)`.
        num_classes: Number of classes.
        dtype: Dtype of the result.

    Returns:
        A tensor of shape `(batch, num_classes)`.
    """
    labels = keras.ops.reshape(keras.ops.cast(labels, "int32"), (-1,))
    return keras.ops.one_hot(labels, num_classes, dtype=dtype)


def first_batch(data):
    """The first batch of a `tf.data.Dataset` or a `PyDataset`, as NumPy; else None.

    Other streams (generators, iterators) cannot be read without consuming
    them, so they are not checked.
    """
    if isinstance(data, keras.utils.PyDataset):
        if isinstance(data, IndexedBatches) or data.num_batches == 0:
            return None  # Checked when made; or nothing to check.
        batch = data[0]
    elif hasattr(data, "element_spec") and hasattr(data, "take"):
        batch = next(iter(data.take(1)), None)  # A `tf.data.Dataset`.
    else:
        return None
    return keras.tree.map_structure(np.asarray, batch)


def _bind(method, model, *args, **kwargs):
    """`method`'s arguments by name, as Keras' signature binds them."""
    signature = inspect.signature(method)
    arguments = dict(signature.bind(model, *args, **kwargs).arguments)
    del arguments["self"]
    for parameter in signature.parameters.values():
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            arguments.update(arguments.pop(parameter.name, {}))  # Keras' private ones.
    return arguments


class GenerativeModel(backend.Model):
    """Base class of every keras-gen model.

    What every model shares, so that a model's own module holds its
    networks, its constructor, its `compile()` and its `train_step`:

    - **Data checks.** `fit()`, `evaluate()` and `predict()` take Keras'
      arguments and check the data before a single step runs, so a wrong
      shape, an integer dtype, a NaN, values outside the model's range
      (`value_range`) or a bad `batch_size` fail at once with a `ValueError`
      naming the argument instead of training into NaN losses. In-memory
      arrays are scanned whole; from a `tf.data.Dataset` or a `PyDataset`,
      the first batch is.
    - **`fit()`** adds three things to Keras' (see its docstring): in-memory
      data shuffled anew each epoch from a seed and the epoch number, exact
      resume with `keras_gen.callbacks.BackupAndRestore`, and an error at
      the first NaN loss.
    - **NumPy helpers**: `encode`, `decode`, `reconstruct`, and
      `sample_prior` and `generate` from `model.prior`.
    - **Conditioning**, one contract for every model that takes labels
      (`num_classes` set: the supervised and semi-supervised adversarial
      autoencoders, the conditional GANs): `fit(x, y)` and `evaluate(x, y)`
      take integer labels in `[0, num_classes)`, one per example, checked
      before the first step (as is the `y` of `validation_data` and of a
      dataset's first batch); the decoder (or generator) takes
      `[one-hot labels, z]`; and `decode(z, labels=...)`,
      `generate(n, labels=...)` and `reconstruct(x, labels=...)` take the
      labels as a keyword (`generate` draws them uniformly if omitted). A
      model without classes refuses `labels`, and ignores a `y` unless it
      trains on targets (`checks_targets`).
    - **Players**, for the models trained against themselves (the GANs, the
      adversarial autoencoders): `compile_players()` puts one optimizer per
      player behind `model.optimizer` (a
      `keras_gen.optimizers.PlayerOptimizers`, where Keras' trainers find,
      save and restore their state); `update_metrics()` feeds the
      history's `keras.metrics.Mean` trackers (`metric_names`); the
      networks named in `network_names` go into the config, so networks
      passed to the constructor survive `.keras` save/load; and, through
      `keras_gen.backend.Model`, a stateful `train_step(data)` written from
      `keras_gen.backend.minimize()` calls runs on every backend.
    - Keras-GAN's and the W&B blog's calls: `build_model()` and, for the
      models with a generator, `train()`.

    Args:
        metric_names: For a model with its own `train_step`: the history's
            keys, one `keras.metrics.Mean` each. None keeps Keras' metrics
            (the models trained by `compile(loss=...)`).
        **kwargs: Base model arguments such as `name`.

    Attributes:
        value_range: `(low, high)` the inputs must lie in, or None for no
            check: `(0, 1)` for the models whose decoder ends in a sigmoid.
        value_range_reason: Why, for the error message.
        prior: The `keras_gen.priors.Prior` of the codes `generate()`
            decodes, or None (the autoencoders).
        num_classes: The number of classes of a model that takes labels,
            or None.
        network_names: The constructor arguments that are networks.
        unpaired_targets: Whether `fit()`'s `y` is a second set of inputs,
            batched independently of `x` (`ArrayBatches(unpaired=True)`;
            `CoGAN`'s second domain).
        checks_targets: Whether `fit()`'s `y` is a target shaped like the
            inputs, checked as such (the autoencoders'); the adversarial
            models ignore an unconditional `y`.

    Subclasses set `self.input_shape` and their networks in `__init__`.
    """

    value_range = (0.0, 1.0)
    value_range_reason = "the decoder ends in a sigmoid"
    prior = None
    num_classes = None
    network_names = ()
    checks_targets = True
    unpaired_targets = False
    trackers = None

    def __init__(self, metric_names=None, **kwargs):
        super().__init__(**kwargs)
        if metric_names is not None:
            self.trackers = {name: keras.metrics.Mean(name=name) for name in metric_names}
        # The networks, set by the subclass next, are functional models,
        # built on creation. (Not `self.build()`: it would lock the model
        # against the networks the subclass adds.)
        self.built = True

    def build(self, input_shape=None):
        self.built = True

    def save_own_variables(self, store):
        # The random states too (dropout masks, noise), so that Keras' own
        # `save_weights()`, `BackupAndRestore` and `ModelCheckpoint` carry
        # them: a model loaded from its weights draws what the saved one would.
        super().save_own_variables(store)
        for index, variable in enumerate(random_state_variables(self)):
            store[f"{RANDOM_STATE_PREFIX}{index}"] = variable

    def load_own_variables(self, store):
        keys = list(store.keys())
        super().load_own_variables(
            {key: store[key] for key in keys if not key.startswith(RANDOM_STATE_PREFIX)})
        states = random_state_variables(self)
        saved = [key for key in keys if key.startswith(RANDOM_STATE_PREFIX)]
        if len(saved) == len(states):  # Older files hold no random states.
            for index, variable in enumerate(states):
                variable.assign(store[f"{RANDOM_STATE_PREFIX}{index}"])

    @property
    def metrics(self):
        if self.trackers is None:
            return super().metrics
        # Only the trackers: otherwise Keras adds an unused `loss` key.
        return list(self.trackers.values())

    def fit(self, x=None, y=None, *args, stop_on_nan=True, **kwargs):
        """Trains the model: `keras.Model.fit()`, resumable exactly.

        Takes `keras.Model.fit()`'s arguments, plus `stop_on_nan`. Beyond
        Keras' behaviour:

        - The data is checked first (see the class docstring).
        - In-memory arrays are fed as `keras_gen.data.ArrayBatches`: epoch
          `e` is shuffled by a permutation drawn from a seed and `e`, so
          every epoch sees a new order and a run started at
          `initial_epoch=e` sees the batches an uninterrupted run sees in
          epoch `e`. The seed is drawn from NumPy's global generator, which
          `keras.utils.set_random_seed()` seeds. (With `sample_weight`,
          `class_weight` or `shuffle="batch"`, Keras' own route is used.)
        - A `keras_gen.callbacks.BackupAndRestore` among `callbacks` is
          restored before the data is made: training resumes at its epoch,
          with its weights, optimizer states, random-number states and data
          seed.
        - `keras_gen.callbacks.StopOnNaN` is added: the first non-finite
          loss ends training with a `NonFiniteLossError` naming the loss,
          the epoch and the batch.

        Args:
            x: The training data, as `keras.Model.fit()` takes it: an array
                of shape `(num_examples, *input_shape)`, a
                `keras_gen.data.IndexedBatches`, a `tf.data.Dataset` or a
                `PyDataset`.
            y: For a model with classes, the integer labels of an array
                `x`, shape `(num_examples,)`; for an autoencoder, optional
                targets shaped like `x`; otherwise ignored. None with a
                dataset, which carries its own.
            stop_on_nan: Whether to stop at the first non-finite loss
                (default True); False trains on regardless.
            *args: As `keras.Model.fit()`.
            **kwargs: As `keras.Model.fit()`.

        Returns:
            The `History`, as Keras returns it.
        """
        arguments = _bind(keras.Model.fit, self, x, y, *args, **kwargs)
        self._check_batch_size(arguments)
        self._check_fit_data(arguments)

        callbacks = arguments.get("callbacks") or []
        if isinstance(callbacks, keras.callbacks.CallbackList):
            callbacks = callbacks.callbacks  # Added to in place.
        else:
            callbacks = arguments["callbacks"] = list(callbacks)
        if stop_on_nan and not any(isinstance(c, StopOnNaN) for c in callbacks):
            # First, so a NaN batch raises before anything saves it.
            callbacks.insert(0, StopOnNaN())
        backup = next(
            (c for c in callbacks if isinstance(c, BackupAndRestore)), None
        )
        state = backup.restore(self) if backup is not None else None
        if state is not None:
            arguments["initial_epoch"] = state["epoch"]
        for callback in callbacks:
            # Keras' own backup: its epoch, so the data resumes there too.
            if isinstance(callback, keras.callbacks.BackupAndRestore):
                epoch = keras_backup_epoch(callback)
                if epoch is not None:
                    arguments["initial_epoch"] = epoch

        batches = self._as_indexed_batches(arguments, state, backup)
        if batches is not None:
            backend.check_batches(batches)
            if arguments.get("initial_epoch"):
                # Epoch `e` of an uninterrupted run, however often reused.
                batches.epoch = arguments["initial_epoch"]
            steps = arguments.get("steps_per_epoch") or len(batches)
            # Keras runs whole executions: an epoch takes a multiple of them.
            per_execution = self.steps_per_execution or 1
            arguments["x"], extra = backend.training_data(
                batches, -(-steps // per_execution) * per_execution
            )
            arguments["steps_per_epoch"] = steps
            callbacks.extend(extra)
        return super().fit(**arguments)

    def build_model(self):
        """Returns this model: the W&B blog's `model = ae.build_model()`.

        The blog's classes build their Keras model in `build_model()`; a
        keras-gen model is that Keras model, built by its constructor, so
        the blog's next lines (`model.compile(...)`, `model.fit(...)`) run
        on what this returns.
        """
        return self

    def evaluate(self, x=None, y=None, *args, **kwargs):
        """Checks the in-memory data as `fit()` does, then runs `keras.Model.evaluate()`.

        Args:
            x: The data, as `keras.Model.evaluate()` takes it; an array, of
                shape `(num_examples, *input_shape)`, is checked.
            y: As for `fit()`: the integer labels, shape `(num_examples,)`,
                of a model with classes, or an autoencoder's targets.
            *args: As `keras.Model.evaluate()`.
            **kwargs: As `keras.Model.evaluate()`.

        Returns:
            The loss and metrics, as Keras returns them.
        """
        arguments = _bind(keras.Model.evaluate, self, x, y, *args, **kwargs)
        self._check_batch_size(arguments)
        self._check_batch(x, "x")
        self._check_labels_of(x, y, "y")
        self._check_batch(y, "y")
        return super().evaluate(**arguments)

    def predict(self, x, *args, **kwargs):
        """Checks the in-memory data as `fit()` does, then runs `keras.Model.predict()`.

        Args:
            x: The inputs, as `keras.Model.predict()` takes them; an array,
                of shape `(num_examples, *input_shape)`, is checked.
            *args: As `keras.Model.predict()`.
            **kwargs: As `keras.Model.predict()`.

        Returns:
            The model's outputs, NumPy arrays as Keras returns them.
        """
        arguments = _bind(keras.Model.predict, self, x, *args, **kwargs)
        self._check_batch_size(arguments)
        self._check_batch(x, "x")
        return super().predict(**arguments)

    def _check_batch_size(self, arguments):
        for name in ("batch_size", "validation_batch_size"):
            if arguments.get(name) is not None:
                check_positive_int(arguments[name], name)

    def _check_fit_data(self, arguments):
        """Checks `fit()`'s data: arrays whole, a stream's first batch."""
        x, y = arguments.get("x"), arguments.get("y")
        if is_array_like(x):
            self._check_batch(x, "x")
            self._check_labels_of(x, y, "y")
            self._check_batch(y, "y")
        else:
            self._check_first_batch(x)
        validation_data = arguments.get("validation_data")
        if isinstance(validation_data, (tuple, list)) and validation_data:
            x_val = validation_data[0]
            y_val = validation_data[1] if len(validation_data) > 1 else None
            self._check_batch(x_val, "validation_data[0]")
            self._check_labels_of(x_val, y_val, "validation_data[1]")
            self._check_batch(y_val, "validation_data[1]")
        elif validation_data is not None:
            self._check_first_batch(validation_data, "validation_data")

    def _check_labels_of(self, x, y, name):
        """A model with classes needs one label per in-memory example."""
        if self.num_classes is None or not is_array_like(x):
            return  # A dataset carries its labels: its first batch is checked.
        if not is_array_like(y):
            raise ValueError(
                f"`{name}` must be an array of the integer labels of the "
                f"examples, in [0, {self.num_classes}): a "
                f"{type(self).__name__} is conditioned on the class. "
                f"Received: {name}={y!r}"
            )
        priors.check_label_array(y, name, self.num_classes, len(x))

    def _check_first_batch(self, data, name="x"):
        """Checks the first batch of a `tf.data.Dataset` or `PyDataset`."""
        batch = first_batch(data)
        if batch is None:
            return
        try:
            self._check_stream_batch(batch)
        except ValueError as error:
            raise ValueError(
                f"The first batch of `{name}` ({type(data).__name__}) is not "
                f"what this model trains on: {error}"
            ) from None

    def _check_stream_batch(self, batch):
        """Checks one batch of a stream, as Keras will unpack it."""
        x, y, _ = keras.utils.unpack_x_y_sample_weight(batch)
        self._check_batch(x, "x")
        self._check_batch(y, "y")

    def _check_batch(self, x, name):
        is_target = name in ("y", "validation_data[1]")
        if is_target and self.num_classes is not None:
            if is_array_like(x):
                priors.check_label_array(x, name, self.num_classes)
            return
        if is_target and not self.checks_targets:
            return
        if is_array_like(x):
            check_data(x, name, self.input_shape)
            if self.value_range is not None:
                check_value_range(x, name, self.value_range, self.value_range_reason)

    def _as_indexed_batches(self, arguments, state, backup):
        """The batches `fit()` feeds, or None to leave the data to Keras.

        Arrays become `ArrayBatches` (their validation split cut off as
        Keras would); a `keras_gen.data.IndexedBatches` is fed as is.
        Updates `arguments` to match.
        """
        x, y = arguments.get("x"), arguments.get("y")
        if isinstance(x, IndexedBatches):
            arguments["shuffle"] = False  # They shuffle themselves.
            return x
        shuffle = arguments.get("shuffle", True)
        if not (
            is_array_like(x)
            and (y is None or is_array_like(y))
            and arguments.get("sample_weight") is None
            and arguments.get("class_weight") is None
            and shuffle in (True, False)
        ):
            return None
        split = check_non_negative_float(
            arguments.pop("validation_split", 0.0) or 0.0, "validation_split", upper=1.0
        )
        if split and arguments.get("validation_data") is None:
            # Keras' rule: the last `split` of the rows, before shuffling.
            cut = int(len(x) * (1.0 - split))
            if not 0 < cut < len(x):
                raise ValueError(
                    "`validation_split` must leave examples for both training "
                    f"and validation; {len(x)} examples give {cut} and "
                    f"{len(x) - cut}. Received: validation_split={split}"
                )
            y_cut = int(len(y) * (1.0 - split)) if self.unpaired_targets and y is not None else cut
            arguments["validation_data"] = (x[cut:],) if y is None else (x[cut:], y[y_cut:])
            x, y = x[:cut], (None if y is None else y[:y_cut])
        seed = None if state is None else state.get("data_seed")
        if seed is None:
            # Seeded by keras.utils.set_random_seed(); unused without shuffling.
            seed = int(np.random.randint(2**31 - 1)) if shuffle else 0
        if backup is not None:
            backup.data_seed = seed
        batch_size = arguments.pop("batch_size", None) or 32
        # Validation keeps the training batch size, as Keras does.
        arguments.setdefault("validation_batch_size", batch_size)
        batches = ArrayBatches(x, y, batch_size, shuffle=shuffle, seed=seed,
                               unpaired=self.unpaired_targets)
        arguments.update(x=batches, y=None, shuffle=False)
        return batches

    def update_metrics(self, logs, weights=None):
        """Adds one step's values to the trackers; returns every tracker's result.

        Args:
            logs: Dict `{name: scalar}` of the step.
            weights: Optional dict `{name: scalar weight}`: a value weighted
                0 does not count in its average (a loss of a step that
                skipped its update).
        """
        weights = weights or {}
        for name, value in logs.items():
            self.trackers[name].update_state(value, sample_weight=weights.get(name))
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    def unpack_batch(self, data):
        """What the phases receive from a batch: the inputs, or `(x, one-hot labels)`.

        The labels only for a model with classes (`num_classes`); `fit()`
        has checked them before the first step.
        """
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        if self.num_classes is None:
            return x
        x = keras.ops.convert_to_tensor(x)
        return x, one_hot_labels(y, self.num_classes, dtype=x.dtype)

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
        if not isinstance(getattr(self, "optimizer", None), PlayerOptimizers):
            return super().get_compile_config()
        config = {
            name: keras.saving.serialize_keras_object(optimizer)
            for name, optimizer in self.optimizer.optimizers.items()
        }
        return {**config, **self._player_compile_kwargs}

    def get_config(self):
        base_config = super().get_config()
        config = {
            name: keras.saving.serialize_keras_object(getattr(self, name))
            for name in self.network_names
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

    def compile_from_config(self, config):
        # Keras skips models that override `compile()`; ours accept the same
        # arguments as `keras.Model.compile()`, so the saved config replays
        # as is and `load_model()` restores the optimizer and its state.
        config = keras.saving.deserialize_keras_object(config)
        self.compile(**config)
        if getattr(self, "optimizer", None) is not None and self.built:
            self.optimizer.build(self.trainable_variables)

    def train(
        self, epochs=None, batch_size=128, save_interval=50, x=None,
        directory="images", seed=None, verbose="auto", sample_interval=None, y=None,
    ):
        """Keras-GAN's `train()`: `epochs` iterations of one random batch each.

        For the models with a generator (`model.generator`): the GANs.

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
            y: For a model with classes (`CGAN`, `ACGAN`), the integer labels
                of `x`; MNIST's with MNIST.

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
        if getattr(self, "generator", None) is None:
            raise TypeError(
                f"train() is Keras-GAN's loop for the models with a generator; a "
                f"{type(self).__name__} trains with fit(). Received: epochs={epochs!r}"
            )
        iterations = check_positive_int(epochs, "epochs")
        if sample_interval is not None:
            save_interval = sample_interval
        if x is None:
            x, mnist_labels = self._keras_gan_mnist()
            y = mnist_labels if y is None else y
        self._check_batch(x, "x")
        if self.num_classes is None:
            y = None  # Unconditional: labels unused.
        else:
            self._check_labels_of(x, y, "y")
        if not self.compiled:
            self.compile()
        if seed is None:
            seed = int(np.random.randint(2**31 - 1))
        batches = data.SampledBatches(x, batch_size, iterations, seed=seed, y=y)
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
        """MNIST's training digits in [-1, 1], flat or as images to fit the model, and labels."""
        layouts = {(784,): "flat", (28, 28, 1): "image"}
        if self.input_shape not in layouts:
            raise ValueError(
                "Without `x`, train() uses MNIST, whose digits have shape "
                "(784,) or (28, 28, 1); pass your images in [-1, 1] as `x=` "
                f"for a model of another shape. Received: input_shape="
                f"{self.input_shape}"
            )
        (x_train, y_train), _ = data.load_dataset(
            "mnist", layout=layouts[self.input_shape], value_range=(-1.0, 1.0)
        )
        return x_train, y_train

    def encode(self, x, batch_size=DEFAULT_BATCH_SIZE):
        """Encodes inputs to latent codes.

        Args:
            x: Array of shape `(num_examples, *input_shape)`.
            batch_size: Examples per batch.

        Returns:
            NumPy array of shape `(num_examples, latent_dim)`.
        """
        if getattr(self, "encoder", None) is None:
            raise NotImplementedError(
                f"A {type(self).__name__} has no encoder: it maps codes to "
                "images, not back, so it cannot encode() or reconstruct() "
                "inputs. Use decode(z), or generate(num_samples), or an "
                "autoencoder (e.g. keras_gen.AdversarialAutoencoder) to encode."
            )
        check_data(x, "x", self.input_shape)
        return predict_in_batches(self.encoder, x, batch_size)

    def decode(self, z, *, labels=None, batch_size=DEFAULT_BATCH_SIZE):
        """Decodes latent codes to inputs (with their classes, for a model with them).

        Args:
            z: Array of shape `(num_examples, latent_dim)`.
            labels: For a model with classes (`num_classes`), the integer
                class of each code, in `[0, num_classes)`: needed there,
                refused by the models without classes.
            batch_size: Examples per batch.

        Returns:
            NumPy array of shape `(num_examples, *input_shape)`.
        """
        z = np.asarray(z, dtype="float32")
        check_data(z, "z", (self.latent_dim,))
        return predict_in_batches(
            self.decoder, self.conditioned(z, labels, "decode"), batch_size
        )

    @property
    def decoder_classes(self):
        """How many classes the decoder is conditioned on: `num_classes`, or None.

        None for the models without classes, and for those whose classes
        are their classifier's only (`SGAN`): their `decode` and `generate`
        take no labels.
        """
        return self.num_classes

    def conditioned(self, z, labels, method):
        """The decoder's inputs for NumPy codes: `z`, or `[one-hot labels, z]`.

        Args:
            z: Array of shape `(num_examples, latent_dim)`.
            labels: Integer labels, shape `(num_examples,)`, for a model
                whose decoder has classes (`decoder_classes`); None for the
                others.
            method: Name of the calling method, for the error messages.

        Returns:
            `z`, or `[one_hot, z]` with `one_hot` of shape
            `(num_examples, num_classes)`.

        Raises:
            ValueError: `labels` are missing where needed, or given where
                refused.
        """
        if self.decoder_classes is None:
            if labels is not None:
                raise ValueError(
                    f"{type(self).__name__}.{method}() takes no labels: the "
                    "model's decoder reads the code only (it has no classes, "
                    f"or they are its classifier's). Received: labels={labels!r}"
                )
            return z
        if labels is None:
            raise ValueError(
                f"{type(self).__name__}.{method}() needs the class of each "
                f"code: pass `labels=`, integers in [0, {self.num_classes}). "
                "Received: labels=None"
            )
        return [self.one_hot(labels, len(z)), z]

    def one_hot(self, labels, num_examples=None, name="labels"):
        """Checks integer labels and returns their float32 one-hot vectors (NumPy).

        Args:
            labels: Integer labels in `[0, num_classes)`, shape
                `(num_examples,)` or `(num_examples, 1)`.
            num_examples: Expected number of labels, or None for any.
            name: The argument name used in the error message.

        Returns:
            float32 NumPy array of shape `(num_examples, num_classes)`.
        """
        labels = priors.check_label_array(labels, name, self.num_classes, num_examples)
        return np.eye(self.num_classes, dtype="float32")[labels]

    def reconstruct(self, x, *, labels=None, batch_size=DEFAULT_BATCH_SIZE):
        """Encodes then decodes inputs (deterministically, no training noise).

        Args:
            x: Array of shape `(num_examples, *input_shape)`.
            labels: For a model with classes, the integer class of each
                example to decode with (their own, or others to redraw the
                same styles as other classes).
            batch_size: Examples per batch.

        Returns:
            NumPy array with the shape of `x`.
        """
        return self.decode(
            self.encode(x, batch_size), labels=labels, batch_size=batch_size
        )

    def sample_prior_codes(self, num_samples):
        """Draws `num_samples` codes of `model.prior` inside a training step.

        The one seeded source of a model's training noise: `model.prior`,
        drawn with the seed generator of `model.latent_sampler`, whose state
        is saved with the model (so a resumed run draws what the
        uninterrupted one would) and under `tf.distribute` gives each replica
        its own rows. The GANs' noise `z`, the adversarial autoencoders'
        prior samples.

        Args:
            num_samples: A Python int or a scalar tensor.

        Returns:
            A float32 tensor of shape `(num_samples, latent_dim)`.
        """
        return self.prior.sample(num_samples, seed=self.latent_sampler.seed_generator)

    def sample_labels(self, num_samples):
        """Draws `num_samples` one-hot classes, uniformly, inside a training step.

        From the same seeded source as `sample_prior_codes` (saved with the
        model); for the models with classes that draw the classes of their
        fakes (`CGAN`, `ACGAN`).

        Args:
            num_samples: A Python int or a scalar tensor.

        Returns:
            A float32 tensor of shape `(num_samples, num_classes)`.
        """
        categorical = priors.Categorical(self.num_classes)
        return categorical.sample(num_samples, seed=self.latent_sampler.seed_generator)

    def sample_prior(self, num_samples, seed=None, *, labels=None):
        """Draws latent codes from the model's prior (`model.prior`), with NumPy.

        Args:
            num_samples: Number of codes.
            seed: Optional integer seed, for the same codes on every call.
            labels: For a prior with classes (a mixture), the component of
                each code, integers; refused by the other priors.

        Returns:
            NumPy array of shape `(num_samples, latent_dim)`.
        """
        if self.prior is None:
            raise NotImplementedError(
                f"A {type(self).__name__} has no prior over its codes, so it "
                "cannot sample_prior() or generate(): decode(z) codes of your "
                "own, or use a model with a prior (keras_gen.VariationalAutoencoder, "
                "keras_gen.AdversarialAutoencoder)."
            )
        return self.prior.sample_numpy(num_samples, seed=seed, labels=labels)

    def generate(self, num_samples, seed=None, *, labels=None):
        """Decodes `num_samples` codes drawn from the prior.

        Args:
            num_samples: Number of samples.
            seed: Optional integer seed of the codes (and of the classes,
                when they are drawn).
            labels: For a model with classes, the integer class of each
                sample, in `[0, num_classes)`; drawn uniformly at random
                if None. Refused by the models without classes.

        Returns:
            NumPy array of shape `(num_samples, *input_shape)`.
        """
        z = self.sample_prior(num_samples, seed)
        if self.decoder_classes is not None and labels is None:
            labels = np.random.default_rng(seed).integers(0, self.decoder_classes, len(z))
        return self.decode(z, labels=labels)
