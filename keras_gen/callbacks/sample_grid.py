"""Pictures decoded samples of fixed latent codes drawn from the prior."""

import math

import numpy as np

from keras_gen.callbacks.base import FixedCodesGridCallback
from keras_gen.callbacks.images import DEFAULT_PADDING
from keras_gen.validation import check_positive_int


class SampleGrid(FixedCodesGridCallback):
    """Logs a grid of images decoded from fixed samples of the prior.

    The latent codes are drawn once, with `model.sample_prior(num_samples,
    seed)`, the first time a picture is made, and reused at every epoch so
    pictures are comparable across epochs. This is the "generate images every
    `gen_interval` epochs" step of the GAN tutorials; here the interval is
    called `every_n_epochs` like in the other callbacks. For a model with
    classes (`num_classes`), sample `i` is drawn as class `i % num_classes`
    (see `StyleGrid` for a row per style, a column per class).

    Args:
        num_samples: Number of images in the grid.
        columns: Images per row (the grid has `ceil(num_samples / columns)`
            rows; `columns` is capped at `num_samples`).
        every_n_epochs: Log a picture every this many epochs.
        seed: Seed passed to `model.sample_prior`.
        value_range: `(low, high)` range of the decoder's outputs: `(0, 1)`
            for VAEs and adversarial autoencoders, `(-1, 1)` for tanh GANs.
        image_shape: Shape of one image, needed for flat outputs whose size
            is not a perfect square (see `as_images`).
        padding: Pixels between tiles.
        directory: Folder for PNG files when no W&B run is active.
        sink: An `ImageSink`; cannot be combined with `directory`.
        key: Name of the picture.
    """

    def __init__(
        self,
        num_samples=32,
        columns=8,
        every_n_epochs=1,
        seed=0,
        value_range=(0, 1),
        image_shape=None,
        padding=DEFAULT_PADDING,
        directory=None,
        sink=None,
        key="generated_images",
    ):
        super().__init__(
            key, seed=seed, every_n_epochs=every_n_epochs,
            value_range=value_range, image_shape=image_shape, padding=padding,
            directory=directory, sink=sink,
        )
        self.num_samples = check_positive_int(num_samples, "num_samples")
        self.columns = min(check_positive_int(columns, "columns"), self.num_samples)

    @property
    def latent_samples(self):
        """The fixed latent codes, or None before the first picture."""
        return self._codes

    def make_picture(self):
        model = self._get_model()
        num_classes = getattr(model, "decoder_classes", None)
        # A model with classes draws sample i as class i % num_classes.
        codes = self.fixed_codes(model, self.num_samples)
        if num_classes is None:
            images = model.decode(codes)
        else:
            images = model.decode(codes, labels=np.arange(self.num_samples) % num_classes)
        return self.tile(
            images,
            rows=math.ceil(self.num_samples / self.columns),
            columns=self.columns,
        )
