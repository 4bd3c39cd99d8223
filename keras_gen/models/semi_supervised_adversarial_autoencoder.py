"""The semi-supervised adversarial autoencoder: a classifier from few labels.

Training data comes as a `keras.utils.PyDataset` of dicts built by
`make_semi_supervised_dataset()` (a `SemiSupervisedBatches`, backend-neutral:
no TensorFlow needed): each element holds a batch of unlabelled inputs (the
reconstruction and regularization phases) and a batch of the few labelled
ones (the classification phase).

```python
(x_train, y_train), (x_test, y_test) = keras_gen.data.load_dataset()
(x_l, y_l), (x_u, _) = keras_gen.data.labelled_split(x_train, y_train, 100)
dataset = make_semi_supervised_dataset(x_u, x_l, y_l, batch_size=100)
model = SemiSupervisedAdversarialAutoencoder()
model.compile()
model.fit(dataset, epochs=100, validation_data=(x_test, y_test))
print(model.classification_error(x_test, y_test))
```
"""

import inspect
import numbers
import operator
import threading

import keras
import numpy as np
from keras import ops

from keras_gen import backend
from keras_gen import priors
from keras_gen.models.adversarial_autoencoder import (
    RECONSTRUCTION_LEARNING_RATE,
    REGULARIZATION_LEARNING_RATE,
    AdversarialAutoencoder,
    ClassConditionalDecoding,
    check_num_classes,
    check_unit_interval,
    dense_stack,
)
from keras_gen.models.base import DEFAULT_BATCH_SIZE, predict_in_batches
from keras_gen.validation import check_data, check_positive_int, is_array_like

# The Paperspace post's `semi_lr`.
CLASSIFICATION_LEARNING_RATE = 1e-3


def make_semi_supervised_dataset(
    x_unlabelled,
    x_labelled,
    y_labelled,
    batch_size=100,
    labelled_batch_size=None,
    num_classes=10,
    shuffle=True,
    seed=0,
):
    """Builds the training data of `SemiSupervisedAdversarialAutoencoder`.

    One epoch is one pass over the unlabelled inputs. Each element pairs a
    batch of them with a batch of labelled examples drawn from the labelled
    set repeated forever (reshuffled on every pass), so with 100 labels the
    classification phase sees every label many times per epoch, as in the
    Paperspace post's loop over zipped loaders. The elements are dicts of
    NumPy arrays:

    - `"x"`: unlabelled inputs, `(batch_size, *input_shape)`, float32 (the
      last batch may be smaller);
    - `"x_labelled"`: labelled inputs, `(labelled_batch_size, *input_shape)`,
      float32;
    - `"y_labelled"`: their integer labels, `(labelled_batch_size,)`, int32.

    The arrays are checked here (shapes, NaN, values in [0, 1], labels in
    range), since `fit()` cannot scan a dataset.

    The result is a `keras.utils.PyDataset`, so it feeds `fit()` on every
    backend, without TensorFlow. It shuffles with a NumPy generator seeded
    from `seed` and the epoch number, and reshuffles when `fit()` ends an
    epoch (`on_epoch_end()`): the same seed gives the same batches. On
    TensorFlow, `SemiSupervisedAdversarialAutoencoder.fit()` trains on the
    same batches through an endless `tf.data` pipeline
    (`keras_gen.backend.training_data`), since Keras' route for a
    `PyDataset` stalls there at epoch starts.

    Args:
        x_unlabelled: Inputs without labels, values in [0, 1]. They may
            include the labelled inputs.
        x_labelled: Labelled inputs, with the same shape per example.
        y_labelled: Their integer labels in `[0, num_classes)`.
        batch_size: Unlabelled inputs per batch.
        labelled_batch_size: Labelled examples per batch; defaults to
            `min(batch_size, len(x_labelled))`.
        num_classes: Number of classes.
        shuffle: Whether to shuffle both sets on every pass.
        seed: Non-negative integer seed of the shuffling, or `None` for a
            different shuffling on every call.

    Returns:
        A `SemiSupervisedBatches` (a `keras.utils.PyDataset`) of dicts, for
        `model.fit()`. `len()` gives the batches per epoch; `dataset[i]`
        the `i`-th batch of the current epoch.
    """
    return SemiSupervisedBatches(
        x_unlabelled,
        x_labelled,
        y_labelled,
        batch_size=batch_size,
        labelled_batch_size=labelled_batch_size,
        num_classes=num_classes,
        shuffle=shuffle,
        seed=seed,
    )


class SemiSupervisedBatches(keras.utils.PyDataset):
    """The batches of `make_semi_supervised_dataset()`, a Keras `PyDataset`.

    See `make_semi_supervised_dataset()` for the arguments and the elements.
    Batch `i` of epoch `e` is a pure function of `(seed, e, i)`: `dataset[i]`
    can be read in any order, from several threads, and twice over. Epoch
    `e`'s unlabelled order is one permutation; its labelled stream is a
    sequence of permutations of the labelled set (one per pass), cut into
    `labelled_batch_size` pieces, restarting with each epoch.

    Attributes:
        epoch: The epoch whose batches `dataset[i]` returns, from 0;
            `on_epoch_end()` moves to the next one. `fit()` calls it after
            each epoch and once before the first, so `fit(epochs=2)` trains
            on epochs 1 and 2 and leaves `epoch` at 3; a second `fit()`
            goes on with new shufflings.
    """

    # Permutations kept per dataset: a few epochs' unlabelled orders and
    # a few labelled passes (a batch spans at most two of them).
    _CACHE_SIZE = 4

    def __init__(
        self,
        x_unlabelled,
        x_labelled,
        y_labelled,
        batch_size=100,
        labelled_batch_size=None,
        num_classes=10,
        shuffle=True,
        seed=0,
    ):
        # Keras' defaults: one worker, batches made in the calling thread.
        super().__init__()
        batch_size = check_positive_int(batch_size, "batch_size")
        num_classes = check_num_classes(num_classes)
        x_unlabelled = _check_inputs(x_unlabelled, "x_unlabelled")
        x_labelled = _check_inputs(
            x_labelled, "x_labelled", input_shape=x_unlabelled.shape[1:]
        )
        y_labelled = priors.check_label_array(
            y_labelled, "y_labelled", num_classes, len(x_labelled)
        )
        if labelled_batch_size is None:
            labelled_batch_size = min(batch_size, len(x_labelled))
        labelled_batch_size = check_positive_int(
            labelled_batch_size, "labelled_batch_size"
        )
        if labelled_batch_size > len(x_labelled):
            raise ValueError(
                "`labelled_batch_size` cannot exceed the number of labelled "
                f"examples, {len(x_labelled)}. Received: "
                f"labelled_batch_size={labelled_batch_size}"
            )
        if seed is None:
            seed = np.random.SeedSequence().entropy
        elif (
            isinstance(seed, bool)
            or not isinstance(seed, numbers.Integral)
            or seed < 0
        ):
            raise ValueError(
                "`seed` must be a non-negative integer or None. Received: "
                f"seed={seed!r}"
            )
        self.x_unlabelled = x_unlabelled
        self.x_labelled = x_labelled
        self.y_labelled = y_labelled
        self.batch_size = batch_size
        self.labelled_batch_size = labelled_batch_size
        self.num_classes = num_classes
        self.shuffle = bool(shuffle)
        self.seed = int(seed)
        self.epoch = 0
        self._lock = threading.Lock()
        self._unlabelled_orders = {}
        self._labelled_orders = {}

    def __len__(self):
        return -(-len(self.x_unlabelled) // self.batch_size)

    def __getitem__(self, index):
        index = operator.index(index)
        num_batches = len(self)
        if index < 0:
            index += num_batches
        if not 0 <= index < num_batches:
            raise IndexError(
                f"Batch index out of range: {index} (the epoch has "
                f"{num_batches} batches)"
            )
        # Read `epoch` once: another thread may end the epoch.
        return self.batch(self.epoch, index)

    def batch(self, epoch, index):
        """Batch `index` of epoch `epoch`, a pure function of `(seed, epoch, index)`.

        Args:
            epoch: Non-negative integer epoch number.
            index: Batch number in `[0, len(self))`.

        Returns:
            The dict of `make_semi_supervised_dataset()`.
        """
        start = index * self.batch_size
        rows = self._unlabelled_order(epoch)[start : start + self.batch_size]
        labelled_rows = self._labelled_rows(epoch, index)
        return {
            "x": self.x_unlabelled[rows],
            "x_labelled": self.x_labelled[labelled_rows],
            "y_labelled": self.y_labelled[labelled_rows],
        }

    def element_spec(self):
        """`{name: (shape, dtype)}` of the elements, the batch axis `None` if it varies."""
        labelled = (self.labelled_batch_size, *self.x_labelled.shape[1:])
        return {
            "x": ((None, *self.x_unlabelled.shape[1:]), "float32"),
            "x_labelled": (labelled, "float32"),
            "y_labelled": ((self.labelled_batch_size,), "int32"),
        }

    def on_epoch_end(self):
        """Moves on to the next epoch's shuffling."""
        self.epoch += 1

    def __repr__(self):
        return (
            f"<{type(self).__name__}: {len(self)} batches of "
            f"{self.batch_size} unlabelled and {self.labelled_batch_size} "
            f"labelled examples, epoch {self.epoch}, shuffle={self.shuffle}, "
            f"seed={self.seed}>"
        )

    def _labelled_rows(self, epoch, index):
        """The labelled stream's `labelled_batch_size` rows of batch `index`."""
        size = len(self.x_labelled)
        positions = np.arange(
            index * self.labelled_batch_size,
            (index + 1) * self.labelled_batch_size,
        )
        passes, offsets = np.divmod(positions, size)
        rows = np.empty_like(positions)
        for pass_ in np.unique(passes):  # One or two passes.
            here = passes == pass_
            rows[here] = self._labelled_order(epoch, int(pass_))[offsets[here]]
        return rows

    def _unlabelled_order(self, epoch):
        return self._cached_permutation(
            self._unlabelled_orders, (epoch,), len(self.x_unlabelled), stream=0
        )

    def _labelled_order(self, epoch, pass_):
        return self._cached_permutation(
            self._labelled_orders, (epoch, pass_), len(self.x_labelled), stream=1
        )

    def _cached_permutation(self, cache, key, size, stream):
        if not self.shuffle:
            return np.arange(size)
        with self._lock:
            order = cache.get(key)
        if order is None:
            # A NumPy generator of its own for each (stream, epoch, pass).
            rng = np.random.default_rng(
                np.random.SeedSequence(self.seed, spawn_key=(stream, *key))
            )
            order = rng.permutation(size)
            with self._lock:
                cache[key] = order
                while len(cache) > self._CACHE_SIZE:
                    del cache[next(iter(cache))]  # The oldest.
        return order


def _check_inputs(x, name, input_shape=None):
    if not is_array_like(x) or len(x.shape) < 2:
        raise ValueError(
            f"`{name}` must be an array of inputs, one per row. Received: "
            f"{name} of type {type(x).__name__} with shape {getattr(x, 'shape', None)}"
        )
    if input_shape is None:
        input_shape = x.shape[1:]
    check_data(x, name, tuple(input_shape))
    check_unit_interval(x, name)
    return np.asarray(x, dtype="float32")


@keras.saving.register_keras_serializable(package="keras_gen")
class SemiSupervisedAdversarialAutoencoder(
    ClassConditionalDecoding, AdversarialAutoencoder
):
    """An adversarial autoencoder whose code is a class `y` and a style `z`.

    The encoder outputs `[y, z]`: `y`, a softmax over `num_classes`, and `z`,
    a linear style code. The decoder reconstructs the input from `[y, z]`.
    Two discriminators shape the codes: one pushes `y` towards one-hot
    vectors of uniformly drawn classes (a categorical prior), the other `z`
    towards `prior` (Makhzani et al., "Semi-Supervised Adversarial
    Autoencoders"; the Paperspace post's semi-supervised model). Each batch
    of `make_semi_supervised_dataset` runs four phases, each with its own
    optimizer:

    1. `reconstruction_step` on the unlabelled inputs (`ae_optimizer`,
       Adam(6e-4)).
    2. `discriminator_step`: both discriminators, on prior samples and the
       codes of the unlabelled inputs (`d_optimizer`, Adam(8e-4)).
    3. `regularization_step`: the encoder against both frozen
       discriminators (`g_optimizer`, Adam(8e-4)).
    4. `classification_step`: the encoder's class head and shared layers
       (`model.classifier`) minimize the cross-entropy of `y` on the labelled
       batch (`c_optimizer`, Adam(1e-3), the post's `semi_lr`). The style
       head, the decoder and the discriminators are untouched.

    The two discriminators form one model, `model.discriminator`, with the
    inputs `[y, z]` and two probabilities out (`categorical_discriminator`
    on `y`, `gaussian_discriminator` on `z`), so the adversarial phases are
    those of `AdversarialAutoencoder`: `d_loss`, `g_loss`, `d_acc`, `d_prior`
    and `d_code` average the two discriminators. (The post sums the two
    losses; the factor does not change Adam's steps.) The history also has
    `classification_loss` and `classification_acc`, on the labelled batches
    in training, on the labelled validation data in `evaluate`.

    `evaluate(x, y)` and `fit(..., validation_data=(x_test, y_test))` take
    labelled data. `predict_classes(x)` and `classification_error(x, y)`
    classify with `y`'s argmax.

    Args:
        input_shape: Shape of one input.
        num_classes: Number of classes, the size of `y`.
        latent_dim: Size of the style code `z`.
        prior: The prior of `z`; defaults to a standard normal (the post's
            semi-supervised script); see `AdversarialAutoencoder`.
        hidden_units: Hidden layer sizes of the encoder (and, reversed, of
            the decoder).
        discriminator_units: Hidden layer sizes of each discriminator.
        dropout_rate: Dropout in the encoder and decoder.
        discriminator_dropout_rate: Dropout in the discriminators.
        seed: Optional integer seed of the prior samples drawn in training.
        **kwargs: Base model arguments such as `name`.
    """

    phases = (
        "reconstruction_step",
        "discriminator_step",
        "regularization_step",
        "classification_step",
    )
    metric_names = AdversarialAutoencoder.metric_names + (
        "classification_loss", "classification_acc",
    )
    default_learning_rates = {
        "ae_optimizer": RECONSTRUCTION_LEARNING_RATE,
        "d_optimizer": REGULARIZATION_LEARNING_RATE,
        "g_optimizer": REGULARIZATION_LEARNING_RATE,
        "c_optimizer": CLASSIFICATION_LEARNING_RATE,
    }
    # The decoder takes the encoder's `[y, z]` as is, so the reconstruction
    # loss and the combined model are `AdversarialAutoencoder`'s.
    label_input_name = "y"

    def __init__(
        self,
        input_shape=(784,),
        num_classes=10,
        latent_dim=10,
        prior=None,
        hidden_units=(1000, 1000),
        discriminator_units=(1000, 1000),
        dropout_rate=0.25,
        discriminator_dropout_rate=0.2,
        seed=None,
        **kwargs,
    ):
        self.num_classes = check_num_classes(num_classes)
        self.categorical_prior = priors.Categorical(self.num_classes)
        if prior is None:
            prior = priors.Gaussian(
                check_positive_int(latent_dim, "latent_dim"), std=1.0
            )
        super().__init__(
            input_shape=input_shape,
            latent_dim=latent_dim,
            prior=prior,
            hidden_units=hidden_units,
            discriminator_units=discriminator_units,
            dropout_rate=dropout_rate,
            discriminator_dropout_rate=discriminator_dropout_rate,
            seed=seed,
            **kwargs,
        )

    # Networks.

    def build_generator(self):
        encoder = super().build_generator()
        # The class head and the layers it shares with the style head.
        self.classifier = keras.Model(
            encoder.input, encoder.outputs[0], name="classifier"
        )
        return encoder

    def build_encoder(self):
        """Builds the encoder: `input_shape -> [y, z]`.

        `y` is a softmax over `num_classes`, `z` a linear code of size
        `latent_dim`. An override must return a functional model with these
        two outputs, in this order (the classifier is `inputs -> y`).

        Returns:
            A `keras.Model`.
        """
        images = keras.Input(shape=self.input_shape, name="images")
        x = keras.layers.Flatten()(images)
        x = dense_stack(x, self.hidden_units, self.dropout_rate)
        y = keras.layers.Dense(self.num_classes, activation="softmax", name="y")(x)
        z = keras.layers.Dense(self.latent_dim, name="z")(x)
        return keras.Model(images, [y, z], name="encoder")

    def build_discriminator(self):
        """Builds the two discriminators, joined: `[y, z] -> (2,)`.

        Column 0 is the categorical discriminator's probability that `y` is
        a prior sample, column 1 the Gaussian discriminator's for `z`.

        Returns:
            A `keras.Model`.
        """
        y = keras.Input(shape=(self.num_classes,), name="y")
        self.categorical_discriminator = keras.Model(
            y, self._score(y, "validity"), name="categorical_discriminator"
        )
        z = keras.Input(shape=(self.latent_dim,), name="z")
        self.gaussian_discriminator = keras.Model(
            z, self._score(z, "validity"), name="gaussian_discriminator"
        )
        y_in = keras.Input(shape=(self.num_classes,), name="y")
        z_in = keras.Input(shape=(self.latent_dim,), name="z")
        scores = keras.layers.Concatenate(name="validity")([
            self.categorical_discriminator(y_in), self.gaussian_discriminator(z_in)
        ])
        return keras.Model([y_in, z_in], scores, name="discriminator")

    # Compilation.

    def player_variables(self):
        return {
            **super().player_variables(),
            "c_optimizer": self.classifier.trainable_variables,
        }

    def compile(
        self, ae_optimizer=None, d_optimizer=None, g_optimizer=None,
        c_optimizer=None, **kwargs,
    ):
        """Configures training. The losses are built in: pass optimizers.

        Args:
            ae_optimizer: Optimizer of the reconstruction phase, on the
                encoder and decoder. Defaults to a new Adam(6e-4).
            d_optimizer: Optimizer of both discriminators. Defaults to a new
                Adam(8e-4).
            g_optimizer: Optimizer of the regularization phase, on the
                encoder. Defaults to a new Adam(8e-4).
            c_optimizer: Optimizer of the classification phase, on
                `model.classifier`. Defaults to a new Adam(1e-3).
            **kwargs: `run_eagerly`, `steps_per_execution` or `jit_compile`,
                as in `keras.Model.compile()`.
        """
        self.compile_players(
            self.default_optimizers(
                ae_optimizer=ae_optimizer, d_optimizer=d_optimizer,
                g_optimizer=g_optimizer, c_optimizer=c_optimizer,
            ),
            **kwargs,
        )

    # Training.

    def unpack_batch(self, data):
        """Returns the dict of `make_semi_supervised_dataset`.

        Labelled data `(x, y)`, as `evaluate` and validation get, serves as
        both the unlabelled and the labelled part.
        """
        if isinstance(data, dict):
            return data
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        if y is None:
            raise ValueError(
                f"{type(self).__name__} needs labelled data here: a dataset "
                "from make_semi_supervised_dataset() for fit(), (x, y) for "
                "evaluate(). Received: no `y`"
            )
        return {"x": x, "x_labelled": x, "y_labelled": y}

    def _batch_from_arrays(self, batch):
        raise ValueError(
            "The phases of a SemiSupervisedAdversarialAutoencoder take a dict "
            "with 'x', 'x_labelled' and 'y_labelled', as in "
            "make_semi_supervised_dataset(). Received: batch of type "
            f"{type(batch).__name__}"
        )

    def sample_prior_codes(self, batch):
        """Draws `[y, z]` from the categorical prior and `prior`."""
        num_samples = ops.shape(batch["x"])[0]
        seed = self.latent_sampler.seed_generator
        return [
            self.categorical_prior.sample(num_samples, seed=seed),
            self.prior.sample(num_samples, seed=seed),
        ]

    def compute_classification_loss(self, batch, training=True):
        """Cross-entropy and accuracy of `y` on the labelled part of a batch.

        Returns:
            `(loss, logs)`, `logs` a dict with `classification_acc`.
        """
        labels = ops.reshape(ops.cast(batch["y_labelled"], "int32"), (-1,))
        probabilities = self.classifier(batch["x_labelled"], training=training)
        loss = ops.mean(
            ops.sparse_categorical_crossentropy(labels, probabilities)
        )
        predictions = ops.cast(ops.argmax(probabilities, axis=-1), "int32")
        accuracy = ops.mean(ops.cast(ops.equal(predictions, labels), "float32"))
        return loss, {"classification_acc": accuracy}

    def classification_step(self, batch):
        """Updates `model.classifier` on the labelled part of the batch.

        The style head, the decoder and the discriminators are untouched.

        Args:
            batch: Dict from `unpack_batch`.

        Returns:
            Dict of the step's `classification_loss` and `classification_acc`.
        """
        batch = self._as_batch(batch)
        loss, logs = backend.minimize(
            lambda: self.compute_classification_loss(batch),
            self.classifier.trainable_variables,
            self.get_optimizer("c_optimizer"),
        )
        return {"classification_loss": loss, **logs}

    def compute_test_logs(self, batch):
        loss, logs = self.compute_classification_loss(batch, training=False)
        return {
            **super().compute_test_logs(batch),
            "classification_loss": loss,
            **logs,
        }

    # Input checks and NumPy helpers.

    def fit(self, x=None, y=None, *args, **kwargs):
        if is_array_like(x):
            raise ValueError(
                "SemiSupervisedAdversarialAutoencoder.fit() takes a dataset that "
                "pairs unlabelled and labelled batches: build it with "
                "make_semi_supervised_dataset(x_unlabelled, x_labelled, "
                f"y_labelled). Received: x of shape {tuple(x.shape)}"
            )
        # The dataset shuffles itself, seeded; Keras would only reorder its
        # batches, unseeded.
        kwargs.setdefault("shuffle", False)
        if isinstance(x, SemiSupervisedBatches):
            return self._fit_on_batches(x, *args, **kwargs)
        return super().fit(x, y, *args, **kwargs)

    def _fit_on_batches(self, batches, *args, **kwargs):
        """`fit()` on the batches, fed the backend's fastest way.

        See `keras_gen.backend.training_data`: on TensorFlow an endless
        `tf.data` pipeline of the same batches, elsewhere Keras' `PyDataset`
        route.
        """
        arguments = inspect.signature(keras.Model.fit).bind(
            self, batches, *args, **kwargs
        ).arguments
        del arguments["self"]
        steps = arguments.get("steps_per_epoch") or len(batches)
        # Keras runs whole executions: an epoch takes a multiple of them.
        per_execution = self.steps_per_execution or 1
        arguments["x"], callbacks = backend.training_data(
            batches, -(-steps // per_execution) * per_execution
        )
        arguments["steps_per_epoch"] = steps
        arguments["callbacks"] = [*(arguments.get("callbacks") or []), *callbacks]
        return super().fit(**arguments)

    def evaluate(self, x=None, y=None, *args, **kwargs):
        if is_array_like(x) and not is_array_like(y):
            raise ValueError(
                "`y` must be an array of the integer labels of `x`: the "
                "evaluation includes the classification error. Received: "
                f"y={y!r}"
            )
        return super().evaluate(x, y, *args, **kwargs)

    def encode(self, x, batch_size=DEFAULT_BATCH_SIZE):
        """Encodes inputs to their style codes `z`.

        Args:
            x: Array of shape `(num_examples, *input_shape)`.
            batch_size: Examples per batch.

        Returns:
            NumPy array of shape `(num_examples, latent_dim)`.
        """
        return super().encode(x, batch_size)[1]

    def predict_proba(self, x, batch_size=DEFAULT_BATCH_SIZE):
        """The class probabilities `y` of inputs, `(num_examples, num_classes)`."""
        check_data(x, "x", self.input_shape)
        return predict_in_batches(self.classifier, x, batch_size)

    def predict_classes(self, x, batch_size=DEFAULT_BATCH_SIZE):
        """The most likely class of each input, an array `(num_examples,)`."""
        return np.argmax(self.predict_proba(x, batch_size), axis=-1)

    def classification_error(self, x, y, batch_size=DEFAULT_BATCH_SIZE):
        """The fraction of inputs whose predicted class is not their label.

        Args:
            x: Array of shape `(num_examples, *input_shape)`.
            y: Their integer labels.
            batch_size: Examples per batch.

        Returns:
            A Python float in [0, 1] (multiply by 100 for the paper's %).
        """
        check_data(x, "x", self.input_shape)
        labels = priors.check_label_array(y, "y", self.num_classes, len(x))
        return float(np.mean(self.predict_classes(x, batch_size) != labels))

    def reconstruct(self, x, labels=None, batch_size=DEFAULT_BATCH_SIZE):
        """Encodes then decodes inputs.

        Args:
            x: Array of shape `(num_examples, *input_shape)`.
            labels: Optional integer labels to decode with; by default the
                encoder's own `y` (a softmax, as in training).
            batch_size: Examples per batch.

        Returns:
            NumPy array with the shape of `x`.
        """
        if labels is not None:
            return super().reconstruct(x, labels, batch_size)
        check_data(x, "x", self.input_shape)
        return predict_in_batches(self, x, batch_size)
