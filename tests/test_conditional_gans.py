"""CGAN and ACGAN: frozen players, losses against NumPy, labels, save/load, training.

Each phase alone, eagerly and inside `fit()`, must touch its own player
only; the losses are replayed in NumPy; bad labels fail before the first
step. `tests/test_backends.py` runs this module again on JAX and PyTorch.
"""

import keras
import numpy as np
import pytest
from keras import ops

import keras_gen
from keras_gen import ACGAN, CGAN

from player_checks import (
    assert_all_changed,
    assert_unchanged,
    bn_moving_statistics,
    only_phase,
    same_config,
    snapshot,
    upcoming_noise,
)

SHAPE = (8, 8, 1)
MODEL_FACTORIES = {
    "cgan": lambda: CGAN(input_shape=SHAPE, latent_dim=8, generator_units=(16, 32),
                         discriminator_units=(16, 16, 16), seed=1),
    "acgan": lambda: ACGAN(input_shape=SHAPE, latent_dim=8, seed=1),
}
METRIC_NAMES = {
    "cgan": {"d_loss", "g_loss", "d_acc", "d_x", "d_g_z1", "d_g_z2"},
    "acgan": {"d_loss", "g_loss", "d_acc", "d_class_acc"},
}


def make_model(name):
    keras.utils.set_random_seed(0)
    model = MODEL_FACTORIES[name]()
    model.compile()
    return model


def labelled_batch(size=16, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.uniform(-1, 1, (size, *SHAPE)).astype("float32"),
            rng.integers(0, 10, size))


def one_hot(labels):
    return np.eye(10, dtype="float32")[labels]


def phase_arguments(model, images, labels):
    """What each phase takes, for a batch of images and their one-hot labels.

    The ACGAN's phases also take the noise and the fakes' classes: fixed
    NumPy draws here (constants inside a compiled step).
    """
    if isinstance(model, CGAN):
        return {"discriminator_step": (images, labels), "generator_step": (images,)}
    size = images.shape[0] or 16  # Unknown inside fit()'s step: run_phase's 16.
    noise = np.random.default_rng(5).normal(size=(size, 8)).astype("float32")
    fake_labels = one_hot(np.arange(size) % 10)
    return {"discriminator_step": (images, labels, ops.convert_to_tensor(noise),
                                   ops.convert_to_tensor(fake_labels)),
            "generator_step": (ops.convert_to_tensor(noise), ops.convert_to_tensor(fake_labels))}


def run_phase(model, phase, mode):
    x, y = labelled_batch()
    if mode == "eager":
        arguments = phase_arguments(model, ops.convert_to_tensor(x),
                                    ops.convert_to_tensor(one_hot(y)))
        return getattr(model, phase)(*arguments[phase])
    with only_phase(model, phase,
                    lambda self, data: phase_arguments(self, *self.unpack_batch(data))[phase]):
        return model.fit(x, y, batch_size=len(x), epochs=1, verbose=0)


@pytest.mark.parametrize("mode", ["eager", "fit"])
@pytest.mark.parametrize("name", sorted(MODEL_FACTORIES))
def test_discriminator_step_leaves_the_generator_bit_identical(name, mode):
    model = make_model(name)
    generator_before = snapshot(model.generator.variables)
    discriminator_before = snapshot(model.discriminator.trainable_variables)
    statistics = bn_moving_statistics(model.discriminator)
    statistics_before = snapshot(statistics)
    run_phase(model, "discriminator_step", mode)
    assert_unchanged(generator_before, model.generator.variables)
    assert_all_changed(discriminator_before, model.discriminator.trainable_variables)
    assert bool(statistics) == (name == "acgan")  # Keras-GAN's: ACGAN's D has BatchNorm.
    if statistics:
        assert_all_changed(statistics_before, statistics)
    assert int(model.d_optimizer.iterations) == 1
    assert int(model.g_optimizer.iterations) == 0


@pytest.mark.parametrize("mode", ["eager", "fit"])
@pytest.mark.parametrize("name", sorted(MODEL_FACTORIES))
def test_generator_step_leaves_the_discriminator_bit_identical(name, mode):
    model = make_model(name)
    discriminator_before = snapshot(model.discriminator.variables)
    generator_before = snapshot(model.generator.trainable_variables)
    statistics = bn_moving_statistics(model.generator)
    statistics_before = snapshot(statistics)
    run_phase(model, "generator_step", mode)
    assert_unchanged(discriminator_before, model.discriminator.variables)
    assert_all_changed(generator_before, model.generator.trainable_variables)
    assert_all_changed(statistics_before, statistics)
    assert int(model.d_optimizer.iterations) == 0
    assert int(model.g_optimizer.iterations) == 1


@pytest.mark.parametrize("name", sorted(MODEL_FACTORIES))
def test_fit_updates_both_players_and_logs_its_keys(name):
    model = make_model(name)
    before = snapshot(model.generator.trainable_variables
                      + model.discriminator.trainable_variables)
    x, y = labelled_batch()
    history = model.fit(x, y, batch_size=8, epochs=2, verbose=0,
                        validation_data=(x, y)).history
    assert set(history) == METRIC_NAMES[name] | {f"val_{k}" for k in METRIC_NAMES[name]}
    assert all(np.isfinite(values).all() and len(values) == 2 for values in history.values())
    assert int(model.d_optimizer.iterations) == int(model.g_optimizer.iterations) == 4
    assert_all_changed(before, model.generator.trainable_variables
                       + model.discriminator.trainable_variables)


# The losses, replayed in NumPy.


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def bce(target, p):
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return -np.mean(target * np.log(p) + (1 - target) * np.log(1 - p))


def numpy_cgan_discriminator(model, labels, images):
    """The default CGAN discriminator (no dropout) in float64 NumPy."""
    weights = [ops.convert_to_numpy(w).astype("float64")
               for w in model.discriminator.trainable_weights]
    embedding, *dense = weights
    x = images.reshape(len(images), -1) * (one_hot(labels) @ embedding)
    for kernel, bias in zip(dense[:-2:2], dense[1:-2:2]):
        x = x @ kernel + bias
        x = np.where(x > 0, x, 0.2 * x)
    return sigmoid(x @ dense[-2] + dense[-1])[:, 0]


def next_labels_and_noise(model, n):
    """The classes and noise the generator step draws next, left to be drawn."""
    state = model.latent_sampler.seed_generator.state
    saved = ops.convert_to_numpy(state).copy()
    labels = np.argmax(ops.convert_to_numpy(model.sample_labels(n)), axis=-1)
    noise = ops.convert_to_numpy(model.sample_prior_codes(n))
    state.assign(saved)
    return labels, noise


def test_cgan_losses_match_numpy():
    keras.utils.set_random_seed(0)
    model = CGAN(input_shape=SHAPE, latent_dim=8, generator_units=(16,),
                 discriminator_units=(16, 16), dropout_rate=0.0, seed=1)
    model.compile()
    x, y = labelled_batch(32)
    (z1,) = upcoming_noise(model, 32)
    fakes = ops.convert_to_numpy(model.generator([one_hot(y), z1], training=False))
    real_scores = numpy_cgan_discriminator(model, y, x)
    fake_scores = numpy_cgan_discriminator(model, y, fakes)  # The real batch's classes.
    d_logs = model.discriminator_step(ops.convert_to_tensor(x), ops.convert_to_tensor(one_hot(y)))
    expected = 0.5 * (bce(1.0, real_scores) + bce(0.0, fake_scores))
    assert float(d_logs["d_loss"]) == pytest.approx(expected, rel=1e-5)
    assert float(d_logs["d_x"]) == pytest.approx(real_scores.mean(), rel=1e-5)
    drawn, z2 = next_labels_and_noise(model, 32)
    fakes = ops.convert_to_numpy(model.generator([one_hot(drawn), z2], training=True))
    g_logs = model.generator_step(ops.convert_to_tensor(x))
    g_scores = numpy_cgan_discriminator(model, drawn, fakes)
    assert float(g_logs["g_loss"]) == pytest.approx(bce(1.0, g_scores), rel=1e-5)
    assert len(set(drawn.tolist())) > 5  # Classes drawn uniformly, not the batch's.


def linear_two_head_discriminator():
    images = keras.Input(shape=SHAPE)
    flat = keras.layers.Flatten()(images)
    return keras.Model(images, [keras.layers.Dense(1, activation="sigmoid")(flat),
                                keras.layers.Dense(10, activation="softmax")(flat)])


def numpy_two_heads(model, images):
    w1, b1, w2, b2 = (ops.convert_to_numpy(w).astype("float64")
                      for w in model.discriminator.trainable_weights)
    flat = images.reshape(len(images), -1)
    logits = flat @ w2 + b2
    probabilities = np.exp(logits - logits.max(-1, keepdims=True))
    return sigmoid(flat @ w1 + b1)[:, 0], probabilities / probabilities.sum(-1, keepdims=True)


def cross_entropy(labels, probabilities):
    return -np.mean(np.log(np.clip(probabilities[np.arange(len(labels)), labels], 1e-7, 1)))


def test_acgan_losses_match_numpy():
    keras.utils.set_random_seed(0)
    model = ACGAN(input_shape=SHAPE, latent_dim=8, seed=1,
                  discriminator=linear_two_head_discriminator())
    model.compile()
    x, y = labelled_batch(32)
    images, labels, noise, fake_labels = phase_arguments(
        model, ops.convert_to_tensor(x), ops.convert_to_tensor(one_hot(y)))["discriminator_step"]
    drawn = np.arange(32) % 10
    fakes = ops.convert_to_numpy(model.generator([fake_labels, noise], training=False))
    real_validity, real_classes = numpy_two_heads(model, x)
    fake_validity, fake_classes = numpy_two_heads(model, fakes)
    d_logs = model.discriminator_step(images, labels, noise, fake_labels)
    expected = 0.5 * (bce(1.0, real_validity) + cross_entropy(y, real_classes)
                      + bce(0.0, fake_validity) + cross_entropy(drawn, fake_classes))
    assert float(d_logs["d_loss"]) == pytest.approx(expected, rel=1e-5)
    class_acc = 0.5 * (np.mean(real_classes.argmax(-1) == y)
                       + np.mean(fake_classes.argmax(-1) == drawn))
    assert float(d_logs["d_class_acc"]) == pytest.approx(class_acc)
    fakes = ops.convert_to_numpy(model.generator([fake_labels, noise], training=True))
    g_logs = model.generator_step(noise, fake_labels)
    validity, classes = numpy_two_heads(model, fakes)
    expected = bce(1.0, validity) + cross_entropy(drawn, classes)
    assert float(g_logs["g_loss"]) == pytest.approx(expected, rel=1e-5)


# The conditioning contract.


@pytest.mark.parametrize("name", sorted(MODEL_FACTORIES))
@pytest.mark.parametrize(
    "arguments, pattern",
    [
        (lambda x, y: dict(x=x), r"`y` must be an array of the integer labels.*Received: y=None"),
        (lambda x, y: dict(x=x, y=y + 10), r"`y` must hold labels in \[0, 10\)"),
        (lambda x, y: dict(x=x, y=y.astype("float32") + 0.5), r"`y`.*integer"),
        (lambda x, y: dict(x=x * 3, y=y), r"values in \[-1, 1\]"),
    ],
)
def test_fit_rejects_bad_data_before_the_first_step(name, arguments, pattern):
    model = make_model(name)
    before = model.get_weights()
    x, y = labelled_batch()
    with pytest.raises(ValueError, match=pattern):
        model.fit(**arguments(x, y), epochs=1, verbose=0)
    assert int(model.d_optimizer.iterations) == int(model.g_optimizer.iterations) == 0
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", sorted(MODEL_FACTORIES))
def test_generate_draws_the_classes_asked_for(name):
    model = make_model(name)
    z = np.random.default_rng(0).normal(size=(2, 8)).astype("float32")
    assert not np.allclose(model.decode(z, labels=[0, 0]), model.decode(z, labels=[1, 1]))
    assert model.generate(6, seed=0).shape == (6, *SHAPE)
    np.testing.assert_array_equal(model.generate(6, seed=0, labels=[3] * 6),
                                  model.decode(model.sample_prior(6, 0), labels=[3] * 6))
    with pytest.raises(ValueError, match=r"labels.*\[0, 10\).*10"):
        model.generate(2, labels=[0, 10])
    with pytest.raises(ValueError, match=r"needs the class of each code"):
        model.decode(z)


# Save, load, resume, configs, Keras-GAN's defaults.


@pytest.mark.parametrize("name", sorted(MODEL_FACTORIES))
def test_save_load_and_exact_resume(name, tmp_path):
    # keras-gen's backup keeps the dropout seed states too: bit-identical.
    x, y = labelled_batch(32)

    def train(epochs, directory):
        model = make_model(name)
        model.fit(x, y, batch_size=8, epochs=epochs, verbose=0,
                  callbacks=[keras_gen.callbacks.BackupAndRestore(directory)])
        return model

    train(1, tmp_path / "interrupted")
    resumed = train(2, tmp_path / "interrupted")
    uninterrupted = train(2, tmp_path / "once")
    assert int(resumed.g_optimizer.iterations) == 8
    for a, b in zip(resumed.variables, uninterrupted.variables):
        np.testing.assert_array_equal(ops.convert_to_numpy(a), ops.convert_to_numpy(b),
                                      err_msg=a.path)
    resumed.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras")
    assert type(loaded) is type(resumed)
    assert same_config(loaded.get_config(), resumed.get_config())
    np.testing.assert_array_equal(loaded.generate(8, seed=3), resumed.generate(8, seed=3))
    assert int(loaded.d_optimizer.iterations) == 8
    assert getattr(keras_gen, type(resumed).__name__) is type(resumed)


def test_default_architectures_follow_keras_gan():
    cgan = CGAN()
    assert [layer.units for layer in cgan.generator.layers
            if isinstance(layer, keras.layers.Dense)] == [100, 256, 512, 1024, 784]
    assert [layer.units for layer in cgan.discriminator.layers
            if isinstance(layer, keras.layers.Dense)] == [784, 512, 512, 512, 1]
    assert [layer.rate for layer in cgan.discriminator.layers
            if isinstance(layer, keras.layers.Dropout)] == [0.4, 0.4]
    assert [tuple(t.shape) for t in cgan.combined.inputs] == [(None, 10), (None, 100)]
    acgan = ACGAN()
    assert [layer.filters for layer in acgan.discriminator.layers
            if isinstance(layer, keras.layers.Conv2D)] == [16, 32, 64, 128]
    assert [tuple(t.shape) for t in acgan.discriminator.outputs] == [(None, 1), (None, 10)]
    assert len(bn_moving_statistics(acgan.discriminator)) == 4
    assert len(bn_moving_statistics(acgan.generator)) == 6
    for model in (cgan, acgan):
        model.compile()
        assert isinstance(model.d_optimizer, keras.optimizers.Adam)
        assert float(ops.convert_to_numpy(model.g_optimizer.learning_rate)) == pytest.approx(2e-4)


@pytest.mark.parametrize(
    "factory, name, received",
    [
        (lambda: CGAN(num_classes=1), "num_classes", "1"),
        (lambda: CGAN(dropout_rate=1.0), "dropout_rate", "1.0"),
        (lambda: ACGAN(input_shape=(30, 30, 1)), "input_shape", r"\(30, 30, 1\)"),
        (lambda: ACGAN(latent_dim=0), "latent_dim", "0"),
    ],
)
def test_bad_hyperparameters_raise(factory, name, received):
    with pytest.raises(ValueError, match=rf"`{name}`.*Received: .*{received}"):
        factory()


# Short real trainings: the samples become the class asked for.


# (class, images, epochs): CGAN's MLPs learn the classes within 1,000
# steps; Keras-GAN's ACGAN convolutions need about as many steps at several
# times the cost (a slow test).
TRAININGS = [
    pytest.param(CGAN, 16384, 4, id="cgan"),
    pytest.param(ACGAN, 16384, 4, id="acgan", marks=pytest.mark.slow),
]


@pytest.mark.parametrize("cls, images, epochs", TRAININGS)
def test_training_draws_the_class_asked_for(cls, images, epochs, mnist_images):
    from keras_gen.evaluation import conditional_accuracy

    (x_train, y_train), _ = mnist_images
    keras.utils.set_random_seed(0)
    model = cls(seed=0)
    model.compile()
    before = conditional_accuracy(model, num_samples=1000)["conditional_accuracy"]
    history = model.fit(x_train[:images] * 2 - 1, y_train[:images], batch_size=64,
                        epochs=epochs, verbose=0).history
    after = conditional_accuracy(model, num_samples=1000)["conditional_accuracy"]
    assert all(np.isfinite(values).all() for values in history.values())
    assert after > 0.5 and after > before + 0.3, (before, after)


@pytest.mark.parametrize("name", sorted(MODEL_FACTORIES))
def test_keras_gans_train_loop_draws_labelled_batches(name, tmp_path):
    # Keras-GAN's `train()`: iterations of random labelled batches, pictures
    # whose sample i is drawn as class i % 10.
    model = make_model(name)
    x, y = labelled_batch(64)
    model.train(epochs=3, batch_size=8, save_interval=2, x=x, y=y,
                directory=str(tmp_path), verbose=0)
    assert int(model.g_optimizer.iterations) == 3
    assert len(list((tmp_path / "generated_images").glob("*.png"))) == 2
    with pytest.raises(ValueError, match=r"`y` must be an array of the integer labels"):
        model.train(epochs=1, x=x, directory=str(tmp_path), verbose=0)


def test_style_grid_draws_a_row_per_class_when_asked():
    from keras_gen.callbacks import StyleGrid, tile_images, to_uint8

    model = make_model("cgan")
    grid = StyleGrid(num_rows=3, classes_in_rows=True, value_range=(-1, 1))
    grid.set_model(model)
    picture = grid.picture()
    styles = model.sample_prior(3, seed=0)
    expected = to_uint8(model.decode(np.tile(styles, (10, 1)), labels=np.repeat(np.arange(10), 3)),
                        (-1, 1))
    np.testing.assert_array_equal(grid.make_picture(), tile_images(expected, rows=10, columns=3,
                                                                   padding=grid.padding))
    assert picture.shape[0] > picture.shape[1]  # Ten rows, three columns.
