"""The paper's semi-supervised recipe: input noise, squared error, SGD schedules."""

import importlib.util
import os
import re
import subprocess
import sys

import keras
import numpy as np
import pytest
from keras import ops

import keras_gen
from keras_gen import losses
from keras_gen.models import semi_supervised_adversarial_autoencoder as semi
from player_checks import assert_unchanged, only_phase, snapshot

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


# The supervised phase every k-th batch (`supervised_interval`). The tests
# below that `OTHER_BACKENDS` selects run on JAX and PyTorch too, each
# backend in a fresh interpreter (the last test): the per-step proofs in
# compiled steps, save/load and `steps_per_execution` (JAX). Interval 1 is
# `backend.minimize()` itself, and `BackupAndRestore` restores the step
# count with every optimizer variable (tests/test_backends.py), so those
# two run here only.
OTHER_BACKENDS = "supervised_interval and not default and not backup and not bad"


def interval_data(num_batches=4, seed=0):
    """`num_batches` batches of 8 unlabelled and 6 labelled inputs."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, (8 * num_batches, *SHAPE)).astype("float32")
    x_labelled = rng.uniform(0, 1, (9, *SHAPE)).astype("float32")
    return keras_gen.make_semi_supervised_dataset(
        x, x_labelled, np.arange(9) % 3, batch_size=8, labelled_batch_size=6,
        num_classes=3, seed=seed)


def c_slots(model):
    """`c_optimizer`'s slots (momentum): what a kept step moves, a skipped one keeps."""
    optimizer = model.c_optimizer
    return [v for v in optimizer.variables
            if v is not optimizer.iterations and v.name != "learning_rate"]


GROUPS = {
    "classifier": lambda model: model.classifier.trainable_variables,
    "c_slots": c_slots,
    "decoder": lambda model: model.decoder.trainable_variables,
    "discriminator": lambda model: model.discriminator.trainable_variables,
}


class Changes(keras.callbacks.Callback):
    """Which groups of variables each step (execution) changed: all or none.

    `self.changes[group]` lists, per `on_train_batch_end`, True (every
    variable moved), False (all bit-identical) or "some".
    """

    def on_train_begin(self, logs=None):
        self.changes = {group: [] for group in GROUPS}
        self.last = self.snapshot()

    def snapshot(self):
        # `self.model`: on JAX, reading it syncs the variables from fit's state.
        return {group: snapshot(get(self.model)) for group, get in GROUPS.items()}

    def on_train_batch_end(self, batch, logs=None):
        current = self.snapshot()
        for group, values in current.items():
            moved = [not np.array_equal(a, b) for a, b in zip(values, self.last[group])]
            self.changes[group].append(all(moved) or ("some" if any(moved) else False))
        self.last = current


def fit_recording(model, epochs=2, **kwargs):
    """Fits `epochs` epochs of `interval_data()`; returns the `Changes`."""
    changes = Changes()
    model.fit(interval_data(), epochs=epochs, verbose=0, callbacks=[changes], **kwargs)
    return changes.changes


def interval_model(interval, steps_per_execution=1, **options):
    """A small model whose c_optimizer has momentum (a slot to keep)."""
    keras.utils.set_random_seed(0)
    model = small(supervised_interval=interval, **options)
    model.compile(c_optimizer=keras.optimizers.SGD(0.1, momentum=0.9),
                  steps_per_execution=steps_per_execution)
    return model


def test_supervised_interval_phase_updates_on_every_kth_step_only():
    # The classification phase alone: the classifier (which shares the
    # encoder's layers with the other phases) and c_optimizer's momentum move
    # on steps 0, 3 and 6 of 8 and are bit-identical on the others.
    model = interval_model(3)
    with only_phase(model, "classification_step"):
        changes = fit_recording(model)
    expected = [step % 3 == 0 for step in range(8)]
    assert changes["classifier"] == expected
    assert changes["c_slots"] == expected
    assert changes["decoder"] == changes["discriminator"] == [False] * 8
    # The step count goes on: it is the global step the phase counts with.
    assert int(model.c_optimizer.iterations) == 8


def test_supervised_interval_other_phases_update_every_step():
    model = interval_model(3)
    changes = fit_recording(model)
    assert changes["c_slots"] == [step % 3 == 0 for step in range(8)]
    assert changes["decoder"] == changes["discriminator"] == [True] * 8
    for optimizer in model.optimizer.optimizers.values():
        assert int(optimizer.iterations) == 8


def test_supervised_interval_skipped_step_is_the_other_three_phases():
    # A skipped step ends exactly where a step of the reconstruction,
    # discriminator and regularization phases alone does: the classification
    # phase leaves no trace in any weight or optimizer slot.
    model = interval_model(2, dropout_rate=0.0, discriminator_dropout_rate=0.0)
    model.fit(interval_data(1), epochs=1, verbose=0)  # Step 0, kept.
    state = model.variables + model.optimizer.variables
    saved = snapshot(state)
    compared = model.trainable_variables + [
        v for v in model.optimizer.variables if v is not model.c_optimizer.iterations]

    model.fit(interval_data(1, seed=1), epochs=1, verbose=0)  # Step 1, skipped.
    skipped = snapshot(compared)
    for variable, value in zip(state, saved):
        variable.assign(value)
    # The step without its classification phase: the unsupervised AAE's.
    three_phases = keras_gen.AdversarialAutoencoder.train_step
    model.__class__ = type("ThreePhases", (type(model),), {"train_step": three_phases})
    model.train_function = None
    model.fit(interval_data(1, seed=1), epochs=1, verbose=0)
    assert_unchanged(skipped, compared)


def test_supervised_interval_one_is_the_default_bit_for_bit():
    weights = []
    for options in ({}, {"supervised_interval": 1}):
        keras.utils.set_random_seed(0)
        model = small(**options)
        model.compile()
        model.fit(interval_data(), epochs=2, verbose=0)
        weights.append(snapshot(model.variables + model.optimizer.variables))
    assert len(weights[0]) == len(weights[1])
    for a, b in zip(*weights):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("interval, steps_per_execution", [(2, 2), (3, 2)])
def test_supervised_interval_counts_steps_inside_executions(
    interval, steps_per_execution
):
    # Callbacks see whole executions: execution e runs steps 2e and 2e + 1,
    # and changes the slots if one of them is a multiple of the interval.
    if keras.backend.backend() == "torch":
        pytest.skip("Keras' PyTorch trainer runs one step per execution")
    model = interval_model(interval, steps_per_execution)
    changes = fit_recording(model)
    assert changes["c_slots"] == [
        any(step % interval == 0 for step in (2 * e, 2 * e + 1)) for e in range(4)]
    assert changes["decoder"] == [True] * 4
    assert int(model.c_optimizer.iterations) == 8
    # The same 8 steps, one per execution.
    reference = interval_model(interval)
    reference.fit(interval_data(), epochs=2, verbose=0)
    for a, b in zip(reference.variables + reference.optimizer.variables,
                    model.variables + model.optimizer.variables):
        np.testing.assert_allclose(
            ops.convert_to_numpy(a), ops.convert_to_numpy(b), rtol=1e-5, atol=1e-6,
            err_msg=a.path)


def test_supervised_interval_survives_save_load_and_resumes_the_count(tmp_path):
    model = interval_model(3)
    config = model.get_config()
    assert config["supervised_interval"] == 3
    assert type(model).from_config(config).supervised_interval == 3
    assert small().get_config()["supervised_interval"] == 1
    model.fit(interval_data(), epochs=1, verbose=0)  # Steps 0-3.
    model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras")
    assert loaded.supervised_interval == 3
    assert int(loaded.c_optimizer.iterations) == 4
    # Steps 4-7: kept on step 6 only.
    assert fit_recording(loaded, epochs=1)["c_slots"] == [False, False, True, False]


def test_supervised_interval_resumes_with_backup_and_restore(tmp_path):
    class Interrupt(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 1:
                raise KeyboardInterrupt

    def train(directory, interrupt=False):
        model = interval_model(3, dropout_rate=0.0, discriminator_dropout_rate=0.0)
        callbacks = [keras_gen.callbacks.BackupAndRestore(tmp_path / directory)]
        model.fit(interval_data(), epochs=2, verbose=0,
                  callbacks=callbacks + [Interrupt()] * interrupt)
        return model

    uninterrupted = train("a")
    with pytest.raises(KeyboardInterrupt):
        train("b", interrupt=True)
    resumed = train("b")  # Epoch 2: steps 4-7, kept on step 6.
    assert int(resumed.c_optimizer.iterations) == 8
    for a, b in zip(resumed.variables + resumed.optimizer.variables,
                    uninterrupted.variables + uninterrupted.optimizer.variables):
        np.testing.assert_array_equal(
            ops.convert_to_numpy(a), ops.convert_to_numpy(b), err_msg=a.path)


@pytest.mark.parametrize("value", [0, -1, 1.5, "2", True])
def test_bad_supervised_interval_raises(value):
    with pytest.raises(
        ValueError,
        match=rf"`supervised_interval` must be a positive integer\. "
              rf"Received: supervised_interval={re.escape(repr(value))}$",
    ):
        small(supervised_interval=value)


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_interval_tests_pass_on_other_backends(backend):
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} is not installed (pip install {backend})")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", __file__,
         "-k", OTHER_BACKENDS],
        env={**os.environ, "KERAS_BACKEND": backend}, capture_output=True,
        text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and " failed" not in result.stdout


def test_minimize_every_refuses_a_bad_interval_or_an_unbuilt_optimizer():
    from keras_gen.models.adversarial import minimize_every

    variable = keras.Variable(1.0)
    optimizer = keras.optimizers.SGD(0.1, momentum=0.9)

    def loss():
        return variable * variable, None

    with pytest.raises(ValueError, match="`interval` must be a positive integer.*"
                                         "Received: interval=0"):
        minimize_every(loss, [variable], optimizer, 0)
    with pytest.raises(ValueError, match="must be built first.*Received: an unbuilt SGD"):
        minimize_every(loss, [variable], optimizer, 2)
    optimizer.build([variable])
    minimize_every(loss, [variable], optimizer, 2)  # Step 0: kept.
    assert float(variable.numpy()) == pytest.approx(0.8)
    minimize_every(loss, [variable], optimizer, 2)  # Step 1: put back.
    assert float(variable.numpy()) == pytest.approx(0.8)
