"""Checks shared by the adversarial tests: which variables a phase touched.

Also the proofs that the GAN-like models (`GAN`, `DCGAN`, `EBGAN`: a
generator and a discriminator, each with its own optimizer) share, and the
NumPy references their loss tests compare with.
"""

import contextlib
import json

import keras
import numpy as np
import pytest
from keras import ops


def snapshot(variables):
    """Copies the current values of `variables` to NumPy."""
    return [ops.convert_to_numpy(v).copy() for v in variables]


def assert_unchanged(before, variables):
    """Asserts every variable is bit-identical to its snapshot."""
    assert len(before) == len(variables)
    for value, variable in zip(before, variables):
        np.testing.assert_array_equal(
            ops.convert_to_numpy(variable), value, err_msg=variable.path
        )


def assert_all_changed(before, variables):
    """Asserts every variable moved away from its snapshot."""
    assert variables, "expected some variables"
    for value, variable in zip(before, variables):
        assert not np.array_equal(ops.convert_to_numpy(variable), value), (
            f"{variable.path} did not change"
        )


def bn_moving_statistics(network):
    """The BatchNorm moving statistics of a model, nested models included."""
    statistics = []
    for layer in network.layers:
        if isinstance(layer, keras.Model):
            statistics += bn_moving_statistics(layer)
        elif isinstance(layer, keras.layers.BatchNormalization):
            statistics += [layer.moving_mean, layer.moving_variance]
    return statistics


def run_phase(model, phase, batch, mode):
    """Runs one phase alone, eagerly or as the compiled step of `fit()`.

    For `fit()`, the model runs as a subclass of its own class whose
    `train_step` is that phase alone (the way a user would write a step of
    their own), then gets its class back.
    """
    if mode == "eager":
        return getattr(model, phase)(batch)
    with only_phase(model, phase):
        return model.fit(batch, batch_size=len(batch), epochs=1, verbose=0)


@contextlib.contextmanager
def only_phase(model, phase, arguments=None):
    """Within the block, `model.train_step` runs only its `phase` method.

    `arguments(model, data)` gives the phase's positional arguments from a
    batch; by default `(model.unpack_batch(data),)`.
    """
    cls = type(model)

    def train_step(self, data):
        args = arguments(self, data) if arguments else (self.unpack_batch(data),)
        return self.update_metrics(getattr(cls, phase)(self, *args))

    model.__class__ = type(f"{cls.__name__}Only{phase}", (cls,), {"train_step": train_step})
    try:
        yield model
    finally:
        model.__class__ = cls
        model.train_function = None  # The next fit() compiles the whole step.


def optimizer_names(model):
    """The names of the model's optimizers, `d_optimizer`, `g_optimizer`, ..."""
    return list(model.optimizer.optimizers)


def same_config(a, b):
    """Whether two configs are equal once written as JSON (tuples as lists)."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


# The GAN-like models.

# Ways to spoil `batch_for` of a `(784,)` model, each with the message
# `fit()` must raise: `(make_bad, pattern)` cases for `parametrize`.
BAD_MNIST_BATCHES = [
    (lambda x: x.reshape(-1, 28, 28), r"`x` must have shape \(batch_size, 784\)"
                                      r".*x.shape=\(16, 28, 28\)"),
    (lambda x: ((x + 1) * 127).astype("uint8"), r"floating-point.*x.dtype=uint8"),
    (lambda x: np.where(np.arange(x.size).reshape(x.shape) == 2000, np.nan, x)
     .astype("float32"), r"finite.*1 NaN or infinite.*row 2"),
]


def make_compiled(factory):
    """Builds a model with `factory()` after seeding Keras, and compiles it."""
    keras.utils.set_random_seed(0)
    model = factory()
    model.compile()
    return model


def batch_for(model, size=16, seed=0):
    """A batch of uniform noise in [-1, 1], shaped like the model's inputs."""
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, (size, *model.input_shape)).astype("float32")


def check_fit_rejects(model, bad, pattern):
    """`fit(bad)` must raise before the first step, leaving the model as is."""
    before = model.get_weights()
    with pytest.raises(ValueError, match=pattern):
        model.fit(bad, epochs=1, verbose=0)
    assert int(model.d_optimizer.iterations) == int(model.g_optimizer.iterations) == 0
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)


def check_discriminator_step_freezes_generator(
    model, mode, discriminator_has_batchnorm, constant=()
):
    """Runs the discriminator step alone: it must touch the discriminator only.

    Args:
        model: A freshly compiled model with `generator` and `discriminator`.
        mode: `"eager"` or `"fit"`, as in `run_phase`.
        discriminator_has_batchnorm: Whether the discriminator's BatchNorm
            moving statistics must move too (they must exist then).
        constant: Trainable variables of the discriminator the loss does not
            depend on (a Wasserstein critic's output bias): they must stay.
    """
    generator_before = snapshot(model.generator.variables)
    constant_ids = {id(v) for v in constant}
    moving = [v for v in model.discriminator.trainable_variables if id(v) not in constant_ids]
    discriminator_before = snapshot(moving)
    constant_before = snapshot(constant)
    statistics = bn_moving_statistics(model.discriminator)
    statistics_before = snapshot(statistics)
    run_phase(model, "discriminator_step", batch_for(model), mode)
    assert_unchanged(generator_before, model.generator.variables)
    assert_all_changed(discriminator_before, moving)
    assert_unchanged(constant_before, constant)
    if discriminator_has_batchnorm:
        assert_all_changed(statistics_before, statistics)
    assert int(model.d_optimizer.iterations) == 1
    assert int(model.g_optimizer.iterations) == 0


def check_generator_step_freezes_discriminator(model, mode):
    """Runs the generator step alone: the discriminator must stay bit-identical.

    Every variable of the discriminator is compared (weights, BatchNorm
    moving statistics, dropout seeds); every trainable variable and
    BatchNorm statistic of the generator must move.

    Args:
        model: A freshly compiled model whose generator has BatchNorm.
        mode: `"eager"` or `"fit"`, as in `run_phase`.
    """
    discriminator_before = snapshot(model.discriminator.variables)
    generator_before = snapshot(model.generator.trainable_variables)
    statistics = bn_moving_statistics(model.generator)
    assert statistics, "every generator here has BatchNorm"
    statistics_before = snapshot(statistics)
    run_phase(model, "generator_step", batch_for(model), mode)
    assert_unchanged(discriminator_before, model.discriminator.variables)
    assert_all_changed(generator_before, model.generator.trainable_variables)
    assert_all_changed(statistics_before, statistics)
    assert int(model.d_optimizer.iterations) == 0
    assert int(model.g_optimizer.iterations) == 1


def check_fit_updates_both_players(model, batch, metric_names):
    """Fits two epochs of two steps and checks both players and the history.

    Args:
        model: A freshly compiled model.
        batch: 16 training examples.
        metric_names: The names the history must hold, no more.

    Returns:
        The history dict.
    """
    generator_before = snapshot(model.generator.trainable_variables)
    discriminator_before = snapshot(model.discriminator.trainable_variables)
    history = model.fit(batch, batch_size=8, epochs=2, verbose=0).history
    assert set(history) == set(metric_names)
    assert all(len(values) == 2 for values in history.values())
    assert all(np.isfinite(values).all() for values in history.values())
    assert int(model.d_optimizer.iterations) == int(model.g_optimizer.iterations) == 4
    assert_all_changed(generator_before, model.generator.trainable_variables)
    assert_all_changed(discriminator_before, model.discriminator.trainable_variables)
    return history


def check_save_load_restores(model, x, path):
    """Fits one epoch, saves and loads: outputs and optimizers must match.

    Args:
        model: A freshly compiled model.
        x: 32 training examples (two steps of 16).
        path: Folder for the `.keras` file.

    Returns:
        The loaded model.
    """
    model.fit(x, batch_size=16, epochs=1, verbose=0)
    model.save(path / "model.keras")
    loaded = keras.saving.load_model(path / "model.keras")
    assert type(loaded) is type(model)
    assert same_config(loaded.get_config(), model.get_config())
    np.testing.assert_array_equal(loaded.generate(8, seed=3), model.generate(8, seed=3))
    np.testing.assert_array_equal(
        ops.convert_to_numpy(loaded(x)), ops.convert_to_numpy(model(x))
    )
    assert_optimizers_restored(model, loaded, iterations=2)
    return loaded


def assert_optimizers_restored(model, loaded, iterations):
    """Every player's optimizer of `loaded` equals `model`'s, state included."""
    assert optimizer_names(loaded) == optimizer_names(model)
    for optimizer_name in optimizer_names(model):
        original = getattr(model, optimizer_name)
        restored = getattr(loaded, optimizer_name)
        assert type(restored) is type(original)
        assert restored.get_config() == original.get_config()
        assert int(restored.iterations) == int(original.iterations) == iterations
        assert len(restored.variables) == len(original.variables)
        for a, b in zip(restored.variables, original.variables):
            np.testing.assert_array_equal(
                ops.convert_to_numpy(a), ops.convert_to_numpy(b)
            )


def check_training_resumes(model, loaded, x, exactly=True):
    """Fits the model and its loaded copy one more epoch, alike.

    Args:
        model: The model `check_save_load_restores` saved.
        loaded: The model it loaded.
        x: The same 32 training examples.
        exactly: Whether the weights must then match, which needs every
            random number drawn in training to be saved (dropout seed
            states included).
    """
    histories = [
        m.fit(x, batch_size=16, epochs=1, shuffle=False, verbose=0).history
        for m in (model, loaded)
    ]
    assert histories[0].keys() == histories[1].keys()
    assert int(loaded.d_optimizer.iterations) == int(loaded.g_optimizer.iterations) == 4
    if exactly:
        for a, b in zip(loaded.weights, model.weights):
            np.testing.assert_allclose(
                ops.convert_to_numpy(a), ops.convert_to_numpy(b),
                rtol=1e-5, atol=1e-6, err_msg=a.path,
            )


# NumPy references.


def upcoming_noise(model, num_samples, num_draws=1):
    """The noise of the model's next `num_draws` draws, left to be drawn.

    Draws from the model's latent sampler, then rewinds its seed state, so
    the phases run next draw the same noise.

    Returns:
        A list of `num_draws` NumPy arrays `(num_samples, latent_dim)`.
    """
    state = model.latent_sampler.seed_generator.state
    saved_state = ops.convert_to_numpy(state).copy()
    noise = [
        ops.convert_to_numpy(model.latent_sampler.sample(num_samples))
        for _ in range(num_draws)
    ]
    state.assign(saved_state)
    return noise


def numpy_forward(network, x, training=False):
    """Runs a Dense/LeakyReLU/BatchNorm network in float64 NumPy."""
    x = np.asarray(x, "float64")
    for layer in network.layers:
        weights = [ops.convert_to_numpy(w).astype("float64") for w in layer.weights]
        if isinstance(layer, keras.layers.InputLayer):
            continue
        if isinstance(layer, (keras.layers.Flatten, keras.layers.Reshape)):
            x = x.reshape(len(x), *layer.output.shape[1:])
        elif isinstance(layer, keras.layers.Dense):
            kernel, bias = weights
            x = x @ kernel + bias
            activation = layer.activation.__name__
            if activation == "tanh":
                x = np.tanh(x)
            elif activation == "sigmoid":
                x = 1.0 / (1.0 + np.exp(-x))
            else:
                assert activation == "linear", activation
        elif isinstance(layer, keras.layers.LeakyReLU):
            x = np.where(x > 0, x, layer.negative_slope * x)
        elif isinstance(layer, keras.layers.BatchNormalization):
            gamma, beta, moving_mean, moving_variance = weights
            if training:
                mean, variance = x.mean(axis=0), x.var(axis=0)
            else:
                mean, variance = moving_mean, moving_variance
            x = gamma * (x - mean) / np.sqrt(variance + layer.epsilon) + beta
        else:
            raise AssertionError(f"no NumPy reference for {layer}")
    return x


def pixel_statistics(images):
    """Mean pixel and fraction of dark pixels (below 0), in [-1, 1] data."""
    return np.array([images.mean(), (images < 0).mean()])
