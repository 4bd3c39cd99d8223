"""Pictures fixed styles drawn as every class: what the code holds besides the label."""

import numpy as np

from keras_gen.callbacks.base import FixedCodesGridCallback
from keras_gen.callbacks.images import DEFAULT_PADDING
from keras_gen.validation import check_data, check_positive_int


class StyleGrid(FixedCodesGridCallback):
    """Logs a grid with one style code per row and one class per column.

    Row `i` decodes the same style code `z_i` with each label `0, 1, ...,
    num_classes - 1` in turn, so a row shows one handwriting style as every
    digit (as in Makhzani et al.'s supervised AAE) when the model has
    learned to keep the label out of the code. The codes are drawn once
    from the model's prior with `seed` (or given as `codes`) and reused at
    every epoch.

    The model needs `num_classes`, `sample_prior(num_samples, seed)` and
    `decode(z, labels=...)`, like `SupervisedAdversarialAutoencoder` and
    `SemiSupervisedAdversarialAutoencoder`. Outside `fit()`, `set_model()`
    then `picture()` returns the grid as a `uint8` array.

    ```python
    grid = StyleGrid(num_rows=8)
    grid.set_model(model)
    image = grid.picture()  # uint8, (8 * 30 - 2, 10 * 30 - 2, 1) for MNIST
    ```

    Args:
        num_rows: Number of style codes (rows) drawn from the prior.
        codes: Optional array of style codes `(num_rows, latent_dim)` to use
            instead, for example `model.encode(x_test[:8])`, the styles of
            real digits.
        every_n_epochs: Log a picture every this many epochs.
        seed: Seed passed to `model.sample_prior`.
        value_range: `(low, high)` range of the decoder's outputs.
        image_shape: Shape of one image, needed for flat outputs whose size
            is not a perfect square (see `as_images`).
        padding: Pixels between tiles.
        directory: Folder for PNG files when no W&B run is active.
        sink: An `ImageSink`; cannot be combined with `directory`.
        key: Name of the picture.
        classes_in_rows: If True, the grid is transposed: a row per class,
            a column per style code.
    """

    title = "Fixed styles (rows) decoded as each class (columns)"

    def __init__(
        self,
        num_rows=10,
        codes=None,
        every_n_epochs=1,
        seed=0,
        value_range=(0, 1),
        image_shape=None,
        padding=DEFAULT_PADDING,
        directory=None,
        sink=None,
        key="style_grid",
        classes_in_rows=False,
    ):
        num_rows = check_positive_int(num_rows, "num_rows")
        if codes is not None:
            codes = np.asarray(codes, dtype="float32")
            if codes.ndim != 2:
                raise ValueError(
                    "`codes` must be an array of style codes of shape "
                    f"(num_rows, latent_dim). Received: codes.shape={codes.shape}"
                )
            check_data(codes, "codes", codes.shape[1:])
            num_rows = len(codes)
        super().__init__(
            key, seed=seed, codes=codes, every_n_epochs=every_n_epochs,
            value_range=value_range, image_shape=image_shape, padding=padding,
            directory=directory, sink=sink,
        )
        self.num_rows = num_rows
        self.classes_in_rows = bool(classes_in_rows)
        if self.classes_in_rows:
            self.title = "Each class (rows) drawn in fixed styles (columns)"

    @property
    def codes(self):
        """The style codes of the rows, or None before the first picture."""
        return self._codes

    def _check_model(self, model):
        super()._check_model(model)
        num_classes = getattr(model, "num_classes", None)
        if not isinstance(num_classes, int) or num_classes < 1:
            raise ValueError(
                "StyleGrid needs a model whose decoder takes a class label, "
                "with a `num_classes` attribute (a supervised or "
                "semi-supervised adversarial autoencoder). Received a "
                f"{type(model).__name__} with num_classes={num_classes!r}"
            )

    def make_picture(self):
        model = self._get_model()
        self._check_model(model)
        num_classes = model.num_classes
        styles = self.fixed_codes(model, self.num_rows)
        if self.classes_in_rows:  # Row k: every style drawn as class k.
            codes = np.tile(styles, (num_classes, 1))
            labels = np.repeat(np.arange(num_classes), self.num_rows)
            rows, columns = num_classes, self.num_rows
        else:  # Row i: style i drawn as each class.
            codes = np.repeat(styles, num_classes, axis=0)
            labels = np.tile(np.arange(num_classes), self.num_rows)
            rows, columns = self.num_rows, num_classes
        return self.tile(model.decode(codes, labels=labels), rows=rows, columns=columns)
