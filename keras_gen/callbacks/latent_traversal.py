"""Pictures what each latent dimension controls: one dimension varied per row."""

import numpy as np

from keras_gen.callbacks.base import ImageGridCallback
from keras_gen.callbacks.images import DEFAULT_PADDING
from keras_gen.validation import check_positive_int


class LatentTraversal(ImageGridCallback):
    """Logs a latent traversal: row `i` varies dimension `i` of one code.

    The picture of the β-VAE papers (Higgins et al. 2017): a base code,
    the prior's mean (0) by default or the encoding of `x`, is decoded with
    dimension `i` set in turn to `steps` values from `-limit` to `limit`,
    the others kept, so each row shows what that dimension alone changes.
    With a larger β the rows tend to change one factor each (slant, width,
    thickness). Rows are the first `num_dims` dimensions.

    The model needs `latent_dim` and `decode(z)` (the VAEs, the AAEs, the
    GANs); with `x`, also `encode(x)`. Outside `fit()`, `set_model()` then
    `picture()` returns the grid as a `uint8` array.

    Args:
        x: Optional input `(1, *input_shape)` (or one unbatched input) whose
            code is the base; None for the zero code.
        steps: Values per row, >= 2.
        limit: The values run from `-limit` to `limit`, > 0.
        num_dims: Rows: the first this many dimensions; None for all.
        every_n_epochs: Log a picture every this many epochs.
        value_range: `(low, high)` range of the decoder's outputs.
        padding: Pixels between tiles.
        directory: Folder for PNG files when no W&B run is active.
        sink: An `ImageSink`; cannot be combined with `directory`.
        key: Name of the picture.
    """

    title = "Each latent dimension (rows) from -limit to limit (columns)"
    required_methods = ("decode",)

    def __init__(self, x=None, steps=9, limit=3.0, num_dims=None, every_n_epochs=1,
                 value_range=(0, 1), padding=DEFAULT_PADDING, directory=None, sink=None,
                 key="latent_traversal"):
        super().__init__(key, every_n_epochs=every_n_epochs, value_range=value_range,
                         padding=padding, directory=directory, sink=sink)
        self.steps = check_positive_int(steps, "steps")
        if self.steps < 2:
            raise ValueError(f"`steps` must be at least 2. Received: steps={steps}")
        if not float(limit) > 0:
            raise ValueError(f"`limit` must be a positive number. Received: limit={limit!r}")
        self.limit = float(limit)
        self.num_dims = None if num_dims is None else check_positive_int(num_dims, "num_dims")
        self.x = None if x is None else np.asarray(x, dtype="float32")

    def codes(self, model):
        """The grid's codes, row by row, for `model.decode()`.

        Args:
            model: A model with `latent_dim` (and `encode`, with `x`).

        Returns:
            float32 NumPy array of shape `(rows * steps, latent_dim)`.
        """
        latent_dim = model.latent_dim
        base = np.zeros(latent_dim, dtype="float32")
        if self.x is not None:
            x = self.x if self.x.ndim > len(model.input_shape) else self.x[None]
            base = np.asarray(model.encode(x[:1]), dtype="float32")[0]
        rows = latent_dim if self.num_dims is None else min(self.num_dims, latent_dim)
        codes = np.repeat(base[None], rows * self.steps, axis=0)
        values = np.linspace(-self.limit, self.limit, self.steps, dtype="float32")
        for dim in range(rows):
            codes[dim * self.steps: (dim + 1) * self.steps, dim] = values
        return codes

    def make_picture(self):
        model = self._get_model()
        codes = self.codes(model)
        return self.tile(model.decode(codes), rows=len(codes) // self.steps, columns=self.steps)
