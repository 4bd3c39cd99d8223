"""What the semi-supervised models share: their batches, checks and classifier calls.

`SemiSupervisedAdversarialAutoencoder` and `SGAN` train on the batches of
`keras_gen.data.make_semi_supervised_dataset()` (dicts of unlabelled inputs
`"x"` and labelled ones, `"x_labelled"`, `"y_labelled"`) and classify with
`model.classifier`, a Keras model from inputs to class probabilities. These
functions are their `unpack_batch`, input checks, `predict_proba` and
`classification_error`.
"""

import keras
import numpy as np

from keras_gen import priors
from keras_gen.data import SemiSupervisedBatches
from keras_gen.models.base import predict_in_batches
from keras_gen.validation import check_data, is_array_like


def unpack_semi_supervised(model, data):
    """The batch as the dict of `make_semi_supervised_dataset()`.

    Labelled data `(x, y)`, as `evaluate()` and validation get, serves as
    both the unlabelled and the labelled part.
    """
    if isinstance(data, dict):
        return data
    x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
    if y is None:
        raise ValueError(
            f"{type(model).__name__} needs labelled data here: a dataset "
            "from make_semi_supervised_dataset() for fit(), (x, y) for "
            "evaluate(). Received: no `y`"
        )
    return {"x": x, "x_labelled": x, "y_labelled": y}


def check_semi_supervised_fit_data(model, x):
    """Checks `fit()`'s `x`: the dataset of paired batches, made for this model."""
    name = type(model).__name__
    if is_array_like(x):
        raise ValueError(
            f"{name}.fit() takes a dataset that pairs unlabelled and labelled "
            "batches: build it with make_semi_supervised_dataset(x_unlabelled, "
            f"x_labelled, y_labelled). Received: x of shape {tuple(x.shape)}"
        )
    if not isinstance(x, SemiSupervisedBatches):
        return  # Another stream: its first batch is checked.
    if x.num_classes != model.num_classes:
        raise ValueError(
            f"The dataset's labels have {x.num_classes} classes but the "
            f"model has num_classes={model.num_classes}: pass "
            f"num_classes={model.num_classes} to make_semi_supervised_dataset(), "
            f"or build the model with the dataset's number of classes. Received: x={x!r}"
        )
    if tuple(x.x_unlabelled.shape[1:]) != tuple(model.input_shape):
        raise ValueError(
            f"The dataset's inputs have shape {tuple(x.x_unlabelled.shape[1:])} "
            f"but the model takes input_shape={tuple(model.input_shape)}: "
            "reshape them (e.g. x.reshape(len(x), -1) for flat vectors) "
            "before make_semi_supervised_dataset(), or build the model "
            f"with their shape. Received: x={x!r}"
        )
    if tuple(x.value_range) != tuple(model.value_range):
        raise ValueError(
            f"The dataset's inputs are in {x.value_range} but {name} takes "
            f"inputs in {model.value_range} ({model.value_range_reason}): pass "
            f"value_range={model.value_range} to make_semi_supervised_dataset() "
            f"with inputs scaled to it. Received: x={x!r}"
        )


def check_semi_supervised_batch(model, batch):
    """Checks one dict of a stream as `make_semi_supervised_dataset()` checks its arrays."""
    for key in ("x", "x_labelled"):
        if key in batch:
            model._check_batch(batch[key], key)
    if "y_labelled" in batch:
        priors.check_label_array(batch["y_labelled"], "y_labelled", model.num_classes)


def predict_proba(model, x, batch_size):
    """`model.classifier`'s class probabilities of `x`, `(num_examples, num_classes)`."""
    check_data(x, "x", model.input_shape)
    return predict_in_batches(model.classifier, x, batch_size)


def classification_error(model, x, y, batch_size):
    """The fraction of `x` whose most likely class is not its label `y`, a float in [0, 1]."""
    check_data(x, "x", model.input_shape)
    labels = priors.check_label_array(y, "y", model.num_classes, len(x))
    predictions = np.argmax(predict_proba(model, x, batch_size), axis=-1)
    return float(np.mean(predictions != labels))
