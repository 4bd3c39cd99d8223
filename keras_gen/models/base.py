"""What every keras-gen model shares: input checks and NumPy helpers."""

import keras
import numpy as np

from keras_gen.validation import check_data, check_positive_int, is_array_like

DEFAULT_BATCH_SIZE = 256


def predict_in_batches(model, x, batch_size=DEFAULT_BATCH_SIZE):
    """Runs `model` in inference mode over `x` and returns NumPy arrays.

    Unlike `Model.predict()`, which builds a new compiled function (and
    warns about retracing) for each new sub-model or call pattern, this
    calls the model directly, which suits the occasional calls of the
    helpers and picture callbacks.

    Args:
        model: A Keras model with one or several outputs.
        x: Array whose first axis is the batch.
        batch_size: Examples per call.

    Returns:
        A NumPy array, or a list of them for a model with several outputs.
    """
    batches = [
        keras.tree.map_structure(
            keras.ops.convert_to_numpy,
            model(x[start : start + batch_size], training=False),
        )
        for start in range(0, len(x), batch_size)
    ]
    if isinstance(batches[0], (list, tuple)):
        return [np.concatenate(parts) for parts in zip(*batches)]
    return np.concatenate(batches)


class GenerativeModel(keras.Model):
    """Base class of the keras-gen models.

    It checks in-memory data before `fit()`, `evaluate()` and `predict()`
    run a single step, so a wrong shape, an integer dtype or a NaN fails at
    once with a `ValueError` instead of training into NaN losses (data from a
    `tf.data.Dataset` or a `PyDataset` is not scanned). It also gives the
    NumPy helpers `encode`, `decode` and `reconstruct` that the picture
    callbacks and the examples use.

    Subclasses set `self.input_shape` and build `self.encoder` and
    `self.decoder` before calling `self.build()`.
    """

    def fit(self, x=None, y=None, *args, validation_data=None, **kwargs):
        self._check_batch(x, "x")
        self._check_batch(y, "y")
        if isinstance(validation_data, (tuple, list)) and validation_data:
            self._check_batch(validation_data[0], "validation_data[0]")
        elif validation_data is not None:
            self._check_batch(validation_data, "validation_data")
        return super().fit(x, y, *args, validation_data=validation_data, **kwargs)

    def evaluate(self, x=None, y=None, *args, **kwargs):
        self._check_batch(x, "x")
        self._check_batch(y, "y")
        return super().evaluate(x, y, *args, **kwargs)

    def predict(self, x, *args, **kwargs):
        self._check_batch(x, "x")
        return super().predict(x, *args, **kwargs)

    def compile_from_config(self, config):
        # Keras skips models that override `compile()`; ours accept the same
        # arguments as `keras.Model.compile()`, so the saved config replays
        # as is and `load_model()` restores the optimizer and its state.
        config = keras.saving.deserialize_keras_object(config)
        self.compile(**config)
        if getattr(self, "optimizer", None) is not None and self.built:
            self.optimizer.build(self.trainable_variables)

    def _check_batch(self, x, name):
        if is_array_like(x):
            check_data(x, name, self.input_shape)

    def encode(self, x, batch_size=DEFAULT_BATCH_SIZE):
        """Encodes inputs to latent codes.

        Args:
            x: Array of shape `(num_examples, *input_shape)`.
            batch_size: Examples per batch.

        Returns:
            NumPy array of shape `(num_examples, latent_dim)`.
        """
        check_data(x, "x", self.input_shape)
        return predict_in_batches(self.encoder, x, batch_size)

    def decode(self, z, batch_size=DEFAULT_BATCH_SIZE):
        """Decodes latent codes to inputs.

        Args:
            z: Array of shape `(num_examples, latent_dim)`.
            batch_size: Examples per batch.

        Returns:
            NumPy array of shape `(num_examples, *input_shape)`.
        """
        z = np.asarray(z, dtype="float32")
        check_data(z, "z", (self.latent_dim,))
        return predict_in_batches(self.decoder, z, batch_size)

    def reconstruct(self, x, batch_size=DEFAULT_BATCH_SIZE):
        """Encodes then decodes inputs (deterministically, no training noise).

        Args:
            x: Array of shape `(num_examples, *input_shape)`.
            batch_size: Examples per batch.

        Returns:
            NumPy array with the shape of `x`.
        """
        return self.decode(self.encode(x, batch_size), batch_size)


class GaussianPrior:
    """Mixin for models with a standard normal prior N(0, I) on the codes.

    Gives `sample_prior` and `generate` on top of `decode`; used by the VAE
    and the GANs (whose "decoder" is the generator).
    """

    def sample_prior(self, num_samples, seed=None):
        """Draws latent codes from the prior N(0, I).

        Args:
            num_samples: Number of codes.
            seed: Optional integer seed, for the same codes on every call.

        Returns:
            NumPy array of shape `(num_samples, latent_dim)`.
        """
        num_samples = check_positive_int(num_samples, "num_samples")
        rng = np.random.default_rng(seed)
        return rng.standard_normal((num_samples, self.latent_dim)).astype("float32")

    def generate(self, num_samples, seed=None):
        """Decodes `num_samples` codes drawn from the prior N(0, I).

        Args:
            num_samples: Number of samples.
            seed: Optional integer seed.

        Returns:
            NumPy array of shape `(num_samples, *input_shape)`.
        """
        return self.decode(self.sample_prior(num_samples, seed))
