"""Priors p(z) on latent codes, for the adversarial autoencoders.

An adversarial autoencoder shapes its codes by training a discriminator to
tell codes from samples of a prior, so any distribution that can be sampled
can serve. Each prior is written once, as a `transform` of standard draws
(standard normals, uniforms on [0, 1), class indices) into codes, and samples
in two ways:

- `sample(num_samples, seed=None, labels=None)` draws with `keras.random`
  and transforms with `keras.ops`, so it runs inside a compiled training
  step on any backend. Pass a `keras.random.SeedGenerator` held by the
  model there (unseeded random ops fail while tracing under JAX).
- `sample_numpy(num_samples, seed=None, labels=None)` draws and transforms
  with NumPy, for pictures and examples: the same seed gives the same codes
  on every backend.

The two draw from the same distribution, not the same numbers.

```python
prior = keras_gen.priors.get_prior("mixture")  # 10 Gaussians on a circle
z = prior.sample_numpy(1000, seed=0)
z_of_sevens = prior.sample_numpy(100, seed=0, labels=np.full(100, 7))
```

Priors are serializable (`get_config()` / `from_config()`, registered with
Keras), so a model that holds one saves and loads it with its config.
"""

import math
import numbers

import keras
import numpy as np
from keras import ops

from keras_gen import backend
from keras_gen.validation import check_positive_float, check_positive_int

__all__ = [
    "Categorical",
    "Concatenation",
    "Gaussian",
    "GaussianMixture",
    "Prior",
    "Uniform",
    "get_prior",
]


def _check_finite_float(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(
            f"`{name}` must be a finite number. Received: {name}={value!r}"
        )
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(
            f"`{name}` must be a finite number. Received: {name}={value}"
        )
    return value


def check_label_array(labels, name, num_classes, num_examples=None):
    """Checks NumPy-like integer labels in `[0, num_classes)`.

    Args:
        labels: Array of shape `(num_examples,)` or `(num_examples, 1)`.
        name: The argument name used in the error message.
        num_classes: Number of classes.
        num_examples: Expected number of labels, if known.

    Returns:
        The labels as an `int32` NumPy array of shape `(num_examples,)`.
    """
    array = np.asarray(labels)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1 or (num_examples is not None and len(array) != num_examples):
        expected = "num_examples" if num_examples is None else num_examples
        raise ValueError(
            f"`{name}` must hold one integer class label per example, shape "
            f"({expected},). Received: {name}.shape={np.shape(labels)}"
        )
    if array.dtype == bool or not (
        np.issubdtype(array.dtype, np.integer)
        or np.issubdtype(array.dtype, np.floating)
    ):
        raise ValueError(
            f"`{name}` must hold integer class labels. Received: "
            f"{name}.dtype={array.dtype}"
        )
    if np.issubdtype(array.dtype, np.floating):
        if not np.isfinite(array).all() or (array != np.round(array)).any():
            raise ValueError(
                f"`{name}` must hold integer class labels (whole numbers). "
                f"Received: {name} with non-integer or non-finite values"
            )
    if len(array) and (array.min() < 0 or array.max() >= num_classes):
        raise ValueError(
            f"`{name}` must hold labels in [0, {num_classes}). Received: "
            f"labels from {array.min()} to {array.max()}"
        )
    return array.astype("int32")


def _is_seed_generator(seed):
    return isinstance(seed, keras.random.SeedGenerator)


def _seeds(seed, count):
    """Returns `count` seeds for `count` independent `keras.random` draws.

    A `SeedGenerator` advances on each draw, so it can be reused; an integer
    seed would give the same numbers to every draw, so each draw gets its own
    integer; `None` draws unseeded (not allowed inside a traced JAX step).
    """
    if seed is None or _is_seed_generator(seed):
        return [seed] * count
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise ValueError(
            "`seed` must be None, an integer or a keras.random.SeedGenerator. "
            f"Received: seed={seed!r}"
        )
    return [int(seed) + index for index in range(count)]


def _check_numpy_seed(seed):
    if seed is not None and (
        isinstance(seed, bool) or not isinstance(seed, numbers.Integral)
    ):
        raise ValueError(
            f"`seed` must be None or an integer. Received: seed={seed!r}"
        )
    return seed


class Prior:
    """Base class of the priors: a distribution over `latent_dim`-vectors.

    A subclass names the standard draws one code is made from in `draws`,
    in the order they are drawn: `"class"` (an integer in
    `[0, num_classes)`, replaced by the label when `labels` are given),
    `"normal"` (`latent_dim` standard normals) or `"uniform"` (`latent_dim`
    uniforms on [0, 1)). It writes the distribution once, in
    `transform(draws, xp)`, with array functions that `keras.ops` and NumPy
    share (`xp` is one or the other), sets `num_classes` if labels select a
    part of the distribution (`None` otherwise), and lists its arguments in
    `get_config()`.

    Args:
        latent_dim: Size of one code.
    """

    num_classes = None
    draws = ()

    def __init__(self, latent_dim=2):
        self.latent_dim = check_positive_int(latent_dim, "latent_dim")

    def transform(self, draws, xp):
        """Makes codes from standard draws.

        Args:
            draws: Dict from the names in `self.draws` to their batches:
                `"class"` of shape `(num_samples,)`, integers; `"normal"`
                and `"uniform"` of shape `(num_samples, latent_dim)`.
            xp: `keras.ops` inside a step, `numpy` for `sample_numpy`.

        Returns:
            The codes, shape `(num_samples, latent_dim)`.
        """
        raise NotImplementedError

    def sample(self, num_samples, seed=None, labels=None):
        """Draws codes with `keras.random`, usable in a compiled step.

        Args:
            num_samples: Number of codes (a Python int or a scalar tensor
                such as `ops.shape(x)[0]`).
            seed: None, an integer, or a `keras.random.SeedGenerator` (what
                a compiled step must use).
            labels: Optional integer labels, one per code, for priors with
                `num_classes` (the mixture component or category of each
                code). Labels in a tensor are not range-checked.

        Returns:
            A float32 tensor of shape `(num_samples, latent_dim)`.
        """
        if isinstance(num_samples, numbers.Integral):
            num_samples = check_positive_int(num_samples, "num_samples")
        labels = self._check_labels(labels, num_samples)
        if labels is None:
            # Under `tf.distribute`, each replica its own codes.
            return backend.per_replica(
                lambda n: self._sample(n, seed, None), num_samples)
        return self._sample(num_samples, seed, labels)

    def _sample(self, num_samples, seed, labels):
        draws = {}
        for kind, draw_seed in zip(self.draws, _seeds(seed, len(self.draws))):
            shape = (num_samples, self.latent_dim)
            if kind == "class":
                draws[kind] = labels if labels is not None else keras.random.randint(
                    (num_samples,), 0, self.num_classes, dtype="int32", seed=draw_seed
                )
            elif kind == "normal":
                draws[kind] = keras.random.normal(shape, dtype="float32", seed=draw_seed)
            else:
                draws[kind] = keras.random.uniform(shape, dtype="float32", seed=draw_seed)
        return ops.cast(self.transform(draws, ops), "float32")

    def sample_numpy(self, num_samples, seed=None, labels=None):
        """Draws codes with NumPy, for pictures.

        Args:
            num_samples: Number of codes.
            seed: Optional integer seed; the same seed gives the same codes.
            labels: Optional integer labels, one per code (see `sample`).

        Returns:
            A float32 NumPy array of shape `(num_samples, latent_dim)`.
        """
        num_samples = check_positive_int(num_samples, "num_samples")
        labels = self._check_labels(labels, num_samples)
        if labels is not None:
            labels = np.asarray(labels)
        rng = np.random.default_rng(_check_numpy_seed(seed))
        draws = {}
        for kind in self.draws:
            shape = (num_samples, self.latent_dim)
            if kind == "class":
                draws[kind] = (
                    labels if labels is not None
                    else rng.integers(0, self.num_classes, num_samples)
                )
            elif kind == "normal":
                draws[kind] = rng.standard_normal(shape)
            else:
                draws[kind] = rng.random(shape)
        return np.asarray(self.transform(draws, np), dtype="float32")

    def _check_labels(self, labels, num_samples):
        if labels is None:
            return None
        if self.num_classes is None:
            raise ValueError(
                f"A {type(self).__name__} prior has no classes, so it takes no "
                f"`labels`. Received: labels of shape {np.shape(labels)}"
            )
        if isinstance(labels, (np.ndarray, list, tuple)):
            expected = num_samples if isinstance(num_samples, int) else None
            return check_label_array(labels, "labels", self.num_classes, expected)
        return ops.cast(ops.reshape(labels, (-1,)), "int32")

    def get_config(self):
        """Returns the constructor arguments, for `from_config()`."""
        return {"latent_dim": self.latent_dim}

    @classmethod
    def from_config(cls, config):
        """Builds a prior from `get_config()`'s output.

        Args:
            config: Dict of constructor arguments, as `get_config()` returns.

        Returns:
            A prior of this class.
        """
        return cls(**config)

    def __eq__(self, other):
        return type(self) is type(other) and self.get_config() == other.get_config()

    def __hash__(self):
        return hash((type(self).__name__, tuple(sorted(self.get_config().items()))))

    def __repr__(self):
        arguments = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({arguments})"


@keras.saving.register_keras_serializable(package="keras_gen")
class Gaussian(Prior):
    """An isotropic Gaussian N(0, std^2 I).

    The Paperspace post's adversarial autoencoder uses std 5, which fills the
    square [-10, 10]^2 that its manifold pictures span.

    Args:
        latent_dim: Size of one code.
        std: Standard deviation of every coordinate.
    """

    def __init__(self, latent_dim=2, std=5.0):
        super().__init__(latent_dim)
        self.std = check_positive_float(std, "std")

    draws = ("normal",)

    def transform(self, draws, xp):
        return self.std * draws["normal"]

    def get_config(self):
        return {**super().get_config(), "std": self.std}


@keras.saving.register_keras_serializable(package="keras_gen")
class Uniform(Prior):
    """A uniform distribution on the box `[minval, maxval]^latent_dim`.

    The default box is the square that the 2-D manifold pictures span.

    Args:
        latent_dim: Size of one code.
        minval: Lower bound of every coordinate.
        maxval: Upper bound of every coordinate, above `minval`.
    """

    def __init__(self, latent_dim=2, minval=-10.0, maxval=10.0):
        super().__init__(latent_dim)
        self.minval = _check_finite_float(minval, "minval")
        self.maxval = _check_finite_float(maxval, "maxval")
        if self.maxval <= self.minval:
            raise ValueError(
                "`maxval` must be above `minval`. Received: "
                f"minval={self.minval}, maxval={self.maxval}"
            )

    draws = ("uniform",)

    def transform(self, draws, xp):
        return self.minval + (self.maxval - self.minval) * draws["uniform"]

    def get_config(self):
        return {
            **super().get_config(), "minval": self.minval, "maxval": self.maxval,
        }


@keras.saving.register_keras_serializable(package="keras_gen")
class GaussianMixture(Prior):
    """Gaussians placed evenly on a circle, as in the paper's 2-D figures.

    Component `k` is centred at `radius * (cos a_k, sin a_k)` with
    `a_k = 2 pi k / num_components`, and elongated along the radius: its
    standard deviation is `radial_std` along the radius and `tangential_std`
    across it, which gives Makhzani et al.'s petals. Components are equally
    likely; with `labels`, label `k` draws from component `k` (the
    label-conditioned pictures of the supervised and semi-supervised
    models). Above two dimensions the circle lies in the first two
    coordinates and the others are N(0, tangential_std^2).

    Args:
        latent_dim: Size of one code, at least 2.
        num_components: Number of Gaussians (and of labels), at least 2.
        radius: Distance of every centre from the origin.
        radial_std: Standard deviation along the radius.
        tangential_std: Standard deviation across the radius.
    """

    def __init__(
        self, latent_dim=2, num_components=10, radius=5.0, radial_std=1.0,
        tangential_std=0.25,
    ):
        super().__init__(latent_dim)
        if self.latent_dim < 2:
            raise ValueError(
                "`latent_dim` must be at least 2 for a GaussianMixture on a "
                f"circle. Received: latent_dim={latent_dim}"
            )
        self.num_components = check_positive_int(num_components, "num_components")
        if self.num_components < 2:
            raise ValueError(
                "`num_components` must be at least 2. Received: "
                f"num_components={num_components}"
            )
        self.radius = check_positive_float(radius, "radius")
        self.radial_std = check_positive_float(radial_std, "radial_std")
        self.tangential_std = check_positive_float(tangential_std, "tangential_std")

    @property
    def num_classes(self):
        """One class per component."""
        return self.num_components

    def centers(self):
        """The components' centres, a NumPy array `(num_components, latent_dim)`."""
        angles = 2.0 * np.pi * np.arange(self.num_components) / self.num_components
        centers = np.zeros((self.num_components, self.latent_dim), "float32")
        centers[:, 0] = self.radius * np.cos(angles)
        centers[:, 1] = self.radius * np.sin(angles)
        return centers

    # The component first, then the noise that places the code around it.
    draws = ("class", "normal")

    def transform(self, draws, xp):
        """Scales standard normals and rotates them onto the circle."""
        noise = draws["normal"]
        angles = xp.multiply(draws["class"], 2.0 * np.pi / self.num_components)
        radial = self.radius + self.radial_std * noise[:, 0]
        tangential = self.tangential_std * noise[:, 1]
        cos, sin = xp.cos(angles), xp.sin(angles)
        circle = xp.stack(
            [radial * cos - tangential * sin, radial * sin + tangential * cos],
            axis=1,
        )
        if self.latent_dim == 2:
            return circle
        return xp.concatenate([circle, self.tangential_std * noise[:, 2:]], axis=1)

    def get_config(self):
        return {
            **super().get_config(),
            "num_components": self.num_components,
            "radius": self.radius,
            "radial_std": self.radial_std,
            "tangential_std": self.tangential_std,
        }


@keras.saving.register_keras_serializable(package="keras_gen")
class Categorical(Prior):
    """One-hot vectors of uniformly drawn classes.

    The prior of the semi-supervised model's class code `y`. With `labels`
    it returns their one-hot vectors.

    Args:
        num_classes: Number of classes; also the code size.
    """

    def __init__(self, num_classes=10):
        num_classes = check_positive_int(num_classes, "num_classes")
        if num_classes < 2:
            raise ValueError(
                f"`num_classes` must be at least 2. Received: num_classes={num_classes}"
            )
        super().__init__(num_classes)
        self._num_classes = num_classes

    @property
    def num_classes(self):
        """Number of classes."""
        return self._num_classes

    draws = ("class",)

    def transform(self, draws, xp):
        return xp.take(xp.eye(self.num_classes), draws["class"], axis=0)

    def get_config(self):
        return {"num_classes": self.num_classes}


@keras.saving.register_keras_serializable(package="keras_gen")
class Concatenation(Prior):
    """Independent priors side by side: a code is their codes, concatenated.

    InfoGAN's generator input, for example: Gaussian noise, a categorical
    code and uniform continuous codes,
    `Concatenation([Gaussian(62, std=1), Categorical(10), Uniform(2, -1, 1)])`.
    Each part is drawn as it is alone (each distribution stays written once,
    in its own `transform`), with its own seed.

    Args:
        parts: A list of priors (instances, names or configs, as
            `get_prior` takes them).
    """

    def __init__(self, parts):
        if not isinstance(parts, (list, tuple)) or not parts:
            raise ValueError(
                f"`parts` must be a non-empty list of priors. Received: parts={parts!r}")
        self.parts = [get_prior(part) for part in parts]
        super().__init__(sum(part.latent_dim for part in self.parts))

    def _sample(self, num_samples, seed, labels):
        seeds = _seeds(seed, len(self.parts))
        return ops.concatenate(
            [part._sample(num_samples, part_seed, None)
             for part, part_seed in zip(self.parts, seeds)], axis=-1)

    def sample_numpy(self, num_samples, seed=None, labels=None):
        """Draws codes with NumPy: each part's codes, side by side.

        Each part draws with its own seed, derived from `seed`.

        Args:
            num_samples: Number of codes.
            seed: Optional integer seed; the same seed gives the same codes.
            labels: Must be `None`: a concatenation has no classes.

        Returns:
            A float32 NumPy array of shape `(num_samples, latent_dim)`, the
            parts' codes in the order of `parts`.
        """
        self._check_labels(labels, num_samples)  # No classes: refuses labels.
        seeds = _seeds(_check_numpy_seed(seed), len(self.parts))
        return np.concatenate(
            [part.sample_numpy(num_samples, part_seed)
             for part, part_seed in zip(self.parts, seeds)], axis=-1)

    def get_config(self):
        return {"parts": [keras.saving.serialize_keras_object(part) for part in self.parts]}


PRIORS = {
    "gaussian": Gaussian,
    "normal": Gaussian,
    "mixture": GaussianMixture,
    "gaussian_mixture": GaussianMixture,
    "uniform": Uniform,
    "categorical": Categorical,
}


def get_prior(prior, latent_dim=None):
    """Returns a prior from a name, a config dict or an instance.

    Args:
        prior: A `Prior` instance, one of the names `"gaussian"` (or
            `"normal"`), `"mixture"` (or `"gaussian_mixture"`), `"uniform"`,
            `"categorical"`, or a dict from `keras.saving.serialize_keras_object`.
            A name gives the prior with its default arguments.
        latent_dim: The code size the caller needs. A name is built with it;
            an instance or config must already have it.

    Returns:
        A `Prior`.
    """
    if latent_dim is not None:
        latent_dim = check_positive_int(latent_dim, "latent_dim")
    if isinstance(prior, str):
        key = prior.lower()
        if key not in PRIORS:
            raise ValueError(
                f"`prior` must be a Prior instance or one of {sorted(PRIORS)}. "
                f"Received: prior={prior!r}"
            )
        cls = PRIORS[key]
        if latent_dim is None:
            return cls()
        if cls is Categorical:
            return Categorical(num_classes=latent_dim)
        return cls(latent_dim=latent_dim)
    if isinstance(prior, dict):
        try:
            prior = keras.saving.deserialize_keras_object(prior)
        except (TypeError, ValueError) as error:
            raise ValueError(
                f"`prior` is a dict but not the config of a registered Prior: "
                f"{error}. Received: prior={prior!r}"
            ) from None
    if not isinstance(prior, Prior):
        raise ValueError(
            f"`prior` must be a Prior instance or one of {sorted(PRIORS)}. "
            f"Received: prior={prior!r}"
        )
    if latent_dim is not None and prior.latent_dim != latent_dim:
        raise ValueError(
            f"`prior` must draw codes of size latent_dim={latent_dim}. "
            f"Received: prior={prior!r} with latent_dim={prior.latent_dim}"
        )
    return prior
