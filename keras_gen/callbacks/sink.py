"""Where the pictures go: PNG files, and the active W&B run if there is one."""

import os
import sys

import numpy as np

from keras_gen import files
from keras_gen.tracking import active_wandb_run

DEFAULT_DIRECTORY = "pictures"


class ImageSink:
    """Writes `uint8` pictures to PNG files, and to Weights & Biases when a run is active.

    Every picture is written (atomically) with matplotlib's `imsave` to
    `directory/{key}/epoch_{epoch:04d}.png`, or `directory/{key}.png` when
    `epoch` is None (a one-off final picture), so the pictures are always
    where the examples say. If `wandb` has been imported and a run is active
    (`wandb.run is not None`) it is also logged to that run as
    `{key: wandb.Image(image), "epoch": epoch}`. A `/` in `key` (W&B's section
    separator, e.g. `"val/reconstructions"`) becomes a subfolder.

    `wandb` stays optional: the sink only looks for a module that is already
    imported (no run can be active otherwise), so it never imports wandb
    itself, never pays its import time and never fails when it is missing.

    On `commit`: with the default `commit=True` every picture is its own
    history row carrying an `"epoch"` value, so it is never lost and lands on
    the right epoch whatever the callback order (plot it against `epoch` in
    the W&B UI). With `commit=False` the picture waits in W&B's pending row
    and joins whichever `wandb.log` call commits next: that is the current
    epoch's metric row only if a metrics logger runs *after* the picture
    callback, the next epoch's row if it runs before, and with no other
    logger a second picture under the same key silently replaces the first.
    Use `commit=False` only when you control that order.

    Args:
        directory: Folder for the PNG files. Defaults to `"pictures"`, relative to the working directory at the
            time a picture is written.
        commit: Passed to `wandb.log` (see above).
    """

    def __init__(self, directory=None, commit=True):
        if directory is None:
            directory = DEFAULT_DIRECTORY
        if not isinstance(directory, (str, os.PathLike)):
            raise ValueError(
                "`directory` must be a path (str or os.PathLike) or None. "
                f"Received: directory={directory!r}"
            )
        if not isinstance(commit, bool):
            raise ValueError(
                f"`commit` must be True or False. Received: commit={commit!r}"
            )
        self.directory = directory
        self.commit = commit

    def log(self, key, image, epoch=None, iteration=None):
        """Logs one picture.

        Args:
            key: Name of the picture, e.g. `"reconstructions"`.
            image: `uint8` array of shape `(height, width)` or
                `(height, width, channels)` with 1 or 3 channels.
            epoch: 1-based epoch number (as in Keras' progress bar), or None
                for a one-off picture.
            iteration: Instead of `epoch`, the 0-based training iteration
                (batch) of the picture, as Keras-GAN numbers its images:
                the file is `directory/{key}/iteration_{iteration:06d}.png`
                and the W&B row carries `"iteration"`.

        Returns:
            The path of the PNG file written.
        """
        image = _check_image(image)
        _check_key(key)
        if epoch is not None and iteration is not None:
            raise ValueError(
                "Pass `epoch` or `iteration`, not both. Received: "
                f"epoch={epoch!r}, iteration={iteration!r}"
            )
        unit, step = ("iteration", iteration) if iteration is not None else ("epoch", epoch)
        if step is not None and (
            isinstance(step, bool) or not isinstance(step, (int, np.integer))
            or step < 0
        ):
            raise ValueError(
                f"`{unit}` must be an integer >= 0 or None. Received: {unit}={step!r}"
            )
        run = active_wandb_run()
        if run is not None:
            self._log_to_wandb(run, key, image, unit, step)
        return self._write_png(key, image, unit, step)

    def _log_to_wandb(self, run, key, image, unit, step):
        wandb = sys.modules["wandb"]
        row = {key: wandb.Image(image)}
        if step is not None:
            row[unit] = int(step)
        run.log(row, commit=self.commit)

    def _write_png(self, key, image, unit, step):
        from matplotlib.image import imsave

        if step is None:
            path = os.path.join(self.directory, f"{key}.png")
        else:
            digits = 4 if unit == "epoch" else 6
            path = os.path.join(self.directory, key, f"{unit}_{int(step):0{digits}d}.png")
        if image.ndim == 2:
            # `imsave` colormaps 2-D arrays (viridis, auto-contrast): equal RGB
            # channels keep the gray levels exact instead.
            image = np.repeat(image[..., np.newaxis], 3, axis=-1)
        with files.atomic_path(path) as temporary:
            imsave(temporary, image, format="png")
        return path

    def get_config(self):
        return {"directory": os.fspath(self.directory), "commit": self.commit}


def _check_key(key):
    if not isinstance(key, str) or not key or key.startswith("/") or any(
        part in ("", ".", "..") for part in key.split("/")
    ):
        raise ValueError(
            "`key` must be a non-empty name such as 'reconstructions' or "
            f"'val/reconstructions'. Received: key={key!r}"
        )


def _check_image(image):
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    if (
        image.dtype != np.uint8
        or image.ndim not in (2, 3)
        or (image.ndim == 3 and image.shape[-1] != 3)
        or 0 in image.shape
    ):
        raise ValueError(
            "`image` must be a non-empty uint8 array of shape (height, width) "
            "or (height, width, channels) with 1 or 3 channels; convert with "
            f"`to_uint8` first. Received: image.shape={image.shape}, "
            f"image.dtype={image.dtype}"
        )
    return image
