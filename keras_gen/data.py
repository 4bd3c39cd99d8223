"""MNIST and Fashion-MNIST, ready for the models in this package.

`load_dataset()` returns float32 pixels in a chosen layout and value range,
`labelled_split()` draws the small class-balanced labelled subset that the
semi-supervised models train on, and `make_semi_supervised_dataset()` pairs
batches of unlabelled and labelled examples for them.

Caching: the raw files come from `keras.datasets`, so the first call downloads
them and later calls read them from the Keras cache directory,
`$KERAS_HOME/datasets/` or, when `KERAS_HOME` is not set, `~/.keras/datasets/`.
Keras reads `KERAS_HOME` once, when `keras` is first imported, so set it before
that import. If the Keras home is missing or not writable, Keras silently uses
`/tmp/.keras/` instead.

Offline use: put the files in the cache directory yourself.

- MNIST: `mnist.npz`, exactly the file Keras downloads. Keras checks its
  SHA-256; any other file (even one holding the same arrays) is deleted and
  downloaded again.
- Fashion-MNIST: `train-images-idx3-ubyte.gz`, `train-labels-idx1-ubyte.gz`,
  `t10k-images-idx3-ubyte.gz` and `t10k-labels-idx1-ubyte.gz`, in the
  `fashion-mnist/` subdirectory. Keras does not check their hashes.

For example:

```
mkdir -p ~/.keras/datasets/fashion-mnist
cp mnist.npz ~/.keras/datasets/
cp fashion-mnist/*.gz ~/.keras/datasets/fashion-mnist/
```

When a file is missing and cannot be downloaded, `load_dataset()` raises
`DatasetUnavailableError` naming the files and the directory, and removes every
file the failed download left behind, so that a truncated file is never taken
for a cached one later. A cached file that is damaged (empty, truncated) is
renamed to `<name>.damaged` with the same error saying so, so that the next
call downloads it afresh.
"""

import gzip
import numbers
import operator
import os
import tempfile
import threading

import keras
import numpy as np

from keras_gen import priors
from keras_gen import validation

__all__ = [
    "DatasetUnavailableError",
    "labelled_split",
    "load_dataset",
    "load_domains",
    "load_image_folder",
    "load_fashion_mnist",
    "load_mnist",
    "make_semi_supervised_dataset",
    "resize_images",
    "SemiSupervisedBatches",
]

# The hash `keras.datasets.mnist.load_data()` checks `mnist.npz` against.
MNIST_SHA256 = (
    "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
)

# How `keras.datasets` caches each dataset: its subdirectory of the Keras
# datasets directory, the files it needs there, and which cached names belong
# to it (MNIST shares `datasets/` with every other Keras dataset).
_DATASETS = {
    "mnist": {
        "title": "MNIST",
        "loader": keras.datasets.mnist.load_data,
        "subdir": "",
        "files": ("mnist.npz",),
        "prefix": "mnist.npz",
    },
    "fashion_mnist": {
        "title": "Fashion-MNIST",
        "loader": keras.datasets.fashion_mnist.load_data,
        "subdir": "fashion-mnist",
        "files": (
            "train-images-idx3-ubyte.gz",
            "train-labels-idx1-ubyte.gz",
            "t10k-images-idx3-ubyte.gz",
            "t10k-labels-idx1-ubyte.gz",
        ),
        "prefix": "",
    },
}
_LAYOUTS = {"flat": (784,), "image": (28, 28, 1)}
_VALUE_RANGES = ((0.0, 1.0), (-1.0, 1.0))


class DatasetUnavailableError(OSError):
    """A dataset is not in the Keras cache and could not be downloaded.

    The message names the missing files and the directory to put them in.
    """


def load_dataset(name="mnist", layout="flat", value_range=(0.0, 1.0)):
    """Loads MNIST, Fashion-MNIST or a folder of images as float32 pixels and int32 labels.

    Pixels are mapped linearly and exactly: 0 becomes `value_range[0]` and 255
    becomes `value_range[1]`.

    A folder is read by `load_image_folder()` as 28x28 grey images, the size
    and colours of MNIST, so every model and example built for MNIST trains
    on it; a seeded tenth of its images (at least one) is the test split.
    For other sizes and colour, call `load_image_folder()` itself.

    Args:
        name: `"mnist"`, `"fashion_mnist"`, or the path of a folder of
            images (or of one subfolder of images per class).
        layout: `"flat"` for images of shape `(784,)`, or `"image"` for
            shape `(28, 28, 1)` (channels last).
        value_range: `(0.0, 1.0)`, for sigmoid outputs and binary
            cross-entropy, or `(-1.0, 1.0)`, for tanh outputs.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: 60,000 training and 10,000 test
        examples; `x` is float32 of shape `(N, 784)` or `(N, 28, 28, 1)` and
        `y` is int32 of shape `(N,)` with values 0 to 9.

    Raises:
        ValueError: An argument is not one of the values above.
        DatasetUnavailableError: A file is neither cached nor downloadable.
    """
    validation.check_choice(layout, "layout", _LAYOUTS)
    low, high = _check_value_range(value_range)
    if isinstance(name, (str, os.PathLike)) and name not in _DATASETS and os.path.isdir(name):
        return _folder_splits(name, layout, (low, high))
    if name not in _DATASETS:
        raise ValueError(
            f'`name` must be "mnist", "fashion_mnist" or a folder of images. '
            f"Received: name={name!r}")
    (x_train, y_train), (x_test, y_test) = _load_raw(name)
    return (
        (_scale(x_train, layout, low, high), y_train.astype("int32")),
        (_scale(x_test, layout, low, high), y_test.astype("int32")),
    )


def load_mnist(layout="flat", value_range=(0.0, 1.0)):
    """Loads MNIST digits: `load_dataset("mnist", ...)`.

    Args:
        layout: `"flat"` for images of shape `(784,)`, or `"image"` for
            shape `(28, 28, 1)`.
        value_range: `(0.0, 1.0)` or `(-1.0, 1.0)`; see `load_dataset()`.

    Returns:
        `(x_train, y_train), (x_test, y_test)`, as `load_dataset()` returns
        them: `x` float32 of shape `(N, 784)` or `(N, 28, 28, 1)`, `y` int32
        of shape `(N,)`.
    """
    return load_dataset("mnist", layout=layout, value_range=value_range)


def load_fashion_mnist(layout="flat", value_range=(0.0, 1.0)):
    """Loads Fashion-MNIST: `load_dataset("fashion_mnist", ...)`.

    Args:
        layout: `"flat"` for images of shape `(784,)`, or `"image"` for
            shape `(28, 28, 1)`.
        value_range: `(0.0, 1.0)` or `(-1.0, 1.0)`; see `load_dataset()`.

    Returns:
        `(x_train, y_train), (x_test, y_test)`, as `load_dataset()` returns
        them: `x` float32 of shape `(N, 784)` or `(N, 28, 28, 1)`, `y` int32
        of shape `(N,)`.
    """
    return load_dataset("fashion_mnist", layout=layout, value_range=value_range)


def resize_images(images, size, chunk=5000):
    """Resizes square images bilinearly, a chunk at a time (to save memory).

    For the PyTorch DCGAN example's 32x32 or 64x64 digits. Values stay in
    their range (bilinear interpolation does not overshoot).

    Args:
        images: Array of shape `(n, height, width, channels)`.
        size: Height and width of the result.
        chunk: Images resized per call.

    Returns:
        float32 NumPy array of shape `(n, size, size, channels)`.
    """
    images = np.asarray(images)
    if images.ndim != 4:
        raise ValueError(
            "`images` must be an array of shape (n, height, width, channels). "
            f"Received: images.shape={images.shape}"
        )
    size = validation.check_positive_int(size, "size")
    chunk = validation.check_positive_int(chunk, "chunk")
    return np.concatenate([
        keras.ops.convert_to_numpy(
            keras.ops.image.resize(images[start : start + chunk], (size, size))
        ).astype("float32")
        for start in range(0, len(images), chunk)
    ])


def labelled_split(x, y, num_labels=100, num_classes=10, seed=0):
    """Splits a dataset into a small class-balanced labelled set and the rest.

    Each class contributes `num_labels // num_classes` examples, drawn at random
    with `seed`, so the same seed always gives the same split.

    Args:
        x: Array of examples, one per row.
        y: Integer labels of shape `(len(x),)`, with values in
            `[0, num_classes)`.
        num_labels: Total size of the labelled set; a multiple of
            `num_classes`.
        num_classes: Number of classes.
        seed: Non-negative integer seed for the draw.

    Returns:
        `(x_labelled, y_labelled), (x_unlabelled, y_unlabelled)`. Together they
        hold every example exactly once. The labelled set is shuffled; the
        unlabelled set keeps the original order.
    """
    num_labels = validation.check_positive_int(num_labels, "num_labels")
    num_classes = validation.check_positive_int(num_classes, "num_classes")
    seed = _check_seed(seed)
    x = np.asarray(x)
    y = np.asarray(y)
    _check_labels(x, y, num_classes)
    if num_labels % num_classes:
        raise ValueError(
            "`num_labels` must be a multiple of `num_classes`="
            f"{num_classes}, so that every class gets the same number of "
            f"labels. Received: num_labels={num_labels}"
        )
    per_class = num_labels // num_classes
    rng = np.random.default_rng(seed)
    chosen = []
    for label in range(num_classes):
        candidates = np.flatnonzero(y == label)
        if len(candidates) < per_class:
            raise ValueError(
                f"`num_labels`={num_labels} needs {per_class} examples of each "
                f"class, but class {label} has only {len(candidates)} in `y`."
            )
        chosen.append(rng.choice(candidates, size=per_class, replace=False))
    labelled = rng.permutation(np.concatenate(chosen))
    is_unlabelled = np.ones(len(y), dtype=bool)
    is_unlabelled[labelled] = False
    return (x[labelled], y[labelled]), (x[is_unlabelled], y[is_unlabelled])


def _check_value_range(value_range):
    """Returns `value_range` as a `(low, high)` pair of floats, or raises."""
    try:
        pair = tuple(float(v) for v in value_range)
    except (TypeError, ValueError):
        pair = None
    if isinstance(value_range, (str, bytes)):
        pair = None  # "01" would otherwise pass as (0.0, 1.0).
    if pair not in _VALUE_RANGES:
        raise ValueError(
            "`value_range` must be (0.0, 1.0) or (-1.0, 1.0). Received: "
            f"value_range={value_range!r}"
        )
    return pair


def _check_seed(seed):
    """Returns `seed` as an int, or raises if it is not a non-negative int."""
    if (
        isinstance(seed, bool)
        or not isinstance(seed, (int, np.integer))
        or seed < 0
    ):
        raise ValueError(
            f"`seed` must be a non-negative integer. Received: seed={seed!r}"
        )
    return int(seed)


def _check_labels(x, y, num_classes):
    """Checks that `y` holds one integer label in range per row of `x`."""
    if x.ndim == 0 or y.ndim != 1 or len(y) != len(x):
        raise ValueError(
            "`y` must be a 1-D array with one label per row of `x`. Received: "
            f"x.shape={x.shape}, y.shape={y.shape}"
        )
    if not np.issubdtype(y.dtype, np.integer):
        raise ValueError(
            f"`y` must hold integer class labels. Received: y.dtype={y.dtype}"
        )
    if len(y) and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(
            f"`y` must hold labels in [0, {num_classes}) for "
            f"`num_classes`={num_classes}. Received: labels from {y.min()} to "
            f"{y.max()}"
        )


def _scale(pixels, layout, low, high):
    """Maps uint8 pixels to float32 in [low, high] with the given layout."""
    x = pixels.reshape((len(pixels),) + _LAYOUTS[layout]).astype("float32")
    # Dividing by the exact float32 step keeps 0 -> low and 255 -> high exact.
    x /= np.float32(255.0 / (high - low))
    if low:
        x += np.float32(low)
    return x


def _load_raw(name):
    """Loads the uint8 arrays of dataset `name` through `keras.datasets`.

    Raises:
        DatasetUnavailableError: A file is neither cached nor downloadable.
    """
    spec = _DATASETS[name]
    datasets_dir, keras_home = _keras_datasets_dir()
    directory = os.path.normpath(os.path.join(datasets_dir, spec["subdir"]))
    directory_existed = os.path.isdir(directory)
    before = _scan(directory, spec["prefix"])
    try:
        return spec["loader"]()
    except BaseException as error:
        _remove_remnants(directory, spec["prefix"], before, directory_existed)
        missing = [
            file_name
            for file_name in spec["files"]
            if not os.path.exists(os.path.join(directory, file_name))
        ]
        if not isinstance(error, Exception):
            raise  # Ctrl-C: let it through unchanged.
        if not missing:
            # Every file is in place, so one of them is damaged (an empty or
            # truncated copy): move it aside, so the next call downloads it
            # afresh instead of failing the same way.
            damaged = [
                path for path in (os.path.join(directory, f) for f in spec["files"])
                if not _readable(path)
            ]
            if not damaged:
                raise
            raise DatasetUnavailableError(
                _damaged_message(spec, [_move_aside(path) for path in damaged], error)
            ) from error
        found_bad_mnist = (
            name == "mnist" and os.path.join(directory, "mnist.npz") in before
        )
        message = _unavailable_message(
            spec, directory, datasets_dir, keras_home, missing, found_bad_mnist
        )
        raise DatasetUnavailableError(message) from error


def _readable(path):
    """Whether a cached dataset file reads whole (gzip or `.npz`)."""
    try:
        if path.endswith(".gz"):
            with gzip.open(path) as f:
                return len(f.read()) > 16  # More than an IDX header.
        with np.load(path) as arrays:
            return all(arrays[key].size for key in arrays.files)
    except Exception:  # Any failure to read is damage.
        return False


def _move_aside(path):
    """Renames a damaged file to `<path>.damaged[-N]`; returns `(path, new path)`."""
    target, number = f"{path}.damaged", 1
    while os.path.exists(target):
        number += 1
        target = f"{path}.damaged-{number}"
    os.replace(path, target)
    return path, target


def _damaged_message(spec, moved, error):
    lines = [
        f"Could not load the {spec['title']} dataset: cached files are damaged "
        f"(empty or truncated; {type(error).__name__}: {error}). Moved aside:"
    ]
    lines += [f"    {path} -> {target}" for path, target in moved]
    lines.append(
        "The next call downloads them again; offline, put good copies at "
        "those paths (see keras_gen.data's docstring). Delete the moved "
        "files once you no longer need them."
    )
    return "\n".join(lines)


def _find_keras_home():
    """The Keras home directory, by Keras' own rule (it has no public function).

    `KERAS_HOME` if set, else `~/.keras`, or `/tmp/.keras` when the home
    directory is not writable.
    """
    if "KERAS_HOME" in os.environ:
        return os.environ["KERAS_HOME"]
    base = os.path.expanduser("~")
    if not os.access(base, os.W_OK):
        base = "/tmp"
    return os.path.join(base, ".keras")


# Read once, next to `import keras`, as Keras reads it once at its import.
_KERAS_HOME = _find_keras_home()


def _keras_home():
    """Returns the Keras home directory as Keras resolved it at import."""
    return _KERAS_HOME


def _keras_datasets_dir():
    """Returns where `keras.utils.get_file()` caches datasets.

    Mirrors `get_file()`: a Keras home that is missing or not writable is
    silently replaced by `.keras` in the temporary directory.

    Returns:
        A tuple `(datasets_dir, keras_home)`, where `keras_home` is the Keras
        home as configured, before that fallback.
    """
    keras_home = _keras_home()
    base = os.path.expanduser(keras_home)
    if not os.access(base, os.W_OK):
        temp_root = "/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir()
        base = os.path.join(temp_root, ".keras")
    return os.path.join(base, "datasets"), keras_home


def _scan(directory, prefix):
    """Maps each file in `directory` named `prefix...` to its version."""
    try:
        names = os.listdir(directory)
    except OSError:
        return {}
    versions = {}
    for file_name in names:
        path = os.path.join(directory, file_name)
        if file_name.startswith(prefix) and os.path.isfile(path):
            stat = os.stat(path)
            versions[path] = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
    return versions


def _remove_remnants(directory, prefix, before, directory_existed):
    """Removes every file a failed load created or rewrote in `directory`.

    Keras deletes a file whose download raised, but keeps a downloaded file
    that fails its hash check, and keeps the Fashion-MNIST files fetched before
    a later one failed. Those files are not hash-checked, so a truncated one
    would later load as garbage: restore the cache as it was before the call.
    """
    for path, version in _scan(directory, prefix).items():
        if before.get(path) != version:
            try:
                os.remove(path)
            except OSError:
                pass  # Already gone, for example removed by a parallel run.
    if not directory_existed:
        try:
            os.rmdir(directory)  # Succeeds only when empty.
        except OSError:
            pass


def _unavailable_message(
    spec, directory, datasets_dir, keras_home, missing, found_bad_mnist
):
    """Builds the error message that says which files to put where."""
    verb = "is" if len(missing) == 1 else "are"
    file_list = "\n".join(f"    {file_name}" for file_name in spec["files"])
    lines = [
        f"Could not load the {spec['title']} dataset: {', '.join(missing)} "
        f"{verb} not in the Keras cache and could not be downloaded (no "
        "network access?).",
        f"To use it offline, put these files, named exactly so:\n{file_list}",
        f"in this directory:\n    {directory}",
    ]
    if datasets_dir != os.path.join(os.path.expanduser(keras_home), "datasets"):
        lines.append(
            "Keras uses this temporary directory because its home, "
            f"{keras_home}, is missing or not writable."
        )
    else:
        lines.append(
            "That is $KERAS_HOME/datasets/, or ~/.keras/datasets/ when "
            "KERAS_HOME is not set; Keras reads KERAS_HOME when it is "
            "imported."
        )
    if spec["files"] == ("mnist.npz",):
        lines.append(
            "Keras checks the SHA-256 of mnist.npz, so it must be the exact "
            f"file Keras downloads (sha256 {MNIST_SHA256}); any other file is "
            "deleted and downloaded again."
        )
        if found_bad_mnist:
            lines.append(
                "A cached mnist.npz was found but failed that check, so Keras "
                "deleted it and tried to download it again."
            )
    return "\n".join(lines)


# Semi-supervised training data.


def make_semi_supervised_dataset(
    x_unlabelled,
    x_labelled,
    y_labelled,
    batch_size=100,
    labelled_batch_size=None,
    num_classes=10,
    shuffle=True,
    seed=0,
    value_range=(0.0, 1.0),
):
    """Builds the training data of `SemiSupervisedAdversarialAutoencoder` and `SGAN`.

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

    The arrays are checked here (shapes, NaN, values in `value_range`,
    labels in range), since `fit()` cannot scan a dataset.

    The result is a `keras.utils.PyDataset`, so it feeds `fit()` on every
    backend, without TensorFlow. It shuffles with a NumPy generator seeded
    from `seed` and the epoch number, and reshuffles when `fit()` ends an
    epoch (`on_epoch_end()`): the same seed gives the same batches. On
    TensorFlow, `keras_gen.SemiSupervisedAdversarialAutoencoder.fit()` trains on the
    same batches through an endless `tf.data` pipeline
    (`keras_gen.backend.training_data`), since Keras' route for a
    `PyDataset` stalls there at epoch starts.

    Args:
        x_unlabelled: Inputs without labels, of shape `(n, *input_shape)`,
            values in `value_range`. They may include the labelled inputs.
        x_labelled: Labelled inputs, of shape `(n_labelled, *input_shape)`.
        y_labelled: Their integer labels, of shape `(n_labelled,)`, in
            `[0, num_classes)`.
        batch_size: Unlabelled inputs per batch.
        labelled_batch_size: Labelled examples per batch; defaults to
            `min(batch_size, len(x_labelled))`.
        num_classes: Number of classes.
        shuffle: Whether to shuffle both sets on every pass.
        seed: Non-negative integer seed of the shuffling, or `None` for a
            different shuffling on every call.
        value_range: `(low, high)` the inputs lie in: `(0, 1)` for a sigmoid
            output (the adversarial autoencoder, the feature-matching
            `SGAN`), `(-1, 1)` for a tanh (Keras-GAN's `SGAN`). The model's
            `fit()` checks that it is the model's `value_range`.

    Returns:
        A `SemiSupervisedBatches` (a `keras.utils.PyDataset`) of dicts, for
        `model.fit()`. `len()` gives the batches per epoch; `dataset[i]`
        the `i`-th batch of the current epoch.
    """
    return SemiSupervisedBatches(
        x_unlabelled,
        x_labelled,
        y_labelled,
        value_range=value_range,
        batch_size=batch_size,
        labelled_batch_size=labelled_batch_size,
        num_classes=num_classes,
        shuffle=shuffle,
        seed=seed,
    )


class IndexedBatches(keras.utils.PyDataset):
    """A `PyDataset` whose batch `i` of epoch `e` is a pure function of `(seed, e, i)`.

    The base of `ArrayBatches` and `SemiSupervisedBatches`. Batches can be
    read in any order, from several threads and twice over, and epoch `e`
    shuffles the same way in every process: a run resumed at epoch `e` sees
    the batches an uninterrupted run sees there. Subclasses give
    `__len__()`, `batch(epoch, index)` and `element_spec()`.

    Args:
        shuffle: Whether to shuffle; if not, `permutation()` is the identity.
        seed: Non-negative integer seed of the shuffling, or `None` for a
            fresh one drawn from the operating system.

    Attributes:
        epoch: The epoch whose batches `dataset[i]` returns, from 0;
            `on_epoch_end()` moves to the next one. `fit()` calls it after
            each epoch and once before the first, so `fit(epochs=2)` trains
            on epochs 1 and 2 and leaves `epoch` at 3; a second `fit()`
            goes on with new shufflings.
        seed: The seed of the shuffling.
        shuffle: Whether to shuffle.
    """

    # Permutations kept, the least recently used dropped first: a batch
    # reads one epoch's order and at most two passes of a second stream.
    _CACHE_SIZE = 8

    def __init__(self, shuffle=True, seed=0):
        # Keras' defaults: one worker, batches made in the calling thread.
        super().__init__()
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
        self.shuffle = bool(shuffle)
        self.seed = int(seed)
        self.epoch = 0
        self._lock = threading.Lock()
        self._orders = {}

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

    def on_epoch_end(self):
        """Moves on to the next epoch's shuffling."""
        self.epoch += 1

    def permutation(self, size, stream, *key):
        """A permutation of `range(size)`, a pure function of `(seed, stream, *key)`.

        Args:
            size: Length of the permutation.
            stream: Integer naming the sequence of permutations (for example
                0 for the unlabelled rows, 1 for the labelled ones).
            *key: Further integers that pick the permutation, such as the
                epoch.

        Returns:
            An integer NumPy array of shape `(size,)`: `np.arange(size)`
            when `shuffle` is off. Do not modify it; it is cached.
        """
        if not self.shuffle:
            return np.arange(size)
        key = (stream, *key)
        with self._lock:
            order = self._orders.pop(key, None)
            if order is not None:
                self._orders[key] = order  # The newest again.
        if order is None:
            # A NumPy generator of its own for each key.
            rng = np.random.default_rng(
                np.random.SeedSequence(self.seed, spawn_key=key)
            )
            order = rng.permutation(size)
            with self._lock:
                self._orders[key] = order
                while len(self._orders) > self._CACHE_SIZE:
                    del self._orders[next(iter(self._orders))]  # The oldest.
        return order


class ArrayBatches(IndexedBatches):
    """In-memory arrays in batches, shuffled anew every epoch from `(seed, epoch)`.

    keras-gen models feed `fit()` arrays this way rather than through Keras'
    array route, which (TensorFlow backend, seeded) repeats one order every
    epoch and (other backends) draws from NumPy's global state, so that a
    resumed run could not see an uninterrupted run's batches.

    Args:
        x: Array of inputs, one example per row.
        y: Optional array of targets or labels, as long as `x`.
        batch_size: Examples per batch; the last batch may be smaller.
        shuffle: Whether to shuffle the rows each epoch.
        seed: Non-negative integer seed of the shuffling.
        unpaired: Whether `y` is a second set of examples of its own (a
            second domain, `CoGAN`), not the targets of `x`'s rows: its
            batches then come from a permutation of its own (a stream of
            their own, cycled if `y` is shorter), and it may be of any
            length. An epoch is one pass over `x`.

    Elements: `(x,)` or `(x, y)` batches of NumPy arrays, as Keras' array
    route gives them.
    """

    def __init__(self, x, y=None, batch_size=32, shuffle=True, seed=0, unpaired=False):
        super().__init__(shuffle=shuffle, seed=seed)
        self.batch_size = validation.check_positive_int(batch_size, "batch_size")
        self.arrays = tuple(_as_floatx(a) for a in ((x,) if y is None else (x, y)))
        self.unpaired = bool(unpaired) and y is not None
        if y is not None and len(y) != len(x) and not self.unpaired:
            raise ValueError(
                "`x` and `y` must hold the same number of examples. Received: "
                f"len(x)={len(x)}, len(y)={len(y)}"
            )

    def __len__(self):
        return -(-len(self.arrays[0]) // self.batch_size)

    def batch(self, epoch, index):
        """Batch `index` of epoch `epoch`: a tuple of arrays.

        Args:
            epoch: Non-negative integer epoch number.
            index: Batch number in `[0, len(self))`.

        Returns:
            `(x,)` or `(x, y)`: NumPy arrays of up to `batch_size` rows,
            `(batch_size, *x.shape[1:])` and `(batch_size, *y.shape[1:])`.
        """
        order = self.permutation(len(self.arrays[0]), 0, epoch)
        rows = order[index * self.batch_size : (index + 1) * self.batch_size]
        if not self.unpaired:
            return tuple(array[rows] for array in self.arrays)
        x, y = self.arrays
        positions = np.arange(index * self.batch_size, index * self.batch_size + len(rows))
        return x[rows], y[self.permutation(len(y), 1, epoch)[positions % len(y)]]

    def element_spec(self):
        """The shapes and dtypes of a batch's arrays.

        Returns:
            A tuple with one `(shape, dtype name)` pair per array (`x`, and
            `y` if given), the batch axis `None`.
        """
        return tuple(((None, *a.shape[1:]), a.dtype.name) for a in self.arrays)


class SampledBatches(IndexedBatches):
    """`num_batches` batches of rows drawn at random: Keras-GAN's training loop.

    Keras-GAN trains on `np.random.randint(0, len(x), batch_size)` rows at
    every iteration, with no notion of an epoch; `GAN.train()` feeds these
    batches to `fit()` as one epoch of `num_batches` steps. Batch `i` of
    epoch `e` is a pure function of `(seed, e, i)`.

    Args:
        x: Array of inputs, one example per row.
        batch_size: Rows per batch, drawn with replacement.
        num_batches: Batches per epoch.
        seed: Non-negative integer seed of the draws.
        y: Optional integer labels, one per row of `x`, drawn with their rows
            (the conditional GANs' `cgan.py` loop).

    Elements: `(x,)` batches of NumPy arrays of `batch_size` rows, or
    `(x, y)` with labels.
    """

    def __init__(self, x, batch_size=128, num_batches=1, seed=0, y=None):
        super().__init__(shuffle=True, seed=seed)
        self.batch_size = validation.check_positive_int(batch_size, "batch_size")
        self._num_batches = validation.check_positive_int(num_batches, "num_batches")
        self.x = _as_floatx(x)
        self.y = None if y is None else np.asarray(y)
        if self.y is not None and len(self.y) != len(self.x):
            raise ValueError(
                f"`y` must have one label per row of `x` ({len(self.x)}). "
                f"Received: y of length {len(self.y)}"
            )

    def __len__(self):
        return self._num_batches

    def batch(self, epoch, index):
        """Batch `index` of epoch `epoch`: `batch_size` random rows (and their labels).

        Args:
            epoch: Non-negative integer epoch number.
            index: Batch number in `[0, num_batches)`.

        Returns:
            `(x,)` with `x` of shape `(batch_size, *x.shape[1:])`, or
            `(x, y)` with `y` of shape `(batch_size, *y.shape[1:])`.
        """
        rng = np.random.default_rng(
            np.random.SeedSequence(self.seed, spawn_key=(2, epoch, index))
        )
        rows = rng.integers(0, len(self.x), self.batch_size)
        if self.y is None:
            return (self.x[rows],)
        return (self.x[rows], self.y[rows])

    def element_spec(self):
        """The shapes and dtypes of a batch's arrays.

        Returns:
            A tuple with one `(shape, dtype name)` pair per array (`x`, and
            `y` if given), the batch axis `batch_size`.
        """
        spec = (((self.batch_size, *self.x.shape[1:]), self.x.dtype.name),)
        if self.y is None:
            return spec
        return (*spec, ((self.batch_size, *self.y.shape[1:]), self.y.dtype.name))


def _as_floatx(array):
    array = np.asarray(array)
    if np.issubdtype(array.dtype, np.floating):
        return array.astype(keras.config.floatx(), copy=False)
    return array


class SemiSupervisedBatches(IndexedBatches):
    """The batches of `make_semi_supervised_dataset()`, a Keras `PyDataset`.

    See `make_semi_supervised_dataset()` for the arguments and the elements.
    Batch `i` of epoch `e` is a pure function of `(seed, e, i)`: `dataset[i]`
    can be read in any order, from several threads, and twice over. Epoch
    `e`'s unlabelled order is one permutation; its labelled stream is a
    sequence of permutations of the labelled set (one per pass), cut into
    `labelled_batch_size` pieces, restarting with each epoch.

    See `IndexedBatches` for `epoch`, `seed` and `shuffle`.
    """

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
        value_range=(0.0, 1.0),
    ):
        super().__init__(shuffle=shuffle, seed=seed)
        batch_size = validation.check_positive_int(batch_size, "batch_size")
        num_classes = validation.check_num_classes(num_classes)
        value_range = _check_value_range(value_range)
        x_unlabelled = _check_inputs(x_unlabelled, "x_unlabelled", value_range=value_range)
        x_labelled = _check_inputs(
            x_labelled, "x_labelled", input_shape=x_unlabelled.shape[1:],
            value_range=value_range,
        )
        y_labelled = priors.check_label_array(
            y_labelled, "y_labelled", num_classes, len(x_labelled)
        )
        if labelled_batch_size is None:
            labelled_batch_size = min(batch_size, len(x_labelled))
        labelled_batch_size = validation.check_positive_int(
            labelled_batch_size, "labelled_batch_size"
        )
        if labelled_batch_size > len(x_labelled):
            raise ValueError(
                "`labelled_batch_size` cannot exceed the number of labelled "
                f"examples, {len(x_labelled)}. Received: "
                f"labelled_batch_size={labelled_batch_size}"
            )
        self.x_unlabelled = x_unlabelled
        self.x_labelled = x_labelled
        self.y_labelled = y_labelled
        self.batch_size = batch_size
        self.labelled_batch_size = labelled_batch_size
        self.num_classes = num_classes
        self.value_range = value_range

    def __len__(self):
        return -(-len(self.x_unlabelled) // self.batch_size)

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
        """The shapes and dtypes of a batch's arrays.

        Returns:
            A dict `{name: (shape, dtype name)}` for `"x"`, `"x_labelled"`
            and `"y_labelled"`, the batch axis `None` where it varies (that
            of `"x"`).
        """
        labelled = (self.labelled_batch_size, *self.x_labelled.shape[1:])
        return {
            "x": ((None, *self.x_unlabelled.shape[1:]), "float32"),
            "x_labelled": (labelled, "float32"),
            "y_labelled": ((self.labelled_batch_size,), "int32"),
        }

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
        return self.permutation(len(self.x_unlabelled), 0, epoch)

    def _labelled_order(self, epoch, pass_):
        return self.permutation(len(self.x_labelled), 1, epoch, pass_)


def _check_inputs(x, name, input_shape=None, value_range=(0.0, 1.0)):
    if not validation.is_array_like(x) or len(x.shape) < 2:
        raise ValueError(
            f"`{name}` must be an array of inputs, one per row. Received: "
            f"{name} of type {type(x).__name__} with shape {getattr(x, 'shape', None)}"
        )
    if input_shape is None:
        input_shape = x.shape[1:]
    validation.check_data(x, name, tuple(input_shape))
    reason = "the output ends in a sigmoid" if value_range[0] == 0 else "the output ends in a tanh"
    validation.check_value_range(x, name, value_range, reason)
    return np.asarray(x, dtype="float32")


# Two domains of one dataset.

DOMAIN_TRANSFORMS = ("rotated", "inverted")


def load_domains(name="mnist", transform="rotated", layout="image", value_range=(-1.0, 1.0)):
    """Two domains of MNIST or Fashion-MNIST, for the two-domain models (`CoGAN`).

    As Keras-GAN's CoGAN builds them: the first half of each split is
    domain A as is, the second half is domain B, each image rotated by 90
    degrees (counter-clockwise) or inverted (`low + high - x`). The halves
    hold different images, so no image of A has its counterpart in B: the
    domains are unpaired.

    Args:
        name: `"mnist"` or `"fashion_mnist"`.
        transform: `"rotated"` or `"inverted"`: how domain B differs.
        layout: `"image"` (`(28, 28, 1)`) or `"flat"` (784 values).
        value_range: `(0.0, 1.0)` or `(-1.0, 1.0)`.

    Returns:
        `((x_a, y_a), (x_b, y_b)), ((x_a_test, y_a_test), (x_b_test,
        y_b_test))`: float32 images and int32 labels, 30,000 of each domain
        for training and 5,000 for testing.
    """
    validation.check_choice(transform, "transform", DOMAIN_TRANSFORMS)
    low, high = _check_value_range(value_range)
    splits = load_dataset(name, layout="image", value_range=(low, high))
    domains = []
    for x, y in splits:
        half = len(x) // 2
        x_b = (np.rot90(x[half:], k=1, axes=(1, 2)) if transform == "rotated"
               else low + high - x[half:])
        pair = ((x[:half], y[:half]), (np.ascontiguousarray(x_b), y[half:]))
        if layout == "flat":
            pair = tuple((a.reshape(len(a), -1), labels) for a, labels in pair)
        else:
            validation.check_choice(layout, "layout", _LAYOUTS)
        domains.append(pair)
    return tuple(domains)


def to_domain_a(x_b, transform="rotated", value_range=(-1.0, 1.0)):
    """Undoes `load_domains`' transform: domain-B images `(n, 28, 28, 1)` back as domain A's.

    Args:
        x_b: Images of domain B, `(n, height, width, channels)`.
        transform: The transform that made them: `"rotated"` or `"inverted"`.
        value_range: Their `(low, high)` range.

    Returns:
        float32 NumPy array of the same shape.
    """
    validation.check_choice(transform, "transform", DOMAIN_TRANSFORMS)
    low, high = _check_value_range(value_range)
    x_b = np.asarray(x_b, dtype="float32")
    if transform == "rotated":
        return np.ascontiguousarray(np.rot90(x_b, k=-1, axes=(1, 2)))
    return low + high - x_b


# Your own images.

# The file types read (Keras' `image_dataset_from_directory` takes the same).
IMAGE_EXTENSIONS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
# Pillow's modes with one channel; every other mode is read as RGB.
_GREY_MODES = ("1", "L", "LA", "I", "I;16", "F")
_COLOR_MODES = {"grayscale": "L", "rgb": "RGB"}


def load_image_folder(path, image_size=None, value_range=(0.0, 1.0), color_mode=None):
    """Loads a folder of your own images as float32 pixels and int32 labels.

    A folder of subfolders is a labelled dataset: each image's label is the
    index of its subfolder in sorted order (the convention of Keras'
    `image_dataset_from_directory`), and images directly in `path` are then
    left out. A folder of images alone gives every label 0. Files with the
    extensions of `IMAGE_EXTENSIONS` are read in sorted order, subfolders
    of a class folder included, with Pillow (Keras' `load_img` reads images
    the same way), and turned into arrays with `keras.utils.img_to_array`.

    Args:
        path: The folder.
        image_size: `(height, width)` to resize every image to (bilinear),
            or None to keep their size, which all images must then share.
        value_range: `(0.0, 1.0)` or `(-1.0, 1.0)`: pixel 0 becomes the
            first, 255 the second.
        color_mode: None to read the images as found: grey (1 channel) if
            every image is grey, RGB (3 channels) if every image is in
            colour (an alpha channel is dropped); `"grayscale"` or `"rgb"`
            to convert every image.

    Returns:
        `(x, y)`: `x` float32 of shape `(num_images, height, width,
        channels)`, channels 1 or 3; `y` int32 of shape `(num_images,)`.

    Raises:
        ValueError: The message names the path: a missing folder, a folder
            without images, a file that cannot be read, grey and colour
            images mixed (with `color_mode=None`), or sizes that differ
            (with `image_size=None`).
    """
    from PIL import Image  # Pillow: Keras' own image utilities need it.

    low, high = _check_value_range(value_range)
    if color_mode is not None:
        validation.check_choice(color_mode, "color_mode", tuple(_COLOR_MODES))
    if image_size is not None:
        image_size = tuple(validation.check_positive_int(side, "image_size")
                           for side in image_size)
        if len(image_size) != 2:
            raise ValueError(
                f"`image_size` must be (height, width). Received: image_size={image_size!r}")
    files, labels = _image_files(path)
    modes, images = [], []
    for file in files:
        try:
            with Image.open(file) as image:
                image.load()
        except Exception as error:  # Pillow raises many kinds for bad files.
            raise ValueError(
                f"{file} cannot be read as an image ({type(error).__name__}: {error}): "
                f"remove or replace it. Received: path={path!r}") from None
        modes.append("L" if image.mode in _GREY_MODES else "RGB")
        images.append(image)
    if color_mode is None and len(set(modes)) > 1:
        grey, colour = (files[modes.index(mode)] for mode in ("L", "RGB"))
        raise ValueError(
            f"The folder mixes grey and colour images (e.g. {grey} is grey, {colour} "
            'is not): pass color_mode="grayscale" or color_mode="rgb" to convert '
            f"them all. Received: path={path!r}")
    mode = _COLOR_MODES[color_mode] if color_mode else modes[0]
    arrays = []
    for file, image in zip(files, images):
        image = image.convert(mode)
        if image_size is not None:
            image = image.resize((image_size[1], image_size[0]), Image.BILINEAR)
        arrays.append(keras.utils.img_to_array(image, dtype="float32"))
    sizes = sorted({array.shape[:2] for array in arrays})
    if len(sizes) > 1:
        raise ValueError(
            f"The images have different sizes ({sizes[0]} and {sizes[-1]}, as (height, "
            "width), among others): pass image_size=(height, width) to resize them. "
            f"Received: path={path!r}")
    x = np.stack(arrays) / 255.0 * (high - low) + low
    return x.astype("float32"), np.asarray(labels, dtype="int32")


def _folder_splits(path, layout, value_range):
    """`load_dataset()` of a folder: 28x28 grey, a seeded tenth held out."""
    x, y = load_image_folder(path, image_size=(28, 28), value_range=value_range,
                             color_mode="grayscale")
    if layout == "flat":
        x = x.reshape(len(x), -1)
    order = np.random.default_rng(0).permutation(len(x))
    test, train = order[: max(1, len(x) // 10)], order[max(1, len(x) // 10):]
    if not len(train):
        raise ValueError(
            f"The folder holds {len(x)} image: at least 2 are needed, one for "
            f"the test split. Received: name={path!r}")
    return (x[train], y[train]), (x[test], y[test])


def _image_files(path):
    """The image files of a folder and their labels (subfolder indices), sorted."""
    if not os.path.isdir(path):
        state = "is not a folder" if os.path.exists(path) else "does not exist"
        raise ValueError(
            "`path` must be a folder of images, or of one subfolder of images per "
            f"class. Received: path={path!r}, which {state}")
    classes = sorted(entry.name for entry in os.scandir(path)
                     if entry.is_dir() and not entry.name.startswith("."))
    folders = [os.path.join(path, name) for name in classes] or [path]
    files, labels = [], []
    for label, folder in enumerate(folders):
        walk = os.walk(folder) if classes else [(folder, [], os.listdir(folder))]
        for root, _, names in sorted(walk):
            for name in sorted(names):
                if name.lower().endswith(IMAGE_EXTENSIONS) and not name.startswith("."):
                    files.append(os.path.join(root, name))
                    labels.append(label)
    if not files:
        where = f"its {len(classes)} subfolders" if classes else "it"
        raise ValueError(
            f"No images in {where}: put files ending in {', '.join(IMAGE_EXTENSIONS)} "
            f"there. Received: path={path!r}")
    return files, labels
