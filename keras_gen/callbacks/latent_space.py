"""Pictures the encoded examples as a scatter plot of the latent space."""

import numpy as np

from keras_gen.callbacks.base import PictureCallback, check_examples
from keras_gen.callbacks.images import check_figure_size, figure_to_array
from keras_gen.validation import check_choice, check_positive_int

PROJECTIONS = ("pca", "first_two")
# The progress bar only appears for at least this many batches, and only
# once encoding has taken this long: a bar for a fast encode is just noise in
# the middle of Keras' own progress output.
PROGRESS_BAR_MIN_BATCHES = 10
PROGRESS_BAR_DELAY_SECONDS = 1.0
MAX_DISCRETE_CLASSES = 10


class LatentSpacePlot(PictureCallback):
    """Logs a scatter plot of the encoded examples, colored by label.

    A 2-D latent space is plotted as is. A larger one is projected to two
    dimensions with `projection`:

    - `"pca"`: the first two principal components of the encoded points
      (computed with NumPy's SVD each time, with the sign of each component
      fixed so that its largest coefficient is positive, so the plot does not
      flip at random).
    - `"first_two"`: the first two latent dimensions.

    For a VAE, `model.encode` gives the latent means. Encoding runs in
    batches of `batch_size`, with a progress bar when there are many (at
    least 10 batches, taking over a second).

    Args:
        x: Array of inputs to encode, shape `(num_examples, *input_shape)`.
        y: Optional labels, one per example (integers or numbers), shape
            `(num_examples,)` (or `(num_examples, 1)`), used for
            the colors. Integer labels with at most 10 classes get one color
            each; other labels a continuous color bar.
        projection: `"pca"` or `"first_two"`; ignored when `latent_dim == 2`.
        batch_size: Examples per call to `model.encode`.
        every_n_epochs: Log a picture every this many epochs.
        figure_size: `(width, height)` of the figure in inches.
        dpi: Pixels per inch; the picture is `figure_size * dpi` pixels.
        directory: Folder for PNG files when no W&B run is active.
        sink: An `ImageSink`; cannot be combined with `directory`.
        key: Name of the picture.
    """

    required_methods = ("encode",)

    def __init__(
        self,
        x,
        y=None,
        projection="pca",
        batch_size=256,
        every_n_epochs=1,
        figure_size=(6, 5),
        dpi=100,
        directory=None,
        sink=None,
        key="latent_space",
    ):
        super().__init__(key, every_n_epochs, directory=directory, sink=sink)
        self.x = check_examples(x, "x")
        self.y = _check_labels(y, len(self.x))
        self.projection = check_choice(projection, "projection", PROJECTIONS)
        self.batch_size = check_positive_int(batch_size, "batch_size")
        self.figure_size = check_figure_size(figure_size)
        self.dpi = check_positive_int(dpi, "dpi")

    def encode(self):
        """Encodes `x` in batches and returns the latent codes.

        Returns:
            NumPy array of the codes `model.encode` gives, concatenated:
            shape `(num_examples, latent_dim)` for the models here.
        """
        from tqdm.auto import tqdm

        model = self._get_model()
        starts = range(0, len(self.x), self.batch_size)
        batches = tqdm(
            starts,
            desc=f"{self.key}: encoding",
            unit="batch",
            leave=False,
            delay=PROGRESS_BAR_DELAY_SECONDS,
            disable=len(starts) < PROGRESS_BAR_MIN_BATCHES,
        )
        codes = [
            np.asarray(
                model.encode(
                    self.x[start : start + self.batch_size],
                    batch_size=self.batch_size,
                )
            )
            for start in batches
        ]
        return np.concatenate(codes)

    def make_picture(self):
        codes = self.encode()
        if codes.ndim != 2 or codes.shape[1] < 2:
            raise ValueError(
                "LatentSpacePlot needs latent codes of shape (num_examples, "
                f"latent_dim) with latent_dim >= 2. Received: codes.shape="
                f"{codes.shape}"
            )
        # A diverged model's NaN codes would break the SVD; plot the rest.
        finite = np.isfinite(codes).all(axis=1)
        labels = None if self.y is None else self.y[finite]
        points, axis_labels = project(codes[finite], self.projection)
        return figure_to_array(self._scatter(points, labels, axis_labels))

    def _scatter(self, points, labels, axis_labels):
        from matplotlib.figure import Figure

        figure = Figure(figsize=self.figure_size, dpi=self.dpi)
        axes = figure.add_subplot()
        if labels is None or len(labels) == 0:
            axes.scatter(points[:, 0], points[:, 1], s=4, alpha=0.6)
        else:
            _scatter_by_label(figure, axes, points, labels)
        axes.set_xlabel(axis_labels[0])
        axes.set_ylabel(axis_labels[1])
        figure.tight_layout()
        return figure


def project(codes, projection="pca"):
    """Projects latent codes to 2-D.

    Args:
        codes: Array of shape `(num_examples, latent_dim)`, `latent_dim >= 2`.
        projection: `"pca"` or `"first_two"`; codes with `latent_dim == 2`
            are returned as they are.

    Returns:
        A tuple `(points, axis_labels)`: the `(num_examples, 2)` points and
        the names of their two axes.
    """
    check_choice(projection, "projection", PROJECTIONS)
    codes = np.asarray(codes, dtype="float64")
    if codes.shape[1] == 2 or projection == "first_two" or len(codes) < 2:
        return codes[:, :2], ("z[0]", "z[1]")
    centered = codes - codes.mean(axis=0)
    _, singular_values, components = np.linalg.svd(centered, full_matrices=False)
    components = components[:2]
    # SVD signs are arbitrary; fix them so the plot does not mirror between
    # epochs for no reason.
    largest = np.argmax(np.abs(components), axis=1)
    components *= np.sign(components[np.arange(2), largest])[:, np.newaxis]
    variance = singular_values**2
    share = variance[:2] / max(variance.sum(), np.finfo("float64").tiny)
    axis_labels = tuple(
        f"PCA component {i + 1} ({100 * share[i]:.0f}% of variance)"
        for i in range(2)
    )
    return centered @ components.T, axis_labels


def _scatter_by_label(figure, axes, points, labels):
    import matplotlib
    from matplotlib.colors import BoundaryNorm

    classes = np.unique(labels)
    if np.issubdtype(labels.dtype, np.integer) and len(classes) <= MAX_DISCRETE_CLASSES:
        indices = np.searchsorted(classes, labels)
        colormap = matplotlib.colormaps["tab10"].resampled(len(classes))
        norm = BoundaryNorm(np.arange(len(classes) + 1) - 0.5, len(classes))
        scatter = axes.scatter(
            points[:, 0], points[:, 1], c=indices, cmap=colormap, norm=norm,
            s=4, alpha=0.8,
        )
        colorbar = figure.colorbar(scatter, ax=axes, ticks=np.arange(len(classes)))
        colorbar.set_ticklabels([str(c) for c in classes])
    else:
        scatter = axes.scatter(
            points[:, 0], points[:, 1], c=labels, cmap="viridis", s=4, alpha=0.8
        )
        colorbar = figure.colorbar(scatter, ax=axes)
    colorbar.set_label("label")


def _check_labels(y, num_examples):
    if y is None:
        return None
    labels = np.asarray(y)
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.shape != (num_examples,) or not (
        np.issubdtype(labels.dtype, np.integer)
        or np.issubdtype(labels.dtype, np.floating)
        or labels.dtype == bool
    ):
        raise ValueError(
            f"`y` must hold one numeric label per example of `x`, shape "
            f"({num_examples},); for one-hot labels pass y.argmax(axis=1). "
            f"Received: y.shape={labels.shape}, y.dtype={labels.dtype}"
        )
    if labels.dtype == bool:
        labels = labels.astype("int64")
    return labels
