"""Keras callbacks that picture generative models while they train.

Each callback draws a `uint8` picture every `every_n_epochs` epochs (and at
the end of training) and hands it to an `ImageSink`, which logs it to the
active W&B run if there is one and writes a PNG file otherwise.
"""

from keras_gen.callbacks.base import ImageGridCallback, PictureCallback
from keras_gen.callbacks.images import (
    as_images,
    figure_to_array,
    tile_images,
    to_uint8,
)
from keras_gen.callbacks.latent_manifold import LatentManifold
from keras_gen.callbacks.latent_space import LatentSpacePlot, project
from keras_gen.callbacks.loss_curves import LossCurves
from keras_gen.callbacks.reconstructions import ReconstructionLogger
from keras_gen.callbacks.sample_grid import SampleGrid
from keras_gen.callbacks.sink import ImageSink, active_wandb_run
from keras_gen.callbacks.style_grid import StyleGrid

__all__ = [
    "ImageGridCallback",
    "ImageSink",
    "LatentManifold",
    "LatentSpacePlot",
    "LossCurves",
    "PictureCallback",
    "ReconstructionLogger",
    "SampleGrid",
    "StyleGrid",
    "active_wandb_run",
    "as_images",
    "figure_to_array",
    "project",
    "tile_images",
    "to_uint8",
]
