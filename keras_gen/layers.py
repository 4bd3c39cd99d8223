"""keras-gen's layers: seeded random layers, and a weight-normalized dense layer.

The random layers survive `.keras` save/load on every backend. The tutorials
build them as `Lambda` layers around unseeded random ops. On Keras 3 such a
`Lambda` fails under JAX (unseeded random ops while tracing) and does not load
back without `safe_mode=False`; registered layers holding a
`keras.random.SeedGenerator` have neither problem.
"""

import keras
from keras import ops

from keras_gen import backend
from keras_gen.validation import check_non_negative_float, check_positive_int


class SeededLayer(keras.layers.Layer):
    """A layer whose random state is saved and restored with its weights.

    Keras does not save a `SeedGenerator`'s state with the weights, so a
    reloaded model would draw different noise from the original. Saving the
    state makes a `.keras` round trip give bit-identical outputs, sampling
    included.

    Args:
        seed: Optional integer seed.
        **kwargs: Base layer arguments.
    """

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def save_own_variables(self, store):
        super().save_own_variables(store)
        store["seed_generator_state"] = ops.convert_to_numpy(
            self.seed_generator.state.value
        )

    def load_own_variables(self, store):
        if "seed_generator_state" in store:
            self.seed_generator.state.assign(store["seed_generator_state"])

    def draw(self, random_op, like):
        """`random_op` (e.g. `keras.random.normal`) shaped and typed like `like`.

        Seeded by the layer's generator; under `tf.distribute` each replica
        gets its own rows (`keras_gen.backend.per_replica`).

        Args:
            random_op: A `keras.random` function taking `(shape, dtype=,
                seed=)`, such as `keras.random.normal`.
            like: Tensor of shape `(batch_size, ...)` whose shape and dtype
                the draw takes.

        Returns:
            Tensor of the shape and dtype of `like`.
        """
        shape = ops.shape(like)
        return backend.per_replica(
            lambda n: random_op((n, *shape[1:]), dtype=like.dtype, seed=self.seed_generator),
            shape[0],
        )

    def get_config(self):
        base_config = super().get_config()
        config = {"seed": self.seed}
        return {**base_config, **config}


@keras.saving.register_keras_serializable(package="keras_gen")
class Sampling(SeededLayer):
    """Reparameterization sampling: `z = z_mean + exp(0.5 * z_log_var) * eps`.

    `eps ~ N(0, I)` is drawn from the layer's own seed generator, so sampling
    is reproducible for a given `seed` and stays differentiable with respect to
    `z_mean` and `z_log_var`.

    Call: `layer([z_mean, z_log_var])`, both of shape
    `(batch_size, latent_dim)`; returns `z` of shape
    `(batch_size, latent_dim)`.

    Args:
        seed: Optional integer seed for the noise.
        **kwargs: Base layer arguments.
    """

    def call(self, inputs):
        z_mean, z_log_var = inputs
        epsilon = self.draw(keras.random.normal, z_mean)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon

    def compute_output_shape(self, input_shape):
        return input_shape[0]


@keras.saving.register_keras_serializable(package="keras_gen")
class Corruption(SeededLayer):
    """Seeded input corruption for denoising autoencoders, in training only.

    Adds Gaussian noise of standard deviation `noise_std` (the Keras blog's
    `noise_factor`), then zeroes a random fraction `mask_fraction` of the
    features (masking noise), then clips to `clip_range`. Outside training the
    input passes through unchanged, unlike a plain `GaussianNoise` layer there
    is a seed, so the corruption is reproducible.

    Call: `layer(inputs, training=False)`, `inputs` of any shape
    `(batch_size, ...)`; returns the corrupted (in training) or unchanged
    inputs, of the same shape.

    Args:
        noise_std: Standard deviation of the additive Gaussian noise, >= 0.
        mask_fraction: Fraction of features set to zero, in [0, 1).
        clip_range: `(low, high)` to clip the corrupted input to, or `None`.
        seed: Optional integer seed.
        **kwargs: Base layer arguments.
    """

    def __init__(
        self, noise_std=0.5, mask_fraction=0.0, clip_range=(0.0, 1.0), seed=None,
        **kwargs,
    ):
        super().__init__(seed=seed, **kwargs)
        self.noise_std = check_non_negative_float(noise_std, "noise_std")
        self.mask_fraction = check_non_negative_float(
            mask_fraction, "mask_fraction", upper=1.0
        )
        if clip_range is not None:
            clip_range = tuple(float(v) for v in clip_range)
            if len(clip_range) != 2 or clip_range[0] >= clip_range[1]:
                raise ValueError(
                    "`clip_range` must be None or (low, high) with low < high. "
                    f"Received: clip_range={clip_range!r}"
                )
        self.clip_range = clip_range

    def call(self, inputs, training=False):
        if not training:
            return inputs
        return self.corrupt(inputs)

    def corrupt(self, inputs):
        """Applies the corruption whatever the training flag.

        Args:
            inputs: Tensor of shape `(batch_size, ...)`.

        Returns:
            The corrupted inputs, a tensor of the same shape.
        """
        outputs = inputs
        if self.noise_std > 0:
            outputs = outputs + self.noise_std * self.draw(keras.random.normal, inputs)
        if self.mask_fraction > 0:
            keep = self.draw(keras.random.uniform, inputs) >= self.mask_fraction
            outputs = ops.where(keep, outputs, ops.zeros_like(outputs))
        if self.clip_range is not None:
            outputs = ops.clip(outputs, *self.clip_range)
        return outputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        base_config = super().get_config()
        config = {
            "noise_std": self.noise_std,
            "mask_fraction": self.mask_fraction,
            "clip_range": self.clip_range,
        }
        return {**base_config, **config}


@keras.saving.register_keras_serializable(package="keras_gen")
class LatentSampler(SeededLayer):
    """Draws the training noise `z ~ N(0, I)` from a saved seed generator.

    Its seed generator state is saved with the model (see `SeededLayer`), so
    a reloaded model draws the same noise as the original would have and
    training resumes exactly. The models draw their codes from `model.prior`
    with this layer's `seed_generator` (`GenerativeModel.sample_prior_codes`);
    for N(0, I), `sample()` gives the very same numbers.

    Args:
        latent_dim: Size of one noise vector.
        seed: Optional integer seed.
        **kwargs: Base layer arguments.
    """

    def __init__(self, latent_dim, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.latent_dim = check_positive_int(latent_dim, "latent_dim")
        # Nothing to build: the only state is the seed generator.
        self.built = True

    def call(self, inputs):
        """Returns one noise vector per example of `inputs`.

        Args:
            inputs: Tensor of shape `(batch_size, ...)`; only its batch size
                is used.

        Returns:
            Tensor of shape `(batch_size, latent_dim)`.
        """
        return self.sample(ops.shape(inputs)[0])

    def sample(self, batch_size):
        """Draws `z ~ N(0, I)` from the layer's seed generator.

        Args:
            batch_size: Number of noise vectors (an integer or a scalar
                tensor).

        Returns:
            Tensor of shape `(batch_size, latent_dim)`.
        """
        return backend.per_replica(
            lambda n: keras.random.normal((n, self.latent_dim), seed=self.seed_generator),
            batch_size,
        )

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.latent_dim)

    def get_config(self):
        base_config = super().get_config()
        config = {"latent_dim": self.latent_dim}
        return {**base_config, **config}


@keras.saving.register_keras_serializable(package="keras_gen")
class WeightNormalizedDense(keras.layers.Layer):
    """A dense layer with weight normalization (Salimans and Kingma, 2016).

    Computes `activation(x @ (v * g / ||v||) + b)`: each output unit's
    weight vector is a direction `v[:, j] / ||v[:, j]||` times a learned
    length `g[j]` (initialized to 1), which decouples the two and keeps a
    unit-variance input at unit variance at initialization. Keras has no
    weight-normalized layer; Salimans et al.'s semi-supervised GAN uses one
    in every dense layer of its discriminator.

    Shapes: `(..., input_dim) -> (..., units)`.

    Args:
        units: Number of output units.
        activation: Keras activation name or callable; None for linear.
        use_bias: Whether to add a bias `b`.
        kernel_initializer: Initializer of the directions `v`.
        **kwargs: Base layer arguments such as `name`.
    """

    def __init__(self, units, activation=None, use_bias=True,
                 kernel_initializer="random_normal", **kwargs):
        super().__init__(**kwargs)
        self.units = check_positive_int(units, "units")
        self.activation = keras.activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def build(self, input_shape):
        self.kernel = self.add_weight(
            shape=(input_shape[-1], self.units), initializer=self.kernel_initializer,
            name="kernel")
        self.scale = self.add_weight(shape=(self.units,), initializer="ones", name="scale")
        self.bias = (self.add_weight(shape=(self.units,), initializer="zeros", name="bias")
                     if self.use_bias else None)

    def call(self, inputs):
        norms = ops.sqrt(ops.sum(ops.square(self.kernel), axis=0) + 1e-12)
        outputs = ops.matmul(inputs, self.kernel) * (self.scale / norms)
        if self.bias is not None:
            outputs = outputs + self.bias
        return self.activation(outputs)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        base_config = super().get_config()
        config = {
            "units": self.units,
            "activation": keras.activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
        }
        return {**base_config, **config}
