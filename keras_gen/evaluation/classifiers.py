"""Reference classifiers of MNIST and Fashion-MNIST, shipped with the package.

Inception-based scores need pretrained ImageNet weights and fit 28x28 grey
images poorly. As in TF-GAN's
MNIST example, generated images are scored with a classifier trained on the
real data instead: its class probabilities give the classifier score and the
class coverage, and its penultimate layer gives the features of the Fréchet
Classifier Distance (FCD) and of precision/recall.

The classifiers are small convnets (`build_classifier()`) trained by
`bench/train_classifiers.py` (seeded; the schedule is documented there). Their
weights ship in `keras_gen/evaluation/weights/`, next to a JSON file per
dataset recording the measured test accuracy, the command, the date and the
Keras version. Nothing is downloaded.

```python
from keras_gen.evaluation import load_reference_classifier

classifier = load_reference_classifier("mnist")
images = gan.generate(1000, seed=0)  # tanh outputs, in [-1, 1]
probabilities = classifier.predict_proba(images, value_range=(-1, 1))
features = classifier.features(images, value_range=(-1, 1))
```
"""

import functools
import json
import os

import keras
import numpy as np

from keras_gen.validation import check_choice, check_positive_int

DATASETS = ("mnist", "fashion_mnist")
NUM_CLASSES = 10
IMAGE_SHAPE = (28, 28, 1)
FEATURES_LAYER = "features"
WEIGHTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "weights")
DEFAULT_BATCH_SIZE = 500

# How far (as a fraction of the range's width) pixels may stray outside the
# declared `value_range` before it is taken for the wrong range: tanh outputs
# in [-1, 1] passed with the default (0, 1) fail loudly instead of being
# scored as if they were dark, inverted images.
_RANGE_TOLERANCE = 0.05


def weights_path(dataset):
    """Path of the shipped weights of the reference classifier of `dataset`."""
    check_choice(dataset, "dataset", DATASETS)
    return os.path.join(WEIGHTS_DIR, f"{dataset}_classifier.weights.h5")


def info_path(dataset):
    """Path of the JSON file recording how the shipped weights were trained."""
    check_choice(dataset, "dataset", DATASETS)
    return os.path.join(WEIGHTS_DIR, f"{dataset}_classifier.json")


def build_classifier(name="classifier"):
    """Builds the (untrained) reference convnet.

    Input: `(28, 28, 1)` images in [0, 1]. Three stages of 3x3 convolutions
    (32, 32 | 64, 64 | 128 filters, each followed by BatchNorm and ReLU, each
    stage ending in 2x2 max pooling), then `Flatten -> Dropout(0.3) ->
    Dense(128, relu)`, the 128-dimensional feature layer named `"features"`,
    then `Dropout(0.3) -> Dense(10, softmax)`. About 290,000 weights.

    Args:
        name: Name of the model.

    Returns:
        A functional `keras.Model` mapping images to class probabilities.
    """
    inputs = keras.Input(shape=IMAGE_SHAPE, name="image")
    x = inputs
    for stage, (filters, repeats) in enumerate(((32, 2), (64, 2), (128, 1))):
        for index in range(repeats):
            x = keras.layers.Conv2D(
                filters, 3, padding="same", use_bias=False,
                name=f"conv{stage + 1}_{index + 1}",
            )(x)
            x = keras.layers.BatchNormalization(
                name=f"bn{stage + 1}_{index + 1}"
            )(x)
            x = keras.layers.ReLU()(x)
        x = keras.layers.MaxPooling2D(2, name=f"pool{stage + 1}")(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dropout(0.3)(x)
    features = keras.layers.Dense(128, activation="relu", name=FEATURES_LAYER)(x)
    x = keras.layers.Dropout(0.3)(features)
    outputs = keras.layers.Dense(
        NUM_CLASSES, activation="softmax", name="probabilities"
    )(x)
    return keras.Model(inputs, outputs, name=name)


def to_unit_range(x, value_range=(0.0, 1.0)):
    """Maps images to the classifiers' input: `(n, 28, 28, 1)` in [0, 1].

    `value_range[0]` maps to 0 and `value_range[1]` to 1; values outside are
    clipped, and NaN becomes 0 (so a diverged generator scores badly instead
    of crashing an evaluation).

    Args:
        x: Images of shape `(n, 784)`, `(n, 28, 28)` or `(n, 28, 28, 1)`.
        value_range: `(low, high)` range of `x`: `(0, 1)` for sigmoid
            outputs (autoencoders, VAEs, the data from `load_dataset()`),
            `(-1, 1)` for tanh outputs (the GANs).

    Returns:
        float32 NumPy array of shape `(n, 28, 28, 1)` in [0, 1].

    Raises:
        ValueError: `x` has another shape, is not floating point, or lies
            clearly outside `value_range` (more than 5% of its width), which
            means the wrong `value_range` was passed.
    """
    low, high = check_value_range(value_range)
    x = np.asarray(keras.ops.convert_to_numpy(x))
    if x.ndim < 2 or x.shape[0] == 0 or x.shape[1:] not in (
        (784,), (28, 28), IMAGE_SHAPE
    ):
        raise ValueError(
            "`x` must be a non-empty batch of 28x28 grey images of shape "
            "(n, 784), (n, 28, 28) or (n, 28, 28, 1). Received: "
            f"x.shape={x.shape}"
        )
    if not np.issubdtype(x.dtype, np.floating):
        raise ValueError(
            "`x` must be a floating-point array in `value_range` (scale raw "
            f"uint8 pixels first). Received: x.dtype={x.dtype}"
        )
    finite = x[np.isfinite(x)]
    if finite.size:
        slack = _RANGE_TOLERANCE * (high - low)
        lowest, highest = float(finite.min()), float(finite.max())
        if lowest < low - slack or highest > high + slack:
            raise ValueError(
                f"`x` must lie in `value_range`=({low:g}, {high:g}); pass "
                "value_range=(-1, 1) for tanh outputs, (0, 1) for sigmoid "
                f"outputs. Received: x with values from {lowest:g} to "
                f"{highest:g}"
            )
    x = (x.reshape((len(x),) + IMAGE_SHAPE).astype("float32") - low) / (
        high - low
    )
    x = np.nan_to_num(x, nan=0.0, posinf=1.0, neginf=0.0)
    return np.clip(x, 0.0, 1.0)


class ReferenceClassifier:
    """A trained reference classifier: class probabilities and features.

    Every method takes images in any layout accepted by `to_unit_range()`
    and their `value_range`, and runs the network in inference mode in
    batches (no compiled `predict()` function is built, so calling it every
    few epochs from a callback stays cheap).

    Args:
        model: The classifier, as built by `build_classifier()`, with trained
            weights.
        dataset: `"mnist"` or `"fashion_mnist"`, the data it was trained on.
        info: Dict recorded when the weights were trained (test accuracy,
            command, date, Keras version), or None.

    Attributes:
        model: The classifier, images in [0, 1] -> class probabilities.
        feature_model: The same layers, images -> `(n, 128)` features from
            the penultimate layer (after its ReLU).
        dataset: The dataset name.
        info: The recorded training information, or None.
    """

    def __init__(self, model, dataset, info=None):
        self.model = model
        self.dataset = check_choice(dataset, "dataset", DATASETS)
        self.info = info
        features = model.get_layer(FEATURES_LAYER).output
        inputs = model.inputs[0]
        self.feature_model = keras.Model(inputs, features, name="features")
        self._both = keras.Model(inputs, [features, model.outputs[0]])

    @property
    def test_accuracy(self):
        """The test accuracy recorded when the weights were trained."""
        return None if self.info is None else self.info["test_accuracy"]

    def predict_proba(self, x, value_range=(0.0, 1.0), batch_size=DEFAULT_BATCH_SIZE):
        """Class probabilities of images.

        Args:
            x: Images, see `to_unit_range()`.
            value_range: `(low, high)` range of `x`.
            batch_size: Images per call.

        Returns:
            float32 NumPy array of shape `(n, 10)`.
        """
        return self._run(self.model, x, value_range, batch_size)

    def predict(self, x, value_range=(0.0, 1.0), batch_size=DEFAULT_BATCH_SIZE):
        """Predicted classes, the argmax of `predict_proba`.

        Args:
            x: Images, see `to_unit_range()`.
            value_range: `(low, high)` range of `x`.
            batch_size: Images per call.

        Returns:
            int32 NumPy array of shape `(n,)`.
        """
        return np.argmax(
            self.predict_proba(x, value_range, batch_size), axis=-1
        ).astype("int32")

    def features(self, x, value_range=(0.0, 1.0), batch_size=DEFAULT_BATCH_SIZE):
        """Penultimate-layer features of images.

        Args:
            x: Images, see `to_unit_range()`.
            value_range: `(low, high)` range of `x`.
            batch_size: Images per call.

        Returns:
            float32 NumPy array of shape `(n, 128)`.
        """
        return self._run(self.feature_model, x, value_range, batch_size)

    def features_and_probabilities(
        self, x, value_range=(0.0, 1.0), batch_size=DEFAULT_BATCH_SIZE
    ):
        """Features and class probabilities in one pass over the images.

        Args:
            x: Images, see `to_unit_range()`.
            value_range: `(low, high)` range of `x`.
            batch_size: Images per call.

        Returns:
            A tuple `(features, probabilities)` of float32 NumPy arrays of
            shapes `(n, 128)` and `(n, 10)`.
        """
        return tuple(self._run(self._both, x, value_range, batch_size))

    def accuracy(self, x, y, value_range=(0.0, 1.0), batch_size=DEFAULT_BATCH_SIZE):
        """Fraction of images whose predicted class equals the label `y`.

        Args:
            x: Images, see `to_unit_range()`.
            y: Integer labels, one per image, shape `(n,)`.
            value_range: `(low, high)` range of `x`.
            batch_size: Images per call.

        Returns:
            A float in `[0, 1]`.
        """
        y = np.asarray(y).reshape(-1)
        predictions = self.predict(x, value_range, batch_size)
        if len(y) != len(predictions):
            raise ValueError(
                "`y` must hold one label per image of `x`. Received: "
                f"{len(y)} labels for {len(predictions)} images"
            )
        return float(np.mean(predictions == y))

    def _run(self, model, x, value_range, batch_size):
        batch_size = check_positive_int(batch_size, "batch_size")
        x = to_unit_range(x, value_range)
        outputs = []
        for start in range(0, len(x), batch_size):
            result = model(x[start : start + batch_size], training=False)
            outputs.append(
                keras.tree.map_structure(keras.ops.convert_to_numpy, result)
            )
        if isinstance(outputs[0], (list, tuple)):
            return [np.concatenate(parts) for parts in zip(*outputs)]
        return np.concatenate(outputs)


def load_classifier_info(dataset):
    """Returns the recorded training information of a shipped classifier.

    Args:
        dataset: `"mnist"` or `"fashion_mnist"`.

    Returns:
        Dict with at least `test_accuracy`, `command`, `date` and
        `keras_version`.
    """
    path = info_path(dataset)
    if not os.path.isfile(path):
        raise FileNotFoundError(_missing_message(dataset, path))
    with open(path) as file:
        return json.load(file)


@functools.lru_cache(maxsize=None)
def load_reference_classifier(dataset="mnist"):
    """Loads the shipped reference classifier of a dataset (no network).

    The classifier is loaded once per process and shared, so callbacks and
    metrics may call this freely. Treat it as read-only.

    Args:
        dataset: `"mnist"` or `"fashion_mnist"`.

    Returns:
        A `ReferenceClassifier`.

    Raises:
        ValueError: `dataset` is not one of the two names.
        FileNotFoundError: The weights are not installed with the package.
    """
    path = weights_path(dataset)
    if not os.path.isfile(path):
        raise FileNotFoundError(_missing_message(dataset, path))
    model = build_classifier(name=f"{dataset}_classifier")
    model.load_weights(path)
    model.trainable = False
    return ReferenceClassifier(model, dataset, load_classifier_info(dataset))


def _missing_message(dataset, path):
    return (
        f"The reference classifier of {dataset!r} is not installed: {path} is "
        "missing. Install keras-gen with its package data, or train it with "
        f"`python bench/train_classifiers.py --dataset {dataset}`."
    )


def check_value_range(value_range):
    """Returns `value_range` as a `(low, high)` pair of floats, or raises."""
    try:
        low, high = (float(v) for v in value_range)
        valid = np.isfinite(low) and np.isfinite(high) and low < high
    except (TypeError, ValueError):
        valid = False
    if isinstance(value_range, (str, bytes)) or not valid:
        raise ValueError(
            "`value_range` must be a pair (low, high) of finite numbers with "
            "low < high, such as (0, 1) or (-1, 1). Received: "
            f"value_range={value_range!r}"
        )
    return low, high
