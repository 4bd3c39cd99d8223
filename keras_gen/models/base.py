"""What every keras-gen model shares: input checks and NumPy helpers."""

import inspect

import keras
import numpy as np

from keras_gen import backend
from keras_gen.callbacks.backup import BackupAndRestore
from keras_gen.callbacks.nan_guard import StopOnNaN
from keras_gen.data import ArrayBatches, IndexedBatches
from keras_gen.validation import (
    check_data,
    check_non_negative_float,
    check_positive_int,
    check_value_range,
    is_array_like,
)

DEFAULT_BATCH_SIZE = 256


def predict_in_batches(model, x, batch_size=DEFAULT_BATCH_SIZE):
    """Runs `model` in inference mode over `x` and returns NumPy arrays.

    Unlike `Model.predict()`, which builds a new compiled function (and
    warns about retracing) for each new sub-model or call pattern, this
    calls the model directly, which suits the occasional calls of the
    helpers and picture callbacks.

    Args:
        model: A Keras model with one or several outputs.
        x: Array whose first axis is the batch.
        batch_size: Examples per call.

    Returns:
        A NumPy array, or a list of them for a model with several outputs.
    """
    batches = [
        keras.tree.map_structure(
            keras.ops.convert_to_numpy,
            model(x[start : start + batch_size], training=False),
        )
        for start in range(0, len(x), batch_size)
    ]
    if isinstance(batches[0], (list, tuple)):
        return [np.concatenate(parts) for parts in zip(*batches)]
    return np.concatenate(batches)


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
    """Base class of the keras-gen models.

    `fit()`, `evaluate()` and `predict()` take Keras' arguments and check the
    data before a single step runs, so a wrong shape, an integer dtype, a
    NaN, values outside the model's range (`value_range`) or a bad
    `batch_size` fail at once with a `ValueError` naming the argument instead
    of training into NaN losses. In-memory arrays are scanned whole; from a
    `tf.data.Dataset` or a `PyDataset`, the first batch is. The model also
    gives the NumPy helpers `encode`, `decode` and `reconstruct` that the
    picture callbacks and the examples use.

    `fit()` adds three things to Keras' (see its docstring): in-memory data
    shuffled anew each epoch from a seed and the epoch number, exact resume
    with `keras_gen.callbacks.BackupAndRestore`, and an error at the first
    NaN loss.

    Attributes:
        value_range: `(low, high)` the inputs must lie in, or None for no
            check: `(0, 1)` for the models whose decoder ends in a sigmoid.

    Subclasses set `self.input_shape` and build `self.encoder` and
    `self.decoder` before calling `self.build()`.
    """

    value_range = (0.0, 1.0)
    # Why the inputs must lie in `value_range`, for the error message.
    value_range_reason = "the decoder ends in a sigmoid"
    # The distribution of the codes `generate()` decodes, a
    # `keras_gen.priors.Prior`: N(0, I) for the VAE and the GANs, the chosen
    # prior for the adversarial autoencoders, None for the autoencoders.
    prior = None

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
            stop_on_nan: Whether to stop at the first non-finite loss
                (default True); False trains on regardless.
            *args, **kwargs: As `keras.Model.fit()`.

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
        arguments = _bind(keras.Model.evaluate, self, x, y, *args, **kwargs)
        self._check_batch_size(arguments)
        self._check_batch(x, "x")
        self._check_batch(y, "y")
        return super().evaluate(**arguments)

    def predict(self, x, *args, **kwargs):
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
            self._check_batch(y, "y")
        else:
            self._check_first_batch(x)
        validation_data = arguments.get("validation_data")
        if isinstance(validation_data, (tuple, list)) and validation_data:
            self._check_batch(validation_data[0], "validation_data[0]")
            if len(validation_data) > 1:
                self._check_batch(validation_data[1], "y")
        elif validation_data is not None:
            self._check_first_batch(validation_data, "validation_data")

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
            arguments["validation_data"] = (x[cut:],) if y is None else (x[cut:], y[cut:])
            x, y = x[:cut], (None if y is None else y[:cut])
        seed = None if state is None else state.get("data_seed")
        if seed is None:
            # Seeded by keras.utils.set_random_seed(); unused without shuffling.
            seed = int(np.random.randint(2**31 - 1)) if shuffle else 0
        if backup is not None:
            backup.data_seed = seed
        batch_size = arguments.pop("batch_size", None) or 32
        # Validation keeps the training batch size, as Keras does.
        arguments.setdefault("validation_batch_size", batch_size)
        batches = ArrayBatches(x, y, batch_size, shuffle=shuffle, seed=seed)
        arguments.update(x=batches, y=None, shuffle=False)
        return batches

    def compile_from_config(self, config):
        # Keras skips models that override `compile()`; ours accept the same
        # arguments as `keras.Model.compile()`, so the saved config replays
        # as is and `load_model()` restores the optimizer and its state.
        config = keras.saving.deserialize_keras_object(config)
        self.compile(**config)
        if getattr(self, "optimizer", None) is not None and self.built:
            self.optimizer.build(self.trainable_variables)

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

    def decode(self, z, batch_size=DEFAULT_BATCH_SIZE):
        """Decodes latent codes to inputs.

        Args:
            z: Array of shape `(num_examples, latent_dim)`.
            batch_size: Examples per batch.

        Returns:
            NumPy array of shape `(num_examples, *input_shape)`.
        """
        z = np.asarray(z, dtype="float32")
        check_data(z, "z", (self.latent_dim,))
        return predict_in_batches(self.decoder, z, batch_size)

    def reconstruct(self, x, batch_size=DEFAULT_BATCH_SIZE):
        """Encodes then decodes inputs (deterministically, no training noise).

        Args:
            x: Array of shape `(num_examples, *input_shape)`.
            batch_size: Examples per batch.

        Returns:
            NumPy array with the shape of `x`.
        """
        return self.decode(self.encode(x, batch_size), batch_size)

    def sample_prior(self, num_samples, seed=None):
        """Draws latent codes from the model's prior (`model.prior`), with NumPy.

        Args:
            num_samples: Number of codes.
            seed: Optional integer seed, for the same codes on every call.

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
        return self.prior.sample_numpy(num_samples, seed=seed)

    def generate(self, num_samples, seed=None):
        """Decodes `num_samples` codes drawn from the prior.

        Args:
            num_samples: Number of samples.
            seed: Optional integer seed.

        Returns:
            NumPy array of shape `(num_samples, *input_shape)`.
        """
        return self.decode(self.sample_prior(num_samples, seed))
