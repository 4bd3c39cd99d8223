"""Pictures the per-epoch losses as line plots."""

import warnings

import numpy as np

from keras_gen.callbacks.base import PictureCallback
from keras_gen.callbacks.images import check_figure_size, figure_to_array
from keras_gen.validation import check_positive_int


class LossCurves(PictureCallback):
    """Logs a line plot of the per-epoch metrics of the current `fit()`.

    Values are collected from the `logs` of every epoch (not only the
    pictured ones) and reset when training begins, like Keras' `History`.

    Args:
        keys: Names of the metrics to plot, e.g. `["d_loss", "g_loss"]`.
            Defaults to every metric whose name ends in `"loss"` (`loss` and
            `val_loss` for an autoencoder, `d_loss` and `g_loss` for a GAN).
        every_n_epochs: Log a picture every this many epochs.
        log_scale: Whether to use a logarithmic y axis (only sensible for
            positive losses; WGAN critics, for one, go negative).
        figure_size: `(width, height)` of the figure in inches.
        dpi: Pixels per inch; the picture is `figure_size * dpi` pixels.
        directory: Folder for PNG files when no W&B run is active.
        sink: An `ImageSink`; cannot be combined with `directory`.
        key: Name of the picture.
    """

    def __init__(
        self,
        keys=None,
        every_n_epochs=1,
        log_scale=False,
        figure_size=(6, 4),
        dpi=100,
        directory=None,
        sink=None,
        key="loss_curves",
    ):
        super().__init__(key, every_n_epochs, directory=directory, sink=sink)
        self.keys = _check_keys(keys)
        self.log_scale = bool(log_scale)
        self.figure_size = check_figure_size(figure_size)
        self.dpi = check_positive_int(dpi, "dpi")
        self.history = {}
        self.epochs = []
        self._warned_missing = False

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        self.history = {}
        self.epochs = []
        self._warned_missing = False

    def on_epoch_end(self, epoch, logs=None):
        self._record(epoch, logs or {})
        super().on_epoch_end(epoch, logs)

    def _record(self, epoch, logs):
        self.epochs.append(epoch + 1)
        names = self.keys or [name for name in logs if name.endswith("loss")]
        missing = [name for name in names if name not in logs]
        if missing and not self._warned_missing:
            warnings.warn(
                f"LossCurves: {missing} not in the epoch logs (available: "
                f"{sorted(logs)}); they are left out of the plot.",
                stacklevel=2,
            )
            self._warned_missing = True
        for name in names:
            # Epochs without a value stay NaN so every curve lines up.
            values = self.history.setdefault(name, [np.nan] * (len(self.epochs) - 1))
            values.append(float(logs[name]) if name in logs else np.nan)
        for name, values in self.history.items():
            if len(values) < len(self.epochs):
                values.append(np.nan)

    def make_picture(self):
        from matplotlib.figure import Figure
        from matplotlib.ticker import MaxNLocator

        figure = Figure(figsize=self.figure_size, dpi=self.dpi)
        axes = figure.add_subplot()
        for name, values in self.history.items():
            if not np.isnan(values).all():
                axes.plot(self.epochs, values, marker="o", markersize=3, label=name)
        if axes.lines:
            # Outside the axes, on the right: it never covers a curve.
            axes.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0),
                        borderaxespad=0.0, fontsize="small")
        else:
            axes.text(0.5, 0.5, "no losses yet", ha="center", va="center")
        if self.log_scale:
            axes.set_yscale("log")
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_xlabel("epoch")
        axes.set_ylabel("value")
        axes.grid(alpha=0.3)
        figure.tight_layout()
        return figure_to_array(figure)


def _check_keys(keys):
    if keys is None:
        return None
    if isinstance(keys, str):
        keys = [keys]
    keys = list(keys)
    if not keys or not all(isinstance(k, str) and k for k in keys):
        raise ValueError(
            "`keys` must be None or a non-empty list of metric names such as "
            f"['d_loss', 'g_loss']. Received: keys={keys!r}"
        )
    return keys
