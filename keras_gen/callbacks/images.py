"""Small NumPy and matplotlib helpers that turn model outputs into pictures.

Every picture callback goes through the same path: model output ->
`as_images` -> `to_uint8` -> `tile_images` (or a matplotlib figure ->
`figure_to_array`) -> `ImageSink.log`. Converting to `uint8` ourselves matters:
`wandb.Image` casts float arrays straight to `uint8`, so pixels in [0, 1] would
come out black.
"""

import math
import numbers
import sys

import numpy as np

from keras_gen.validation import check_positive_int, check_shape

DEFAULT_PADDING = 2
DEFAULT_PAD_VALUE = 255


def check_value_range(value_range, name="value_range"):
    """Checks a `(low, high)` pair of finite numbers with `low < high`.

    Args:
        value_range: The pair to check, for example `(0, 1)` or `(-1, 1)`.
        name: The argument name used in the error message.

    Returns:
        The pair as a tuple of two Python floats.
    """
    try:
        low, high = value_range
        valid = all(
            isinstance(v, numbers.Real) and not isinstance(v, bool)
            for v in (low, high)
        ) and math.isfinite(low) and math.isfinite(high) and low < high
    except (TypeError, ValueError):
        valid = False
    if not valid:
        raise ValueError(
            f"`{name}` must be a pair of finite numbers (low, high) with "
            f"low < high, such as (0, 1) or (-1, 1). Received: "
            f"{name}={value_range!r}"
        )
    return float(low), float(high)


def to_uint8(images, value_range=(0, 1)):
    """Maps pixel values in `value_range` linearly to `uint8` 0..255.

    Values outside the range are clipped, `low` maps to 0 and `high` to 255,
    and the result is rounded to the nearest integer (halves to even, so the
    middle of the range, 127.5, always gives 128). NaN becomes 0 (black) so a
    diverged model shows up as black tiles rather than garbage. Arrays that
    are already `uint8` are returned unchanged.

    Args:
        images: Array of any shape holding pixel values.
        value_range: `(low, high)` range of the model's outputs: `(0, 1)` for
            autoencoders and VAEs, `(-1, 1)` for tanh GAN generators.

    Returns:
        A `uint8` NumPy array with the shape of `images`.
    """
    low, high = check_value_range(value_range)
    images = np.asarray(images)
    if images.dtype == np.uint8:
        return images
    scaled = (images.astype("float64") - low) * (255.0 / (high - low))
    scaled = np.nan_to_num(scaled, nan=0.0, posinf=255.0, neginf=0.0)
    return np.rint(np.clip(scaled, 0.0, 255.0)).astype(np.uint8)


def as_images(x, image_shape=None):
    """Reshapes a batch of model inputs or outputs to `(n, height, width, channels)`.

    Args:
        x: Array of shape `(n, d)` (flat vectors), `(n, height, width)` or
            `(n, height, width, channels)` with 1 or 3 channels.
        image_shape: Optional `(height, width)` or `(height, width, channels)`
            to reshape each example to. Required for flat vectors whose size
            is not a perfect square (for example flattened RGB images);
            otherwise a flat `d = s * s` is read as an `s x s` grayscale image.

    Returns:
        NumPy array of shape `(n, height, width, channels)`.
    """
    x = np.asarray(x)
    if x.ndim < 2:
        raise ValueError(
            "`x` must be a batch of examples with shape (n, d), (n, height, "
            f"width) or (n, height, width, channels). Received: x.shape={x.shape}"
        )
    if image_shape is not None:
        return _reshape_to(x, check_image_shape(image_shape))
    if x.ndim == 2:
        side = math.isqrt(x.shape[1])
        if side * side != x.shape[1]:
            raise ValueError(
                f"Cannot infer the image shape of flat vectors of size "
                f"{x.shape[1]}, which is not a perfect square: pass "
                f"`image_shape`, for example (32, 32, 3). Received: "
                f"x.shape={x.shape}"
            )
        return x.reshape(len(x), side, side, 1)
    if x.ndim == 3:
        return x[..., np.newaxis]
    if x.ndim == 4 and x.shape[-1] in (1, 3):
        return x
    raise ValueError(
        "`x` must have shape (n, d), (n, height, width) or (n, height, width, "
        f"channels) with 1 or 3 channels. Received: x.shape={x.shape}"
    )


def check_image_shape(image_shape):
    """Checks an image shape `(height, width)` or `(height, width, channels)`.

    Args:
        image_shape: The shape to check, or None.

    Returns:
        None, or the shape as `(height, width, channels)` with 1 or 3 channels.
    """
    if image_shape is None:
        return None
    shape = check_shape(image_shape, "image_shape")
    if len(shape) == 2:
        shape = shape + (1,)
    if len(shape) != 3 or shape[-1] not in (1, 3):
        raise ValueError(
            "`image_shape` must be (height, width) or (height, width, "
            f"channels) with 1 or 3 channels. Received: image_shape={image_shape!r}"
        )
    return shape


def check_padding(padding):
    """Checks that `padding` is an integer >= 0 and returns it as an `int`."""
    if isinstance(padding, bool) or not isinstance(padding, numbers.Integral) or (
        padding < 0
    ):
        raise ValueError(
            f"`padding` must be an integer >= 0. Received: padding={padding!r}"
        )
    return int(padding)


def _reshape_to(x, image_shape):
    if math.prod(x.shape[1:]) != math.prod(image_shape):
        raise ValueError(
            f"`image_shape` {image_shape} does not match the size of one "
            f"example of `x`. Received: x.shape={x.shape}"
        )
    return x.reshape((len(x),) + image_shape)


def check_figure_size(figure_size):
    """Checks a matplotlib `(width, height)` in inches; returns two floats."""
    try:
        width, height = figure_size
        valid = all(
            isinstance(v, numbers.Real) and not isinstance(v, bool) and v > 0
            for v in (width, height)
        )
    except (TypeError, ValueError):
        valid = False
    if not valid:
        raise ValueError(
            "`figure_size` must be a pair of positive numbers (width, height) "
            f"in inches. Received: figure_size={figure_size!r}"
        )
    return float(width), float(height)


def tile_images(
    images, rows, columns, padding=DEFAULT_PADDING, pad_value=DEFAULT_PAD_VALUE
):
    """Tiles a batch of images into one grid, row by row.

    Args:
        images: `uint8` array of shape `(n, height, width, channels)` (or
            `(n, height, width)`) with `n <= rows * columns`; missing cells are
            filled with `pad_value`.
        rows: Number of grid rows.
        columns: Number of grid columns.
        padding: Pixels between neighbouring tiles (none around the border).
        pad_value: `uint8` value of the padding; 255 (white) separates the
            black backgrounds of MNIST-like digits.

    Returns:
        `uint8` array of shape `(rows * height + (rows - 1) * padding,
        columns * width + (columns - 1) * padding, channels)`.
    """
    rows = check_positive_int(rows, "rows")
    columns = check_positive_int(columns, "columns")
    padding = check_padding(padding)
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[..., np.newaxis]
    if images.dtype != np.uint8 or images.ndim != 4:
        raise ValueError(
            "`images` must be a uint8 array of shape (n, height, width, "
            "channels); convert pixel values with `to_uint8` first. Received: "
            f"images.shape={images.shape}, images.dtype={images.dtype}"
        )
    if len(images) > rows * columns:
        raise ValueError(
            f"{len(images)} images do not fit in a grid of rows={rows} x "
            f"columns={columns}."
        )
    _, height, width, channels = images.shape
    step_y, step_x = height + padding, width + padding
    grid = np.full(
        (rows * step_y - padding, columns * step_x - padding, channels),
        pad_value,
        dtype=np.uint8,
    )
    for index, image in enumerate(images):
        top, left = (index // columns) * step_y, (index % columns) * step_x
        grid[top : top + height, left : left + width] = image
    return grid


def figure_to_array(figure):
    """Renders a matplotlib figure to a `uint8` RGB array and closes it.

    The figure is drawn on an Agg canvas whatever the active backend, so this
    works without a display and gives exactly `figsize * dpi` pixels.

    Args:
        figure: A `matplotlib.figure.Figure`.

    Returns:
        `uint8` array of shape `(height, width, 3)`.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    array = np.asarray(canvas.buffer_rgba())[..., :3].copy()
    # Only figures made through pyplot are registered with it; importing
    # pyplot here just to close a plain `Figure` would pick a GUI backend.
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close(figure)
    return array


TITLE_HEIGHT = 30
# Narrower pictures are enlarged to at least this width when logged.
MIN_WIDTH = 400


def present(image, title=None, min_width=MIN_WIDTH):
    """A picture as it is shown: scaled up to a readable width and titled.

    The image is enlarged by a whole factor (nearest neighbour, so every
    pixel stays a sharp square) until it is at least `min_width` pixels wide,
    and `title` is written in a white band above it.

    Args:
        image: `uint8` array of shape `(height, width)` or
            `(height, width, channels)` with 1 or 3 channels.
        title: Text above the picture, or None (or "") for none.
        min_width: Smallest width of the result in pixels, or None to keep
            the size.

    Returns:
        `uint8` array: `(height * k + band, width * k, 3)` with a title, else
        `image` scaled by `k`.
    """
    image = np.asarray(image)
    if image.ndim == 2:
        image = image[..., np.newaxis]
    if min_width:
        factor = max(1, math.ceil(check_positive_int(min_width, "min_width")
                                  / image.shape[1]))
        image = image.repeat(factor, axis=0).repeat(factor, axis=1)
    if not title:
        return image
    if image.shape[-1] == 1:
        image = image.repeat(3, axis=-1)
    return np.concatenate([_title_band(str(title), image.shape[1]), image])


def _title_band(title, width):
    """A white `(TITLE_HEIGHT, width, 3)` band with `title` centred in black."""
    from matplotlib.figure import Figure

    dpi = 100
    figure = Figure(figsize=(width / dpi, TITLE_HEIGHT / dpi), dpi=dpi)
    figure.text(0.5, 0.5, title, ha="center", va="center", fontsize=11)
    return figure_to_array(figure)
