"""Pictures the decoder's output over a grid of a 2-D latent space."""

import statistics

import numpy as np

from keras_gen.callbacks.base import ImageGridCallback
from keras_gen.callbacks.images import check_value_range
from keras_gen.validation import check_choice, check_positive_int

GRIDS = ("linear", "normal")
NORMAL_QUANTILES = (0.05, 0.95)


class LatentManifold(ImageGridCallback):
    """Logs the images decoded from a regular grid over a 2-D latent space.

    Two grids are available, chosen with `grid` and `latent_range`:

    - `grid="normal"` (the default when `latent_range` is None): quantiles
      5% to 95% of a standard normal in each dimension, as in the Keras VAE
      example, which suits an N(0, 1) prior.
    - `grid="linear"` (the default when `latent_range` is given): evenly
      spaced values over `latent_range`, for example `(-10, 10)` for an
      adversarial autoencoder whose prior has a standard deviation of 5.

    Columns follow the first latent dimension, increasing left to right; rows
    follow the second, decreasing top to bottom (like a plot's y axis). The
    model must have `latent_dim == 2`.

    Args:
        grid_size: Number of images along each side of the grid.
        latent_range: `(low, high)` range of both latent dimensions for a
            linear grid; must be None for `grid="normal"`.
        grid: `"linear"`, `"normal"` or None (inferred from `latent_range`).
        every_n_epochs: Log a picture every this many epochs.
        value_range: `(low, high)` range of the decoder's outputs.
        image_shape: Shape of one image, needed for flat outputs whose size
            is not a perfect square (see `as_images`).
        padding: Pixels between tiles; 0 gives one seamless manifold image.
        batch_size: Batch size passed to `model.decode`.
        directory: Folder for PNG files when no W&B run is active.
        sink: An `ImageSink`; cannot be combined with `directory`.
        key: Name of the picture.
    """

    required_methods = ("decode",)

    def __init__(
        self,
        grid_size=15,
        latent_range=None,
        grid=None,
        every_n_epochs=1,
        value_range=(0, 1),
        image_shape=None,
        padding=0,
        batch_size=None,
        directory=None,
        sink=None,
        key="latent_manifold",
    ):
        super().__init__(
            key, every_n_epochs, value_range, image_shape, padding,
            directory=directory, sink=sink,
        )
        self.grid_size = check_positive_int(grid_size, "grid_size")
        self.grid, self.latent_range = _check_grid(grid, latent_range)
        self.batch_size = batch_size

    def grid_values(self):
        """The latent values along each side of the grid, increasing."""
        if self.grid == "normal":
            low, high = NORMAL_QUANTILES
            quantiles = np.linspace(low, high, self.grid_size)
            standard_normal = statistics.NormalDist()
            return np.array([standard_normal.inv_cdf(q) for q in quantiles])
        return np.linspace(*self.latent_range, self.grid_size)

    def latent_grid(self):
        """The latent codes of the grid, row by row, shape `(grid_size**2, 2)`."""
        values = self.grid_values()
        second, first = np.meshgrid(values[::-1], values, indexing="ij")
        return np.stack([first.ravel(), second.ravel()], axis=-1).astype("float32")

    def _check_model(self, model):
        super()._check_model(model)
        latent_dim = getattr(model, "latent_dim", None)
        if latent_dim != 2:
            raise ValueError(
                "LatentManifold needs a model with a 2-D latent space "
                f"(model.latent_dim == 2). Received: latent_dim={latent_dim!r}"
            )

    def make_picture(self):
        model = self._get_model()
        self._check_model(model)
        kwargs = {} if self.batch_size is None else {"batch_size": self.batch_size}
        return self.tile(
            model.decode(self.latent_grid(), **kwargs),
            rows=self.grid_size,
            columns=self.grid_size,
        )


def _check_grid(grid, latent_range):
    if grid is None:
        grid = "normal" if latent_range is None else "linear"
    check_choice(grid, "grid", GRIDS)
    if grid == "normal" and latent_range is not None:
        raise ValueError(
            "`latent_range` only applies to grid='linear'; grid='normal' uses "
            "the 5%-95% quantiles of N(0, 1). Received: "
            f"latent_range={latent_range!r}, grid='normal'"
        )
    if grid == "linear":
        if latent_range is None:
            raise ValueError(
                "grid='linear' needs `latent_range`, for example (-10, 10). "
                "Received: latent_range=None"
            )
        latent_range = check_value_range(latent_range, "latent_range")
    return grid, latent_range
