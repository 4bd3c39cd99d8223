"""Keras callbacks for generative models.

The picture callbacks draw a `uint8` picture every `every_n_epochs` epochs
(and at the end of training) and hand it to an `ImageSink`, which logs it to
the active W&B run if there is one and writes a PNG file otherwise.
`BackupAndRestore` makes atomic backups a killed run resumes from exactly;
`StopOnNaN` ends training with an error at the first non-finite loss.
`EveryNBatches` draws a picture callback's picture every few iterations
instead, as Keras-GAN does. `MetricsLogger` logs the metrics to W&B.

The callbacks are imported on first use (they need Keras), so
`from keras_gen import callbacks` is instant.
"""

from keras_gen import lazy

_PACKAGE = "keras_gen.callbacks"
_EXPORTS = {
    "BackupAndRestore": f"{_PACKAGE}.backup",
    "CodeTraversal": f"{_PACKAGE}.code_traversal",
    "LatentTraversal": f"{_PACKAGE}.latent_traversal",
    "EveryNBatches": f"{_PACKAGE}.every_n_batches",
    "ImageGridCallback": f"{_PACKAGE}.base",
    "ImageSink": f"{_PACKAGE}.sink",
    "LatentManifold": f"{_PACKAGE}.latent_manifold",
    "LatentSpacePlot": f"{_PACKAGE}.latent_space",
    "LossCurves": f"{_PACKAGE}.loss_curves",
    "MetricsLogger": f"{_PACKAGE}.metrics_logger",
    "NonFiniteLossError": f"{_PACKAGE}.nan_guard",
    "PictureCallback": f"{_PACKAGE}.base",
    "ReconstructionLogger": f"{_PACKAGE}.reconstructions",
    "SampleGrid": f"{_PACKAGE}.sample_grid",
    "StopOnNaN": f"{_PACKAGE}.nan_guard",
    "StyleGrid": f"{_PACKAGE}.style_grid",
    "active_wandb_run": "keras_gen.tracking",
    "as_images": f"{_PACKAGE}.images",
    "figure_to_array": f"{_PACKAGE}.images",
    "present": f"{_PACKAGE}.images",
    "project": f"{_PACKAGE}.latent_space",
    "tile_images": f"{_PACKAGE}.images",
    "to_uint8": f"{_PACKAGE}.images",
}

__getattr__, __dir__, __all__ = lazy.attach(_PACKAGE, _EXPORTS)
