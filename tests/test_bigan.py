"""BiGAN: frozen players, losses against NumPy, the encoder, save/load, resume, training.

Each phase alone, eagerly and inside `fit()`, must touch its own player
only (the generator and the encoder are one player); the losses are replayed
in NumPy with a linear discriminator on `[z, image]` pairs.
`tests/test_backends.py` runs this module again on JAX and PyTorch.
"""

import keras
import numpy as np
import pytest
from keras import ops

import keras_gen
from keras_gen import BiGAN
from keras_gen.evaluation import code_probes

from player_checks import (
    assert_all_changed,
    assert_unchanged,
    batch_for,
    bn_moving_statistics,
    run_phase,
    snapshot,
    upcoming_noise,
)

SHAPE = (8, 8, 1)


def make_model(**kwargs):
    keras.utils.set_random_seed(0)
    model = BiGAN(input_shape=SHAPE, latent_dim=4, seed=1, **kwargs)
    model.compile()
    return model


@pytest.mark.parametrize("mode", ["eager", "fit"])
def test_discriminator_step_leaves_the_generator_and_encoder_bit_identical(mode):
    model = make_model()
    others = model.generator.variables + model.encoder.variables
    before = snapshot(others)
    discriminator_before = snapshot(model.discriminator.trainable_variables)
    run_phase(model, "discriminator_step", batch_for(model), mode)
    assert_unchanged(before, others)
    assert_all_changed(discriminator_before, model.discriminator.trainable_variables)
    assert int(model.d_optimizer.iterations) == 1 and int(model.g_optimizer.iterations) == 0


@pytest.mark.parametrize("mode", ["eager", "fit"])
def test_generator_step_moves_generator_and_encoder_not_the_discriminator(mode):
    model = make_model()
    discriminator_before = snapshot(model.discriminator.variables)
    players = model.generator.trainable_variables + model.encoder.trainable_variables
    before = snapshot(players)
    statistics = bn_moving_statistics(model.generator) + bn_moving_statistics(model.encoder)
    statistics_before = snapshot(statistics)
    run_phase(model, "generator_step", batch_for(model), mode)
    assert_unchanged(discriminator_before, model.discriminator.variables)
    assert_all_changed(before, players)
    assert_all_changed(statistics_before, statistics)
    assert int(model.d_optimizer.iterations) == 0 and int(model.g_optimizer.iterations) == 1


def test_fit_logs_its_keys_and_both_optimizers_step():
    model = make_model()
    x = batch_for(model, 32)
    history = model.fit(x, batch_size=8, epochs=2, verbose=0, validation_data=(x,)).history
    assert set(history) == {"d_loss", "g_loss", "d_acc", "val_d_loss", "val_g_loss", "val_d_acc"}
    assert all(np.isfinite(v).all() and len(v) == 2 for v in history.values())
    assert int(model.d_optimizer.iterations) == int(model.g_optimizer.iterations) == 8


def linear_pair_discriminator():
    z = keras.Input(shape=(4,))
    images = keras.Input(shape=SHAPE)
    x = keras.layers.Concatenate()([z, keras.layers.Flatten()(images)])
    return keras.Model([z, images], keras.layers.Dense(1, activation="sigmoid")(x))


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def bce(target, p):
    return -np.mean(target * np.log(p) + (1 - target) * np.log(1 - p))


def test_losses_match_numpy():
    model = make_model(discriminator=linear_pair_discriminator())
    w, b = (ops.convert_to_numpy(v).astype("float64") for v in model.discriminator.weights)

    def d(z, images):
        return sigmoid(np.hstack([z, images.reshape(len(images), -1)]) @ w + b)

    x = batch_for(model, 16)
    z = upcoming_noise(model, 16)[0]
    fakes = ops.convert_to_numpy(model.generator(z, training=False))
    codes = ops.convert_to_numpy(model.encoder(x, training=False))
    logs = model.discriminator_step(x)
    expected = 0.5 * (bce(1, d(codes, x)) + bce(0, d(z, fakes)))
    assert float(logs["d_loss"]) == pytest.approx(expected, rel=1e-5)
    w, b = (ops.convert_to_numpy(v).astype("float64") for v in model.discriminator.weights)
    z = upcoming_noise(model, 16)[0]
    fakes = ops.convert_to_numpy(model.generator(z, training=True))
    codes = ops.convert_to_numpy(model.encoder(x, training=True))
    expected = bce(1, d(z, fakes)) + bce(0, d(codes, x))
    assert float(model.generator_step(x)["g_loss"]) == pytest.approx(expected, rel=1e-5)


def test_encode_decode_shapes_and_bad_input():
    model = make_model()
    x = batch_for(model, 5)
    assert model.encode(x).shape == (5, 4)
    assert model.generate(3, seed=0).shape == (3, *SHAPE)
    assert model.reconstruct(x).shape == x.shape
    with pytest.raises(ValueError, match=r"values in \[-1, 1\]"):
        model.fit(x * 3, epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"`latent_dim`.*Received: latent_dim=0"):
        BiGAN(latent_dim=0)
    assert int(model.g_optimizer.iterations) == 0


def test_default_networks_follow_keras_gan():
    model = BiGAN()
    assert [tuple(t.shape) for t in model.discriminator.inputs] == [(None, 100), (None, 28, 28, 1)]
    assert [layer.units for layer in model.discriminator.layers
            if isinstance(layer, keras.layers.Dense)] == [1024, 1024, 1024, 1]
    assert [layer.units for layer in model.encoder.layers
            if isinstance(layer, keras.layers.Dense)] == [512, 512, 100]
    assert [tuple(t.shape) for t in model.combined.outputs] == [(None, 1), (None, 1)]


def test_save_load_and_exact_resume(tmp_path):
    x = batch_for(make_model(), 32)

    def train(epochs, directory):
        model = make_model()
        model.fit(x, batch_size=8, epochs=epochs, verbose=0,
                  callbacks=[keras_gen.callbacks.BackupAndRestore(directory)])
        return model

    train(1, tmp_path / "interrupted")
    resumed = train(2, tmp_path / "interrupted")
    uninterrupted = train(2, tmp_path / "once")
    for a, b in zip(resumed.variables, uninterrupted.variables):
        np.testing.assert_array_equal(ops.convert_to_numpy(a), ops.convert_to_numpy(b),
                                      err_msg=a.path)
    resumed.save(tmp_path / "bigan.keras")
    loaded = keras.saving.load_model(tmp_path / "bigan.keras")
    assert type(loaded) is BiGAN
    np.testing.assert_allclose(loaded.encode(x), resumed.encode(x), rtol=1e-6)
    np.testing.assert_array_equal(loaded.generate(4, seed=2), resumed.generate(4, seed=2))


def test_code_probes_read_separable_codes_and_not_noise():
    rng = np.random.default_rng(0)
    y_train, y_test = rng.integers(0, 3, 300), rng.integers(0, 3, 100)
    centres = rng.normal(size=(3, 5)) * 5
    train = centres[y_train] + rng.normal(size=(300, 5))
    test = centres[y_test] + rng.normal(size=(100, 5))
    scores = code_probes(train, y_train, test, y_test)
    assert scores["linear_probe_accuracy"] > 0.95 and scores["nearest_neighbour_accuracy"] > 0.95
    noise = code_probes(rng.normal(size=(300, 5)), y_train, rng.normal(size=(100, 5)), y_test)
    assert noise["linear_probe_accuracy"] < 0.55 and noise["nearest_neighbour_accuracy"] < 0.55
    with pytest.raises(ValueError, match=r"must pair up"):
        code_probes(train, y_train[:10], test, y_test)


def test_training_on_mnist_improves_the_codes_and_the_samples(mnist_images, mnist_flat):
    # Two short epochs: the encoder's codes hold more of the class (linear
    # probe, from 0.77 here) and the samples move towards digits (FCD).
    from keras_gen import evaluation

    (x_train, y_train), (x_test, y_test) = mnist_images
    keras.utils.set_random_seed(0)
    model = BiGAN(seed=0)
    model.compile()

    def scores():
        probe = code_probes(model.encode(x_train[:5000] * 2 - 1), y_train[:5000],
                            model.encode(x_test[:2000] * 2 - 1), y_test[:2000])
        quality = evaluation.generator_quality(model, "mnist", num_samples=1000,
                                               value_range=(-1, 1), seed=0)
        return probe["linear_probe_accuracy"], quality["fcd"]

    probe_before, fcd_before = scores()
    history = model.fit(x_train[:6400] * 2 - 1, batch_size=64, epochs=2, verbose=0).history
    probe_after, fcd_after = scores()
    assert all(np.isfinite(v).all() for v in history.values())
    assert probe_after > probe_before + 0.02, (probe_before, probe_after)
    assert fcd_after < 0.95 * fcd_before, (fcd_before, fcd_after)
