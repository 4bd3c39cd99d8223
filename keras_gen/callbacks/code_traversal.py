"""Pictures InfoGAN's codes: the category across the columns, each continuous code down the rows."""

import numpy as np

from keras_gen.callbacks.base import ImageGridCallback
from keras_gen.callbacks.images import DEFAULT_PADDING
from keras_gen.validation import check_positive_int


class CodeTraversal(ImageGridCallback):
    """Logs InfoGAN's traversal: what each code controls, with the noise fixed.

    Column `k` sets the categorical code to `k`; each continuous code `j` in
    turn gets `steps` rows, its value going from -1 to 1 while the others
    stay at 0. One noise vector, drawn once from `seed`, serves the whole
    grid, so what changes across a row is the category (the digit, once
    learned) and down a block the continuous code (slant, width), as in
    Chen et al.'s figures.

    The model needs `noise_dim`, `num_categories`, `num_continuous` and
    `decode(codes)` (`keras_gen.InfoGAN`). Outside `fit()`, `set_model()`
    then `picture()` returns the grid as a `uint8` array.

    Args:
        steps: Rows per continuous code, >= 2.
        every_n_epochs: Log a picture every this many epochs.
        seed: Seed of the fixed noise.
        value_range: `(low, high)` range of the generator's outputs.
        padding: Pixels between tiles.
        directory: Folder for PNG files when no W&B run is active.
        sink: An `ImageSink`; cannot be combined with `directory`.
        key: Name of the picture.
    """

    title = "Categorical code (columns), each continuous code from -1 to 1 (rows)"
    required_methods = ("decode",)

    def __init__(self, steps=5, every_n_epochs=1, seed=0, value_range=(-1, 1),
                 padding=DEFAULT_PADDING, directory=None, sink=None, key="code_traversal"):
        super().__init__(key, every_n_epochs=every_n_epochs, value_range=value_range,
                         padding=padding, directory=directory, sink=sink)
        self.steps = check_positive_int(steps, "steps")
        if self.steps < 2:
            raise ValueError(f"`steps` must be at least 2. Received: steps={steps}")
        self.seed = seed

    def codes(self, model):
        """The grid's codes, row by row, for `model.decode()`.

        Each code is the fixed noise, the one-hot category and the
        continuous codes, concatenated.

        Args:
            model: A model with `noise_dim`, `num_categories` and
                `num_continuous` (`keras_gen.InfoGAN`).

        Returns:
            float32 NumPy array of shape
            `(num_continuous * steps * num_categories, latent_dim)`, where
            `latent_dim = noise_dim + num_categories + num_continuous`.
        """
        for name in ("noise_dim", "num_categories", "num_continuous"):
            if not isinstance(getattr(model, name, None), int):
                raise ValueError(
                    "CodeTraversal needs a model with categorical and continuous "
                    f"codes (keras_gen.InfoGAN). Received a {type(model).__name__} "
                    f"without `{name}`"
                )
        noise = np.random.default_rng(self.seed).standard_normal(model.noise_dim)
        rows = []
        for code in range(model.num_continuous):
            for value in np.linspace(-1.0, 1.0, self.steps):
                continuous = np.zeros(model.num_continuous)
                continuous[code] = value
                for category in range(model.num_categories):
                    rows.append(np.concatenate(
                        [noise, np.eye(model.num_categories)[category], continuous]))
        return np.asarray(rows, dtype="float32")

    def make_picture(self):
        model = self._get_model()
        codes = self.codes(model)
        return self.tile(model.decode(codes), rows=len(codes) // model.num_categories,
                         columns=model.num_categories)
