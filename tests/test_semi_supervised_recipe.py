"""The paper's semi-supervised recipe: input noise, squared error, SGD schedules."""

import keras
import numpy as np
import pytest

import keras_gen
from keras_gen import losses
from keras_gen.models import semi_supervised_adversarial_autoencoder as semi

SHAPE = (12,)


def small(**options):
    return keras_gen.SemiSupervisedAdversarialAutoencoder(
        SHAPE, num_classes=3, latent_dim=2, hidden_units=(8,),
        discriminator_units=(8,), seed=0, **options)


def schedule_of(optimizer):
    """The optimizer's learning-rate schedule (its `learning_rate` reads the value)."""
    schedule = keras.optimizers.schedules.deserialize(
        optimizer.get_config()["learning_rate"])
    assert isinstance(schedule, keras.optimizers.schedules.PiecewiseConstantDecay)
    return schedule


def test_half_squared_error_matches_numpy():
    rng = np.random.default_rng(0)
    x, r = rng.uniform(0, 1, (2, 5, 4, 3)).astype("float32")
    expected = 0.5 * np.mean(np.sum((x - r).reshape(5, -1) ** 2, axis=1))
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(losses.half_squared_error(x, r)), expected, rtol=1e-6)


def test_paper_optimizers_follow_the_schedule():
    optimizers = semi.paper_optimizers(steps_per_epoch=10, decay_epochs=(2, 5))
    assert sorted(optimizers) == ["ae_optimizer", "c_optimizer", "d_optimizer", "g_optimizer"]
    for name, (rate, momentum) in semi.PAPER_OPTIMIZERS.items():
        optimizer = optimizers[name]
        assert isinstance(optimizer, keras.optimizers.SGD)
        assert optimizer.momentum == momentum
        schedule = schedule_of(optimizer)
        for step, expected in [(0, rate), (20, rate), (21, rate / 10), (50, rate / 10),
                               (51, rate / 100), (10_000, rate / 100)]:
            np.testing.assert_allclose(float(schedule(step)), expected, rtol=1e-6)
    assert semi.PAPER_OPTIMIZERS["ae_optimizer"] == (0.01, 0.9)
    assert semi.PAPER_OPTIMIZERS["d_optimizer"] == (0.1, 0.1)
    with pytest.raises(ValueError, match="steps_per_epoch"):
        semi.paper_optimizers(0)


def test_input_noise_acts_in_training_only():
    model = small(input_noise_std=0.3, dropout_rate=0.0, discriminator_dropout_rate=0.0)
    assert model.encoder.get_layer("input_noise").stddev == 0.3
    x = np.full((4, *SHAPE), 0.5, "float32")
    y_a, z_a = model.encoder(x, training=True)
    y_b, z_b = model.encoder(x, training=True)
    assert not np.allclose(keras.ops.convert_to_numpy(z_a), keras.ops.convert_to_numpy(z_b))
    y_c, z_c = model.encoder(x, training=False)
    y_d, z_d = model.encoder(x, training=False)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(z_c), keras.ops.convert_to_numpy(z_d))
    assert small().encoder.get_layer("images") and not any(
        layer.name == "input_noise" for layer in small().encoder.layers)


def test_squared_error_is_the_reconstruction_loss():
    model = small(reconstruction_loss="squared_error")
    model.compile()
    x = np.random.default_rng(0).uniform(0, 1, (16, *SHAPE)).astype("float32")
    y = np.arange(16) % 3
    logs = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    reconstruction = keras.ops.convert_to_numpy(model(x))
    expected = 0.5 * np.mean(np.sum((x - reconstruction) ** 2, axis=1))
    np.testing.assert_allclose(logs["reconstruction_loss"], expected, rtol=1e-4)


def test_paper_architecture_config_round_trips(tmp_path):
    model = keras_gen.SemiSupervisedAdversarialAutoencoder(
        SHAPE, num_classes=3, **{**semi.PAPER_ARCHITECTURE, "hidden_units": (8,),
                                 "discriminator_units": (8,)})
    config = model.get_config()
    assert config["input_noise_std"] == 0.3
    assert config["reconstruction_loss"] == "squared_error"
    model.compile(**semi.paper_optimizers(5))
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert loaded.reconstruction_loss == "squared_error"
    assert loaded.encoder.get_layer("input_noise").stddev == 0.3
    assert schedule_of(loaded.ae_optimizer).get_config() == schedule_of(
        model.ae_optimizer).get_config()


@pytest.mark.parametrize("options, pattern", [
    ({"input_noise_std": -0.1}, r"`input_noise_std` must be a number >= 0.*-0.1"),
    ({"reconstruction_loss": "l1"}, r"`reconstruction_loss` must be one of.*'l1'"),
])
def test_bad_recipe_arguments_raise(options, pattern):
    with pytest.raises(ValueError, match=pattern):
        small(**options)
    with pytest.raises(ValueError, match=pattern):
        keras_gen.AdversarialAutoencoder(SHAPE, hidden_units=(8,), **options)
