"""Argument and data checks shared by every model and callback.

Every check raises `ValueError` with a message that names the argument, what was
expected and what was received, so that bad input fails loudly before any work
is done instead of producing a silent wrong result (for example NaN losses).
"""

import numbers

import numpy as np


def check_positive_int(value, name):
    """Checks that `value` is an integer greater than zero.

    Args:
        value: The value to check.
        name: The argument name used in the error message.

    Returns:
        The value as a Python `int`.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(
            f"`{name}` must be a positive integer. Received: {name}={value!r}"
        )
    if value <= 0:
        raise ValueError(
            f"`{name}` must be a positive integer. Received: {name}={value}"
        )
    return int(value)


def check_non_negative_float(value, name, upper=None):
    """Checks that `value` is a finite number >= 0 (and < `upper` if given).

    Args:
        value: The value to check.
        name: The argument name used in the error message.
        upper: Optional exclusive upper bound.

    Returns:
        The value as a Python `float`.
    """
    bound = f" and below {upper}" if upper is not None else ""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(
            f"`{name}` must be a number >= 0{bound}. Received: {name}={value!r}"
        )
    value = float(value)
    if not np.isfinite(value) or value < 0 or (upper is not None and value >= upper):
        raise ValueError(
            f"`{name}` must be a number >= 0{bound}. Received: {name}={value}"
        )
    return value


def check_choice(value, name, choices):
    """Checks that `value` is one of `choices`.

    Args:
        value: The value to check.
        name: The argument name used in the error message.
        choices: The allowed values.

    Returns:
        The value, unchanged.
    """
    if value not in choices:
        raise ValueError(
            f"`{name}` must be one of {sorted(choices)}. Received: {name}={value!r}"
        )
    return value


def check_shape(shape, name):
    """Checks that `shape` is a non-empty tuple of positive integers.

    Args:
        shape: The shape to check, for example `(784,)` or `(28, 28, 1)`.
        name: The argument name used in the error message.

    Returns:
        The shape as a tuple of Python ints.
    """
    if isinstance(shape, numbers.Integral) and not isinstance(shape, bool):
        shape = (shape,)
    try:
        dims = tuple(shape)
    except TypeError:
        dims = None
    if not dims or not all(
        isinstance(d, numbers.Integral) and not isinstance(d, bool) and d > 0
        for d in dims
    ):
        raise ValueError(
            f"`{name}` must be a tuple of positive integers such as (784,) or "
            f"(28, 28, 1). Received: {name}={shape!r}"
        )
    return tuple(int(d) for d in dims)


def is_array_like(x):
    """Whether `x` is an in-memory array that can be checked cheaply."""
    return hasattr(x, "shape") and hasattr(x, "dtype") and hasattr(x, "__array__")


def check_data(x, name, expected_shape, check_values=True):
    """Checks an in-memory batch of model inputs.

    Rejects a wrong rank or trailing shape, a non-floating dtype (raw `uint8`
    pixels must be scaled first) and, when `check_values` is set, any NaN or
    infinity, which would otherwise train into NaN losses.

    Args:
        x: A NumPy array or backend tensor whose first axis is the batch.
        name: The argument name used in the error message.
        expected_shape: The shape of one example, without the batch axis.
        check_values: Whether to scan the values for NaN and infinity.

    Returns:
        `x`, unchanged.
    """
    expected_shape = tuple(expected_shape)
    shape = tuple(x.shape)
    if len(shape) >= 1 and shape[0] == 0:
        raise ValueError(
            f"`{name}` must contain at least one example. Received: "
            f"{name}.shape={shape}"
        )
    if shape[1:] != expected_shape:
        raise ValueError(
            f"`{name}` must have shape (batch_size, "
            f"{', '.join(str(d) for d in expected_shape)}), one example of shape "
            f"{expected_shape} per row. Received: {name}.shape={shape}"
        )
    dtype = np.dtype(getattr(x.dtype, "as_numpy_dtype", x.dtype))
    if not np.issubdtype(dtype, np.floating):
        raise ValueError(
            f"`{name}` must be a floating-point array (scale raw pixels to "
            f"[0, 1] first, e.g. with keras_gen.data). Received: "
            f"{name}.dtype={dtype}"
        )
    if check_values:
        values = np.asarray(x)
        if not np.isfinite(values).all():
            bad = np.argwhere(~np.isfinite(values.reshape(len(values), -1)))
            row = int(bad[0, 0])
            raise ValueError(
                f"`{name}` must contain only finite values. Received: {name} "
                f"with {len(bad)} NaN or infinite entries (first in row {row})"
            )
    return x


def check_positive_float(value, name):
    """Checks that `value` is a finite number > 0 and returns it as a float."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not np.isfinite(value)
        or value <= 0
    ):
        raise ValueError(
            f"`{name}` must be a positive number. Received: {name}={value!r}"
        )
    return float(value)


def check_units(units, name):
    """Checks a non-empty sequence of positive layer sizes.

    Args:
        units: The layer sizes, e.g. `(512, 256)`.
        name: The argument name used in the error message.

    Returns:
        The sizes as a tuple of Python ints.
    """
    iterable = not isinstance(units, (str, bytes)) and hasattr(units, "__iter__")
    if iterable:
        units = tuple(units)
    if not iterable or not units or any(
        isinstance(size, bool) or not isinstance(size, numbers.Integral) or size <= 0
        for size in units
    ):
        raise ValueError(
            f"`{name}` must be a non-empty sequence of positive integers. "
            f"Received: {name}={units!r}"
        )
    return tuple(int(size) for size in units)


def check_num_classes(num_classes, name="num_classes"):
    """Checks a number of classes, at least 2."""
    num_classes = check_positive_int(num_classes, name)
    if num_classes < 2:
        raise ValueError(
            f"`{name}` must be at least 2. Received: {name}={num_classes}"
        )
    return num_classes


def check_value_range(x, name, value_range, reason):
    """Checks that in-memory data lies in `value_range`, as the model needs.

    Data for a tanh output (`(-1, 1)`) whose values run from exactly 0 to at
    most 1 is refused too: it is almost surely pixels scaled to [0, 1].

    Args:
        x: A NumPy array or tensor.
        name: The argument name used in the error message.
        value_range: `(low, high)`, `(0, 1)` or `(-1, 1)`.
        reason: Why the model needs that range, e.g. "the decoder ends in a
            sigmoid".

    Returns:
        `x`, unchanged.
    """
    low, high = (float(bound) for bound in value_range)
    values = np.asarray(x)
    seen_low, seen_high = float(values.min()), float(values.max())
    # Pixels scaled to [0, 1] (black is exactly 0) where [-1, 1] is needed.
    looks_unit = low < 0 and seen_low == 0 and seen_high <= 1
    if seen_low < low or seen_high > high or looks_unit:
        if low == 0:
            fix = "`x / 255`"
        else:
            fix = "`x / 127.5 - 1` (or `2 * x - 1` for data in [0, 1])"
        raise ValueError(
            f"`{name}` must hold values in [{low:g}, {high:g}]: {reason}. Scale "
            f"raw 0-255 pixels with {fix}, or load them with keras_gen.data."
            f"load_dataset(value_range=({low:g}, {high:g})). Received: {name} "
            f"with values from {seen_low:g} to {seen_high:g}"
        )
    return x
