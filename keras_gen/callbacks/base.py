"""The base class of the picture callbacks."""

import keras
import numpy as np

from keras_gen.callbacks.images import (
    DEFAULT_PADDING,
    MIN_WIDTH,
    as_images,
    check_image_shape,
    check_padding,
    check_value_range,
    present,
    tile_images,
    to_uint8,
)
from keras_gen.callbacks.sink import ImageSink
from keras_gen.validation import check_positive_int


class PictureCallback(keras.callbacks.Callback):
    """Draws a picture of the model every few epochs and logs it to a sink.

    Pictures are drawn at the end of every epoch where
    `(epoch + 1) % every_n_epochs == 0`, and once more at the end of training
    if the last epoch was not one of them, so the final state is always
    pictured. They are never drawn per batch: under JAX every access to
    `Callback.model` syncs the model state from the device.

    Pictures are logged under the 1-based epoch number shown by Keras'
    progress bar (`epoch_0005.png` is the state after "Epoch 5/..."),
    enlarged to at least `min_width` pixels wide and titled with `title` and
    the epoch ("Generated images, epoch 5"): set the attributes `title`
    (None: made from `key`; "": no title) and `min_width` (None: as drawn)
    on a callback or its class to change that. `picture()` returns the
    picture as drawn.

    Subclasses implement `make_picture()`, returning a `uint8` array of shape
    `(height, width, channels)`, and may list the model methods they need in
    `required_methods`, checked when the callback is attached to a model.

    Args:
        key: Name of the picture in W&B and of its folder of PNG files.
        every_n_epochs: Draw a picture every this many epochs.
        directory: Folder for PNG files when no W&B run is active (see
            `ImageSink`). Cannot be combined with `sink`.
        sink: An `ImageSink` (or any object with a `log(key, image, epoch)`
            method). Defaults to `ImageSink(directory)`.
    """

    required_methods = ()
    title = None
    min_width = MIN_WIDTH

    def __init__(self, key, every_n_epochs=1, directory=None, sink=None):
        super().__init__()
        if not isinstance(key, str) or not key:
            raise ValueError(
                f"`key` must be a non-empty string. Received: key={key!r}"
            )
        if sink is not None and directory is not None:
            raise ValueError(
                "Pass either `sink` or `directory`, not both: the sink decides "
                f"where pictures go. Received: directory={directory!r}, "
                f"sink={sink!r}"
            )
        if sink is not None and not callable(getattr(sink, "log", None)):
            raise ValueError(
                "`sink` must have a `log(key, image, epoch)` method, like "
                f"`ImageSink`. Received: sink={sink!r}"
            )
        self.key = key
        self.every_n_epochs = check_positive_int(every_n_epochs, "every_n_epochs")
        self.sink = sink if sink is not None else ImageSink(directory)
        self._last_epoch = None
        self._last_pictured_epoch = None

    def set_model(self, model):
        self._check_model(model)
        super().set_model(model)

    def _check_model(self, model):
        missing = [
            name
            for name in self.required_methods
            if not callable(getattr(model, name, None))
        ]
        if missing:
            raise ValueError(
                f"{type(self).__name__} needs a model with the methods "
                f"{', '.join(self.required_methods)}. Received a "
                f"{type(model).__name__} without {', '.join(missing)}."
            )

    def _get_model(self):
        model = self.model
        if model is None:
            raise ValueError(
                f"{type(self).__name__} has no model yet: pass it to "
                "`model.fit(callbacks=[...])` or call `set_model(model)` first."
            )
        return model

    def on_train_begin(self, logs=None):
        self._last_epoch = None
        self._last_pictured_epoch = None

    def on_epoch_end(self, epoch, logs=None):
        self._last_epoch = epoch
        if (epoch + 1) % self.every_n_epochs == 0:
            self._log_picture(epoch)

    def on_train_end(self, logs=None):
        if self._last_epoch is not None and (
            self._last_pictured_epoch != self._last_epoch
        ):
            self._log_picture(self._last_epoch)

    def _log_picture(self, epoch):
        picture = self.presented(self.make_picture(), f"epoch {epoch + 1}")
        self.sink.log(self.key, picture, epoch=epoch + 1)
        self._last_pictured_epoch = epoch

    def presented(self, picture, when):
        """`picture` as it is logged: enlarged and titled "<title>, <when>".

        Args:
            picture: `uint8` array from `make_picture()`.
            when: When it was drawn, e.g. `"epoch 5"`.

        Returns:
            `uint8` array (see `keras_gen.callbacks.present`).
        """
        title = self.title
        if title is None:
            title = self.key.rsplit("/", 1)[-1].replace("_", " ").capitalize()
        return present(picture, f"{title}, {when}" if title else None, self.min_width)

    def picture(self):
        """Draws the picture now and returns it without logging it.

        Returns:
            `uint8` array of shape `(height, width, channels)`.
        """
        return self.make_picture()

    def make_picture(self):
        """Draws the picture; implemented by subclasses."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement `make_picture()`."
        )


class ImageGridCallback(PictureCallback):
    """A picture callback whose picture is a grid of model images.

    Holds what every image grid needs (the pixel range of the model's
    outputs, the shape of one image and the padding between tiles) and
    turns model outputs into the `uint8` grid, so all grids are drawn alike.

    Args:
        key: Name of the picture.
        every_n_epochs: Draw a picture every this many epochs.
        value_range: `(low, high)` range of the model's outputs: `(0, 1)` for
            autoencoders and VAEs, `(-1, 1)` for tanh GANs.
        image_shape: Shape of one image, needed for flat outputs whose size
            is not a perfect square (see `as_images`).
        padding: Pixels between tiles.
        directory: Folder for PNG files when no W&B run is active.
        sink: An `ImageSink`; cannot be combined with `directory`.
    """

    def __init__(
        self, key, every_n_epochs=1, value_range=(0, 1), image_shape=None,
        padding=DEFAULT_PADDING, directory=None, sink=None,
    ):
        super().__init__(key, every_n_epochs, directory=directory, sink=sink)
        self.value_range = check_value_range(value_range)
        self.image_shape = check_image_shape(image_shape)
        self.padding = check_padding(padding)

    def tile(self, outputs, rows, columns):
        """Tiles model outputs (flat or image-shaped) into one `uint8` grid.

        Args:
            outputs: Array of model outputs, one image per row.
            rows: Rows of the grid.
            columns: Images per row.

        Returns:
            `uint8` array of the whole grid.
        """
        images = as_images(np.asarray(outputs), self.image_shape)
        return tile_images(
            to_uint8(images, self.value_range),
            rows=rows,
            columns=columns,
            padding=self.padding,
        )


class FixedCodesGridCallback(ImageGridCallback):
    """An image grid decoded from fixed latent codes of the model's prior.

    The codes are drawn once, with `model.sample_prior(num_codes, seed)`,
    the first time a picture is made (unless given), and reused at every
    epoch so that pictures are comparable across epochs. Attaching another
    model brings back the given codes, or draws new ones: codes from one
    model's prior may not fit another's.

    Args:
        key: Name of the picture.
        seed: Seed passed to `model.sample_prior`.
        codes: Optional array of codes to use instead of prior samples,
            already checked by the subclass.
        **kwargs: The other arguments of `ImageGridCallback`.
    """

    required_methods = ("sample_prior", "decode")

    def __init__(self, key, seed=0, codes=None, **kwargs):
        super().__init__(key, **kwargs)
        self.seed = seed
        self._given_codes = codes
        self._codes = codes

    def set_model(self, model):
        if model is not self._model:
            # Codes from another model's prior may not fit this one.
            self._codes = self._given_codes
        super().set_model(model)

    def fixed_codes(self, model, num_codes):
        """Returns the fixed codes, drawn from `model`'s prior on first use.

        Args:
            model: The model whose `sample_prior` draws the codes.
            num_codes: Number of codes to draw.

        Returns:
            NumPy array of the codes, the same on every call.
        """
        if self._codes is None:
            self._codes = np.asarray(model.sample_prior(num_codes, seed=self.seed))
        return self._codes


def check_examples(x, name="x", min_examples=1):
    """Checks that `x` is an in-memory batch with at least `min_examples` rows.

    Args:
        x: The array to check (a NumPy array or anything `np.asarray` takes).
        name: The argument name used in the error message.
        min_examples: The smallest number of rows accepted.

    Returns:
        `x` as a NumPy array.
    """
    shape = getattr(x, "shape", None)
    if shape is None or len(shape) < 2:
        raise ValueError(
            f"`{name}` must be an array of examples of shape (num_examples, "
            f"...), e.g. a NumPy array of test images. Received: {name} of "
            f"type {type(x).__name__} with shape {shape}"
        )
    if shape[0] < min_examples:
        raise ValueError(
            f"`{name}` must have at least {min_examples} examples. Received: "
            f"{name}.shape={tuple(shape)}"
        )
    return np.asarray(x)
