"""Pictures a fixed batch of inputs next to the model's reconstructions."""

import numpy as np

from keras_gen.callbacks.base import ImageGridCallback, check_examples
from keras_gen.callbacks.images import DEFAULT_PADDING, as_images
from keras_gen.validation import check_positive_int


class ReconstructionLogger(ImageGridCallback):
    """Logs inputs (top row) above their reconstructions (bottom row).

    The same first `num_images` examples of `x` are used at every epoch, so
    the pictures show how the reconstructions improve.

    Example:

    ```python
    model.fit(
        x_train, x_train, epochs=10,
        callbacks=[ReconstructionLogger(x_test, num_images=10)],
    )
    ```

    Args:
        x: Array of test inputs, flat `(n, d)` or images `(n, h, w, c)`,
            with at least `num_images` examples.
        num_images: Number of examples to show.
        every_n_epochs: Log a picture every this many epochs.
        value_range: `(low, high)` pixel range of the inputs and of the
            model's outputs: `(0, 1)` for autoencoders, `(-1, 1)` for tanh.
        image_shape: Shape of one image, needed for flat inputs whose size is
            not a perfect square (see `as_images`).
        padding: Pixels between tiles.
        directory: Folder for PNG files when no W&B run is active.
        sink: An `ImageSink`; cannot be combined with `directory`.
        key: Name of the picture.
    """

    required_methods = ("reconstruct",)

    title = "Test images (top) and their reconstructions"

    def __init__(
        self,
        x,
        num_images=10,
        every_n_epochs=1,
        value_range=(0, 1),
        image_shape=None,
        padding=DEFAULT_PADDING,
        directory=None,
        sink=None,
        key="reconstructions",
    ):
        super().__init__(
            key, every_n_epochs, value_range, image_shape, padding,
            directory=directory, sink=sink,
        )
        self.num_images = check_positive_int(num_images, "num_images")
        self.x = np.array(check_examples(x, "x", self.num_images)[: self.num_images])
        # Fail now, not after the first epoch, if x cannot be drawn.
        as_images(self.x, image_shape)

    def make_picture(self):
        reconstructions = np.asarray(self._get_model().reconstruct(self.x))
        if reconstructions.shape != self.x.shape:
            raise ValueError(
                "`model.reconstruct(x)` must return an array shaped like x. "
                f"Received: shape {reconstructions.shape} for x.shape="
                f"{self.x.shape}"
            )
        images = np.concatenate(
            [
                as_images(self.x, self.image_shape),
                as_images(reconstructions, self.image_shape),
            ]
        )
        return self.tile(images, rows=2, columns=self.num_images)
