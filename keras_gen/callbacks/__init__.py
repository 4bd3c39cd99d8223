"""Keras callbacks for generative models.

The picture callbacks draw a `uint8` picture every `every_n_epochs` epochs
(and at the end of training) and hand it to an `ImageSink`, which logs it to
the active W&B run if there is one and writes a PNG file otherwise.
`BackupAndRestore` makes atomic backups a killed run resumes from exactly;
`StopOnNaN` ends training with an error at the first non-finite loss.
`EveryNBatches` draws a picture callback's picture every few iterations
instead, as Keras-GAN does.
"""

from keras_gen.callbacks.backup import BackupAndRestore
from keras_gen.callbacks.base import ImageGridCallback, PictureCallback
from keras_gen.callbacks.every_n_batches import EveryNBatches
from keras_gen.callbacks.images import (
    as_images,
    figure_to_array,
    tile_images,
    to_uint8,
)
from keras_gen.callbacks.latent_manifold import LatentManifold
from keras_gen.callbacks.latent_space import LatentSpacePlot, project
from keras_gen.callbacks.loss_curves import LossCurves
from keras_gen.callbacks.nan_guard import NonFiniteLossError, StopOnNaN
from keras_gen.callbacks.reconstructions import ReconstructionLogger
from keras_gen.callbacks.sample_grid import SampleGrid
from keras_gen.callbacks.sink import ImageSink, active_wandb_run
from keras_gen.callbacks.style_grid import StyleGrid

__all__ = [
    "BackupAndRestore",
    "EveryNBatches",
    "ImageGridCallback",
    "ImageSink",
    "LatentManifold",
    "LatentSpacePlot",
    "LossCurves",
    "NonFiniteLossError",
    "PictureCallback",
    "ReconstructionLogger",
    "SampleGrid",
    "StopOnNaN",
    "StyleGrid",
    "active_wandb_run",
    "as_images",
    "figure_to_array",
    "project",
    "tile_images",
    "to_uint8",
]
