"""SGAN, both objectives: frozen players, losses against NumPy, data checks, resume, training.

Each phase alone, eagerly and inside `fit()`, must touch its own player
only; the losses are replayed in NumPy (Salimans et al.'s unlabelled loss
written out as in their code); bad data fails before the first step.
`tests/test_backends.py` runs this module again on JAX and PyTorch.
"""

import keras
import numpy as np
import pytest
from keras import ops

import keras_gen
from keras_gen import SGAN, losses
from keras_gen.layers import WeightNormalizedDense
from keras_gen.models.sgan import feature_matching_discriminator

from player_checks import (
    assert_all_changed,
    assert_unchanged,
    bn_moving_statistics,
    only_phase,
    snapshot,
)

IMAGE, FLAT = (8, 8, 1), (16,)
FACTORIES = {
    "keras_gan": lambda: SGAN(input_shape=IMAGE, latent_dim=8, seed=1),
    "feature_matching": lambda: SGAN(
        input_shape=FLAT, latent_dim=8, feature_matching=True, seed=1,
        discriminator=feature_matching_discriminator(FLAT, 10, seed=1, units=(32, 16, 8))),
}
METRICS = {"d_loss", "g_loss", "d_acc", "classification_loss", "classification_acc"}


def make_model(name):
    keras.utils.set_random_seed(0)
    model = FACTORIES[name]()
    model.compile()
    return model


def arrays(model, size=32, seed=0):
    """Inputs in the model's range and labels that cover every class."""
    rng = np.random.default_rng(seed)
    low, high = model.value_range
    x = rng.uniform(low, high, (size, *model.input_shape)).astype("float32")
    return x, np.arange(size) % 10


def dataset(model, size=32, batch_size=8):
    x, y = arrays(model, size)
    return keras_gen.make_semi_supervised_dataset(
        x[10:], x[:10], y[:10], batch_size=batch_size, labelled_batch_size=8, seed=0,
        value_range=model.value_range)


def noise(n, seed=5):
    return ops.convert_to_tensor(
        np.random.default_rng(seed).uniform(size=(n, 8)).astype("float32"))


def phase_arguments(model, batch, phase):
    """What each phase takes: the batch dict (or its unlabelled images) and fixed noise."""
    return (batch, noise(8)) if phase == "discriminator_step" else (batch["x"], noise(8))


def run_phase(model, phase, mode):
    if mode == "eager":
        batch = {key: ops.convert_to_tensor(value) for key, value in dataset(model)[0].items()}
        return getattr(model, phase)(*phase_arguments(model, batch, phase))
    with only_phase(model, phase,
                    lambda self, data: phase_arguments(self, self.unpack_batch(data), phase)):
        return model.fit(dataset(model), epochs=1, steps_per_epoch=1, verbose=0)


@pytest.mark.parametrize("mode", ["eager", "fit"])
@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_discriminator_step_leaves_the_generator_bit_identical(name, mode):
    model = make_model(name)
    generator_before = snapshot(model.generator.variables)
    discriminator_before = snapshot(model.discriminator.trainable_variables)
    run_phase(model, "discriminator_step", mode)
    assert_unchanged(generator_before, model.generator.variables)
    assert_all_changed(discriminator_before, model.discriminator.trainable_variables)
    assert int(model.d_optimizer.iterations) == 1
    assert int(model.g_optimizer.iterations) == 0


@pytest.mark.parametrize("mode", ["eager", "fit"])
@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_generator_step_leaves_the_discriminator_bit_identical(name, mode):
    model = make_model(name)
    discriminator_before = snapshot(model.discriminator.variables)  # Seed states included.
    generator_before = snapshot(model.generator.trainable_variables)
    statistics = bn_moving_statistics(model.generator)
    statistics_before = snapshot(statistics)
    run_phase(model, "generator_step", mode)
    assert_unchanged(discriminator_before, model.discriminator.variables)
    assert_all_changed(generator_before, model.generator.trainable_variables)
    assert_all_changed(statistics_before, statistics)
    assert int(model.d_optimizer.iterations) == 0
    assert int(model.g_optimizer.iterations) == 1


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_fit_updates_both_players_and_logs_its_keys(name):
    model = make_model(name)
    before = snapshot(model.generator.trainable_variables
                      + model.discriminator.trainable_variables)
    x, y = arrays(model)
    history = model.fit(dataset(model), epochs=2, verbose=0, validation_data=(x, y)).history
    assert set(history) == METRICS | {f"val_{key}" for key in METRICS}
    assert all(np.isfinite(values).all() and len(values) == 2 for values in history.values())
    assert int(model.d_optimizer.iterations) == int(model.g_optimizer.iterations) == 6
    assert_all_changed(before, model.generator.trainable_variables
                       + model.discriminator.trainable_variables)


# The losses, replayed in NumPy.


def log_softmax(logits):
    shifted = logits - logits.max(-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))


def logsumexp(logits):
    top = logits.max(-1)
    return top + np.log(np.exp(logits - top[:, None]).sum(-1))


def softplus(x):
    return np.logaddexp(0.0, x)


def bce(target, p):
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return -np.mean(target * np.log(p) + (1 - target) * np.log(1 - p))


def test_the_unlabelled_loss_is_salimans_et_al_s():
    rng = np.random.default_rng(0)
    real, fake = rng.normal(size=(2, 6, 10)) * 3
    # Their code: -0.5 mean(lse(l_unl)) + 0.5 mean(softplus(lse(l_unl))) + 0.5 mean(softplus(lse(l_fake))).
    expected = (-0.5 * logsumexp(real).mean() + 0.5 * softplus(logsumexp(real)).mean()
                + 0.5 * softplus(logsumexp(fake)).mean())
    got = losses.unlabelled_gan_loss(ops.convert_to_tensor(real), ops.convert_to_tensor(fake))
    assert float(got) == pytest.approx(expected, rel=1e-5)
    features = rng.normal(size=(2, 6, 4))
    expected = np.mean((features[0].mean(0) - features[1].mean(0)) ** 2)
    got = losses.feature_matching_loss(*(ops.convert_to_tensor(f) for f in features))
    assert float(got) == pytest.approx(expected, rel=1e-5)


def linear(input_shape, *outputs):
    inputs = keras.Input(shape=input_shape)
    flat = keras.layers.Flatten()(inputs)
    return keras.Model(inputs, [keras.layers.Dense(units, activation=activation)(flat)
                                for units, activation in outputs])


def numpy_linear(model, x):
    weights = [ops.convert_to_numpy(w).astype("float64")
               for w in model.discriminator.trainable_weights]
    flat = x.reshape(len(x), -1).astype("float64")
    return [flat @ weights[i] + weights[i + 1] for i in range(0, len(weights), 2)]


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def test_feature_matching_losses_match_numpy():
    keras.utils.set_random_seed(0)
    model = SGAN(input_shape=FLAT, latent_dim=8, feature_matching=True, seed=1,
                 discriminator=linear(FLAT, (10, None), (4, None)))
    model.compile()
    batch = {key: ops.convert_to_tensor(v) for key, v in dataset(model)[0].items()}
    z = noise(8)
    x, x_l, y_l = (ops.convert_to_numpy(batch[k]) for k in ("x", "x_labelled", "y_labelled"))
    fakes = ops.convert_to_numpy(model.generator(z, training=False))
    (real, _), (labelled, _), (fake, _) = (numpy_linear(model, a) for a in (x, x_l, fakes))
    classification = -np.mean(log_softmax(labelled)[np.arange(len(y_l)), y_l])
    unlabelled = (-0.5 * logsumexp(real).mean() + 0.5 * softplus(logsumexp(real)).mean()
                  + 0.5 * softplus(logsumexp(fake)).mean())
    logs = model.discriminator_step(batch, z)
    assert float(logs["d_loss"]) == pytest.approx(classification + unlabelled, rel=1e-5)
    assert float(logs["classification_loss"]) == pytest.approx(classification, rel=1e-5)
    d_acc = 0.5 * (np.mean(logsumexp(real) > 0) + np.mean(logsumexp(fake) <= 0))
    assert float(logs["d_acc"]) == pytest.approx(d_acc)
    # The generator matches the mean features (the second output) of x and G(z).
    fakes = ops.convert_to_numpy(model.generator(z, training=True))
    (_, real_features), (_, fake_features) = (numpy_linear(model, a) for a in (x, fakes))
    expected = np.mean((real_features.mean(0) - fake_features.mean(0)) ** 2)
    assert float(model.generator_step(batch["x"], z)["g_loss"]) == pytest.approx(expected, rel=1e-4)


def test_keras_gan_losses_match_numpy():
    keras.utils.set_random_seed(0)
    model = SGAN(input_shape=IMAGE, latent_dim=8, seed=1,
                 discriminator=linear(IMAGE, (1, "sigmoid"), (11, "softmax")))
    model.compile()
    batch = {key: ops.convert_to_tensor(v) for key, v in dataset(model)[0].items()}
    z = ops.convert_to_tensor(np.random.default_rng(5).normal(size=(8, 8)).astype("float32"))
    x, x_l, y_l = (ops.convert_to_numpy(batch[k]) for k in ("x", "x_labelled", "y_labelled"))
    fakes = ops.convert_to_numpy(model.generator(z, training=False))
    (real_v, _), (_, labelled_c), (fake_v, fake_c) = (numpy_linear(model, a)
                                                       for a in (x, x_l, fakes))
    classification = -np.mean(log_softmax(labelled_c)[np.arange(len(y_l)), y_l])
    fake_class = -np.mean(log_softmax(fake_c)[:, 10])
    # Keras-GAN: loss weights 0.5 and 0.5, the real and fake batches averaged,
    # the fake class weighted 1/num_classes against a real one.
    expected = 0.25 * (bce(1, sigmoid(real_v)) + bce(0, sigmoid(fake_v))
                       + classification + fake_class / 10)
    logs = model.discriminator_step(batch, z)
    assert float(logs["d_loss"]) == pytest.approx(expected, rel=1e-5)
    fakes = ops.convert_to_numpy(model.generator(z, training=True))
    (fake_v, _) = numpy_linear(model, fakes)
    assert float(model.generator_step(batch["x"], z)["g_loss"]) == pytest.approx(
        bce(1, sigmoid(fake_v)), rel=1e-5)


def test_weight_normalized_dense_computes_g_v_over_norm_v(tmp_path):
    layer = WeightNormalizedDense(3, activation="relu")
    x = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
    layer(x)
    v = np.random.default_rng(1).normal(size=(4, 3)).astype("float32")
    g, b = np.array([0.5, 2.0, 1.0], "float32"), np.array([0.1, -0.2, 0.3], "float32")
    layer.set_weights([v, g, b])
    expected = np.maximum(x @ (v * g / np.linalg.norm(v, axis=0)) + b, 0)
    np.testing.assert_allclose(ops.convert_to_numpy(layer(x)), expected, rtol=1e-5, atol=1e-6)
    layer.set_weights([10 * v, g, b])  # Only the direction of v counts.
    np.testing.assert_allclose(ops.convert_to_numpy(layer(x)), expected, rtol=1e-5, atol=1e-6)
    model = keras.Sequential([keras.Input((4,)), layer])
    model.save(tmp_path / "layer.keras")
    loaded = keras.saving.load_model(tmp_path / "layer.keras")
    np.testing.assert_allclose(loaded(x), expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match=r"`units`.*Received: units=0"):
        WeightNormalizedDense(0)


# Data, classes and the classifier.


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_fit_rejects_bad_data_before_the_first_step(name):
    model = make_model(name)
    x, y = arrays(model)
    with pytest.raises(ValueError, match=r"make_semi_supervised_dataset.*Received: x of shape"):
        model.fit(x, y, epochs=1, verbose=0)
    other = (-1.0, 1.0) if model.value_range == (0.0, 1.0) else (0.0, 1.0)
    x_other = (x + 1) / 2 if other == (0.0, 1.0) else x
    wrong_range = keras_gen.make_semi_supervised_dataset(
        x_other[10:], x_other[:10], y[:10], batch_size=8, value_range=other)
    with pytest.raises(ValueError, match=r"value_range=\(.*make_semi_supervised_dataset"):
        model.fit(wrong_range, epochs=1, verbose=0)
    five = keras_gen.make_semi_supervised_dataset(
        x[10:], x[:10], y[:10] % 5, batch_size=8, num_classes=5, value_range=model.value_range)
    with pytest.raises(ValueError, match=r"5 classes but the model has num_classes=10"):
        model.fit(five, epochs=1, verbose=0)
    assert int(model.d_optimizer.iterations) == int(model.g_optimizer.iterations) == 0


def test_the_semi_supervised_batches_check_their_range():
    x = np.random.default_rng(0).uniform(0, 1, (20, 4)).astype("float32")
    with pytest.raises(ValueError, match=r"`value_range` must be \(0.0, 1.0\) or \(-1.0, 1.0\). Received: value_range=\(0, 255\)"):
        keras_gen.make_semi_supervised_dataset(x, x[:10], np.arange(10), value_range=(0, 255))
    with pytest.raises(ValueError, match=r"x_unlabelled.*\[-1, 1\]"):
        keras_gen.make_semi_supervised_dataset(x * 3 - 1, x[:10], np.arange(10),
                                               value_range=(-1, 1))
    signed = keras_gen.make_semi_supervised_dataset(x * 2 - 1, x[:10] * 2 - 1, np.arange(10),
                                                    value_range=[-1, 1])
    assert signed.value_range == (-1.0, 1.0) and signed[0]["x"].min() < 0


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_generates_without_labels_and_classifies(name):
    model = make_model(name)
    assert model.decoder_classes is None and model.num_classes == 10
    assert model.generate(6, seed=0).shape == (6, *model.input_shape)
    np.testing.assert_array_equal(model.generate(6, seed=0), model.generate(6, seed=0))
    with pytest.raises(ValueError, match=r"takes no labels.*Received: labels=\[1, 2\]"):
        model.generate(2, labels=[1, 2])
    x, y = arrays(model)
    probabilities = model.predict_proba(x)
    assert probabilities.shape == (32, 10)
    np.testing.assert_allclose(probabilities.sum(-1), 1, rtol=1e-5)
    error = model.classification_error(x, y)
    assert error == pytest.approx(np.mean(model.predict_classes(x) != y))
    with pytest.raises(ValueError, match=r"`y` must hold labels in \[0, 10\)"):
        model.classification_error(x, y + 10)


def test_default_networks_follow_keras_gan_and_salimans_et_al():
    keras_gan = SGAN()
    assert [layer.filters for layer in keras_gan.discriminator.layers
            if isinstance(layer, keras.layers.Conv2D)] == [32, 64, 128, 256]
    assert [tuple(t.shape) for t in keras_gan.discriminator.outputs] == [(None, 1), (None, 11)]
    assert keras_gan.value_range == (-1.0, 1.0)
    keras_gan.compile()
    assert float(keras_gan.d_optimizer.learning_rate) == pytest.approx(2e-4)
    assert float(keras_gan.g_optimizer.beta_1) == pytest.approx(0.5)
    fm = SGAN(input_shape=(784,), feature_matching=True)
    dense = [layer.units for layer in fm.discriminator.layers
             if isinstance(layer, WeightNormalizedDense)]
    assert dense == [1000, 500, 250, 250, 250, 10]
    assert [layer.stddev for layer in fm.discriminator.layers
            if isinstance(layer, keras.layers.GaussianNoise)] == [0.3] + [0.5] * 5
    assert [tuple(t.shape) for t in fm.discriminator.outputs] == [(None, 10), (None, 250)]
    codes = fm.sample_prior(1000, seed=0)
    assert codes.shape == (1000, 100) and codes.min() >= 0 and codes.max() <= 1
    fm.compile()
    assert float(fm.d_optimizer.learning_rate) == pytest.approx(3e-3)
    with pytest.raises(ValueError, match=r"`feature_matching` must be True or False"):
        SGAN(feature_matching="yes")


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_save_load_and_exact_resume(name, tmp_path):
    def train(epochs, directory):
        model = make_model(name)
        model.fit(dataset(model), epochs=epochs, verbose=0,
                  callbacks=[keras_gen.callbacks.BackupAndRestore(directory)])
        return model

    train(1, tmp_path / "interrupted")
    resumed = train(2, tmp_path / "interrupted")
    uninterrupted = train(2, tmp_path / "once")
    assert int(resumed.g_optimizer.iterations) == 6
    for a, b in zip(resumed.variables, uninterrupted.variables):
        np.testing.assert_array_equal(ops.convert_to_numpy(a), ops.convert_to_numpy(b),
                                      err_msg=a.path)
    resumed.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras")
    assert type(loaded) is SGAN and loaded.feature_matching == resumed.feature_matching
    np.testing.assert_array_equal(loaded.generate(8, seed=3), resumed.generate(8, seed=3))
    x, _ = arrays(resumed)
    np.testing.assert_allclose(loaded.predict_proba(x), resumed.predict_proba(x), rtol=1e-6)


def test_keras_gans_train_loop_uses_every_label(tmp_path):
    # Keras-GAN's `train()`: random batches of labelled images, as its sgan.py.
    model = make_model("keras_gan")
    x, y = arrays(model, 64)
    model.train(epochs=3, batch_size=8, save_interval=2, x=x, y=y,
                directory=str(tmp_path), verbose=0)
    assert int(model.g_optimizer.iterations) == 3
    assert len(list((tmp_path / "generated_images").glob("*.png"))) == 2


def test_feature_matching_learns_from_100_labels(mnist_flat):
    # 3 epochs on 3,000 digits, 100 of them labelled: far better than chance.
    (x_train, y_train), (x_test, y_test) = mnist_flat
    (x_l, y_l), (x_u, _) = keras_gen.data.labelled_split(x_train[:3000], y_train[:3000], 100)
    keras.utils.set_random_seed(0)
    model = SGAN(input_shape=(784,), feature_matching=True, seed=0)
    model.compile()
    before = model.classification_error(x_test[:1000], y_test[:1000])
    model.fit(keras_gen.make_semi_supervised_dataset(x_u, x_l, y_l, batch_size=100),
              epochs=3, verbose=0)
    after = model.classification_error(x_test[:1000], y_test[:1000])
    assert after < 0.4 and after < before - 0.4, (before, after)


def test_keras_weight_averaging_gives_the_averaged_discriminator():
    # Salimans et al. score a moving average of the discriminator's weights:
    # Keras' `use_ema` keeps it through SGAN's own update, and
    # `finalize_variable_values` swaps it in (fit() does not, with two optimizers).
    keras.utils.set_random_seed(0)
    model = SGAN(input_shape=FLAT, latent_dim=8, feature_matching=True, seed=1)
    average = keras.optimizers.Adam(3e-3, beta_1=0.5, use_ema=True, ema_momentum=0.5)
    model.compile(d_optimizer=average)
    seen = []
    record = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: seen.append(
        ops.convert_to_numpy(model.discriminator.trainable_variables[0]).copy()))
    model.fit(dataset(model, size=70, batch_size=20), epochs=1, verbose=0, callbacks=[record])
    assert len(seen) == 3
    expected = seen[0]  # Keras' average starts at the first update's weights.
    for weights in seen[1:]:
        expected = 0.5 * expected + 0.5 * weights
    average.finalize_variable_values(model.discriminator.trainable_variables)
    np.testing.assert_allclose(
        ops.convert_to_numpy(model.discriminator.trainable_variables[0]), expected, rtol=1e-6)
    assert not np.allclose(expected, seen[-1])
