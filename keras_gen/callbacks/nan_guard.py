"""`StopOnNaN`: end training with an error at the first non-finite loss."""

import math

import keras


class NonFiniteLossError(FloatingPointError):
    """Raised by `StopOnNaN` when a loss or metric becomes NaN or infinite."""


class StopOnNaN(keras.callbacks.Callback):
    """Raises `NonFiniteLossError` at the first batch whose logs are not finite.

    `keras.callbacks.TerminateOnNaN` stops quietly and `fit()` returns as if
    training had ended; this raises an error naming the value, the epoch and
    the batch, and the usual causes. keras-gen models add it to every
    `fit()`; pass `stop_on_nan=False` to `fit()` to train on regardless.

    The logs are running means over the epoch, so the first batch they turn
    non-finite is the batch where it happened.
    """

    def __init__(self):
        super().__init__()
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        found = first_non_finite(logs)
        if found is not None:
            name, value = found
            raise NonFiniteLossError(
                f"`{name}` became {value} in epoch {self._epoch + 1}, batch "
                f"{batch + 1}: training stopped. Usual causes: inputs out of "
                "the model's range (raw 0-255 pixels; [0, 1] for the "
                "autoencoders, [-1, 1] for the GANs) or holding NaN, a "
                "learning rate too high, or a loss that needs a small "
                "epsilon. Fix the cause, or pass stop_on_nan=False to fit() "
                "to train on regardless."
            )


def first_non_finite(logs):
    """The first `(name, value)` of Keras `logs` that is NaN or infinite, or None.

    Entries that are not single numbers are skipped. Reads any backend's
    tensors.
    """
    for name, value in (logs or {}).items():
        try:
            value = float(keras.ops.convert_to_numpy(value))
        except (TypeError, ValueError):
            continue  # Not a scalar: nothing to judge.
        if not math.isfinite(value):
            return name, value
    return None
