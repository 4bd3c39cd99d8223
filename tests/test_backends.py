"""Every model trains, saves and reloads on JAX and PyTorch as on TensorFlow.

The adversarial models take their gradients in `keras_gen.backend`, one
module per backend; these tests prove on JAX and PyTorch what the TensorFlow
tests prove (each phase moves its own player only, the updates match
TensorFlow's, save/load and `BackupAndRestore` resume with every optimizer),
and that a `.keras` file saved on one backend loads and resumes on another.
Each backend runs in its own interpreter, since Keras picks the backend at
import time.
"""

import importlib.util
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

SCRIPT = textwrap.dedent(
    """
    import sys
    import keras
    import numpy as np
    from keras_gen import DenoisingAutoencoder, VariationalAutoencoder

    assert keras.backend.backend() == sys.argv[1], keras.backend.backend()
    path = sys.argv[2]
    x = np.random.default_rng(0).random((128, 784), dtype="float32")
    models = [
        VariationalAutoencoder(intermediate_dim=32, seed=1),
        DenoisingAutoencoder(latent_space=4, mask_fraction=0.2, seed=1),
    ]
    for model in models:
        model.compile("adam")
        history = model.fit(x, epochs=3, batch_size=32, verbose=0).history
        assert history["loss"][-1] < history["loss"][0], history
        model.save(path)
        loaded = keras.saving.load_model(path)
        np.testing.assert_array_equal(
            loaded.predict(x, verbose=0), model.predict(x, verbose=0)
        )
        assert int(loaded.optimizer.iterations) == 12
    assert set(history) == {"loss"}
    vae_history = models[0].history.history
    assert set(vae_history) == {"loss", "reconstruction_loss", "kl_loss"}
    print("ok")
    """
)


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_models_work_on_backend(backend, tmp_path):
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} is not installed (pip install {backend})")
    env = {**os.environ, "KERAS_BACKEND": backend}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, backend, str(tmp_path / "model.keras")],
        env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("ok")


# The adversarial models. Each script runs in a fresh interpreter too.

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))

# Shared by the scripts below. argv[1] is tests/ (for player_checks),
# argv[2] the expected backend.
ADVERSARIAL_COMMON = textwrap.dedent(
    """
    import sys
    import keras
    import numpy as np
    from keras import ops

    sys.path.insert(0, sys.argv[1])
    from player_checks import (
        assert_all_changed, assert_optimizers_restored, assert_unchanged,
        bn_moving_statistics, only_phase, optimizer_names, run_phase,
        same_config, snapshot,
    )
    from keras_gen import losses
    from keras_gen.models import GAN
    from keras_gen.models.adversarial import frozen
    from keras_gen.models.adversarial_autoencoder import AdversarialAutoencoder

    assert keras.backend.backend() == sys.argv[2], keras.backend.backend()
    rng = np.random.default_rng(0)
    # GAN data: in [-1, 1], around 0.5. AAE data: 4 binary patterns.
    X = {
        "gan": np.clip(0.5 + 0.1 * rng.standard_normal((64, 784)), -1, 1)
        .astype("float32"),
        "aae": (rng.random((4, 784)) < 0.3).astype("float32")[
            rng.integers(0, 4, 64)],
    }


    def make(name, dropout=0.2, optimizer=None):
        keras.utils.set_random_seed(0)
        if name == "gan":
            model = GAN(latent_dim=8, generator_units=(16, 32),
                        discriminator_units=(32, 16), seed=1)
        else:
            model = AdversarialAutoencoder(
                hidden_units=(32, 32), discriminator_units=(16, 16),
                dropout_rate=dropout, discriminator_dropout_rate=dropout,
                seed=1,
            )
        # Default optimizers, or a new `optimizer()` for every player.
        names = {"gan": ["d_optimizer", "g_optimizer"],
                 "aae": ["ae_optimizer", "d_optimizer", "g_optimizer"]}[name]
        model.compile(**{
            key: None if optimizer is None else optimizer() for key in names
        })
        return model


    def players(model):
        # {phase: (its optimizer, the variables it must change, the variables
        # it must leave bit-identical: every variable of the other networks,
        # BatchNorm statistics and dropout seed states included)}.
        d = model.discriminator
        if isinstance(model, AdversarialAutoencoder):
            e, dec = model.encoder, model.decoder
            return {
                "reconstruction_step": (
                    "ae_optimizer",
                    e.trainable_variables + dec.trainable_variables,
                    d.variables),
                "discriminator_step": (
                    "d_optimizer", d.trainable_variables,
                    e.variables + dec.variables),
                "regularization_step": (
                    "g_optimizer", e.trainable_variables,
                    dec.variables + d.variables),
            }
        g = model.generator
        return {
            "discriminator_step": (
                "d_optimizer", d.trainable_variables, g.variables),
            "generator_step": (
                "g_optimizer", g.trainable_variables + bn_moving_statistics(g),
                d.variables),
        }
    """
)

ADVERSARIAL_TRAIN_SCRIPT = ADVERSARIAL_COMMON + textwrap.dedent(
    """
    name, path = sys.argv[3:5]
    x = X[name]
    batch = x[:16]

    # (a) Each phase, alone in `fit()`, changes its own player only and
    # steps its own optimizer only.
    for phase in players(make(name)):
        model = make(name)
        optimizer_name, changed, left = players(model)[phase]
        changed_before, left_before = snapshot(changed), snapshot(left)
        history = run_phase(model, phase, batch, "fit").history
        assert all(np.isfinite(v).all() for v in history.values()), history
        assert_all_changed(changed_before, changed)
        assert_unchanged(left_before, left)
        for other in optimizer_names(model):
            expected = int(other == optimizer_name)
            assert int(getattr(model, other).iterations) == expected, other
    print("phases ok")

    # No stale gradient leaks from one phase into a later one. The backward
    # pass of the generator (regularization) step goes through the
    # discriminator; a discriminator step run after it must do exactly what
    # it does from the same state restored, after another discriminator
    # step (so stale gradients of either kind would show). The phases run
    # eagerly on one tensor: in `fit()`, torch's CPU matmuls differ in the
    # last bit from run to run (fresh buffers), in eager calls they do not.
    # No dropout: Keras' torch backend draws the masks of unseeded Dropout
    # layers from torch's global generator, which the restore does not reset.
    model = make(name, dropout=0.0)
    inputs = model.unpack_batch(ops.convert_to_tensor(batch))
    for phase in players(model):
        if phase != "discriminator_step":
            getattr(model, phase)(inputs)
    state = model.variables + model.d_optimizer.variables
    saved = snapshot(state)
    results = []
    for _ in range(2):
        for variable, value in zip(state, saved):
            variable.assign(value)
        model.discriminator_step(inputs)
        results.append(snapshot(model.discriminator.variables))
    for first, second, variable in zip(*results, model.discriminator.variables):
        np.testing.assert_array_equal(first, second, err_msg=variable.path)
    print("no stale gradients ok")

    # (b) Each phase lowers its own loss on fixed inputs (no dropout here,
    # so the losses are deterministic), in a short training with finite
    # losses.
    def phase_losses(model):
        inputs = ops.convert_to_tensor(x)
        noise = ops.convert_to_tensor(
            np.random.default_rng(1).standard_normal((64, 8), "float32"))
        d = model.discriminator
        if name == "gan":
            fakes = model.generator(noise, training=False)
            return {
                "discriminator_step": losses.discriminator_loss(
                    d(inputs, training=False), d(fakes, training=False)),
                # The loss the step minimizes: batch statistics, as trained.
                "generator_step": losses.generator_loss(
                    frozen(d, model.generator(noise, training=True))),
            }
        prior = ops.convert_to_tensor(model.prior.sample_numpy(64, seed=1))
        codes = model.encoder(inputs, training=False)
        return {
            "reconstruction_step": losses.pixel_binary_crossentropy(
                inputs, model.decoder(codes, training=False)),
            "discriminator_step": losses.discriminator_loss(
                d(prior, training=False), d(codes, training=False)),
            "regularization_step": losses.generator_loss(
                d(codes, training=False)),
        }

    for phase in players(make(name)):
        model = make(name, dropout=0.0)
        before = float(phase_losses(model)[phase])
        with only_phase(model, phase):
            history = model.fit(x, batch_size=16, epochs=1, verbose=0).history
        assert all(np.isfinite(v).all() for v in history.values()), history
        after = float(phase_losses(model)[phase])
        assert np.isfinite(before) and after < before, (phase, before, after)
    model = make(name, dropout=0.0)
    history = model.fit(x, batch_size=16, epochs=2, verbose=0).history
    assert set(history) == set(model.trackers), history
    assert all(len(v) == 2 and np.isfinite(v).all() for v in history.values())
    print("training ok")

    # (c) Save, load, and resume training with every optimizer restored
    # (no dropout, whose seed states Keras does not save, so that the
    # resumed training is exactly the original's).
    model = make(name, dropout=0.0)
    model.fit(x[:32], batch_size=16, epochs=1, verbose=0)
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded) is type(model)
    assert same_config(loaded.get_config(), model.get_config())
    np.testing.assert_array_equal(
        loaded.generate(4, seed=3), model.generate(4, seed=3))
    assert_optimizers_restored(model, loaded, iterations=2)
    for m in (model, loaded):
        history = m.fit(x[:32], batch_size=16, epochs=1, shuffle=False,
                        verbose=0).history
        assert all(np.isfinite(v).all() for v in history.values()), history
    for optimizer_name in optimizer_names(model):
        assert int(getattr(loaded, optimizer_name).iterations) == 4
    for a, b in zip(loaded.variables, model.variables):
        np.testing.assert_allclose(
            ops.convert_to_numpy(a), ops.convert_to_numpy(b),
            rtol=1e-5, atol=1e-6, err_msg=a.path)
    print("save/load ok")
    """
)

# Two training steps of every phase, called by hand on fixed inputs; the
# noise and prior samples (drawn differently by each backend) are replaced
# by fixed NumPy draws, and SGD with momentum replaces Adam (whose first
# steps amplify tiny gradient differences to the learning rate).
ADVERSARIAL_MATCH_SCRIPT = ADVERSARIAL_COMMON + textwrap.dedent(
    """
    name, weights_path, output_path = sys.argv[3:6]
    model = make(name, dropout=0.0,
                 optimizer=lambda: keras.optimizers.SGD(0.05, momentum=0.5))
    if sys.argv[2] == "tensorflow":
        model.save_weights(weights_path)
    else:
        model.load_weights(weights_path)
    draws = np.random.default_rng(2)
    batch = model.unpack_batch(ops.convert_to_tensor(X[name][:16]))
    if name == "gan":
        model.sample_prior_codes = lambda n: ops.convert_to_tensor(
            draws.standard_normal((n, 8), "float32"))
    else:
        model.sample_prior_codes = lambda n: ops.convert_to_tensor(
            model.prior.sample_numpy(16, seed=int(draws.integers(1000))))
    for _ in range(2):
        for phase in players(model):
            logs = getattr(model, phase)(batch)
            assert all(np.isfinite(ops.convert_to_numpy(v))
                       for v in logs.values()), logs
    state = model.variables + model.optimizer.variables
    np.savez(output_path, *[ops.convert_to_numpy(v) for v in state])

    # A variable the loss does not use gets no gradient: the optimizer skips
    # it with a warning, on every backend alike.
    import warnings
    from keras_gen import backend

    used, unused = keras.Variable(np.ones(3)), keras.Variable(np.ones(2))
    optimizer = keras.optimizers.SGD(0.1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loss, aux = backend.minimize(
            lambda: (ops.sum(used * used), {"sum": ops.sum(used), "none": None}),
            [used, unused], optimizer,
        )
    assert any("Gradients do not exist" in str(w.message) for w in caught)
    assert float(loss) == 3.0 and float(aux["sum"]) == 3.0 and aux["none"] is None
    np.testing.assert_allclose(ops.convert_to_numpy(used), [0.8] * 3, rtol=1e-6)
    np.testing.assert_array_equal(ops.convert_to_numpy(unused), [1.0, 1.0])
    print("ok")
    """
)

# A `.keras` file saved on one backend loads on another with every optimizer,
# gives the same outputs and resumes training.
CROSS_BACKEND_SCRIPT = ADVERSARIAL_COMMON + textwrap.dedent(
    """
    mode, directory = sys.argv[3:5]
    for name in ("gan", "aae"):
        path = f"{directory}/{name}.keras"
        outputs_path = f"{directory}/{name}_outputs.npy"
        x = X[name][:32]
        if mode == "save":
            model = make(name, dropout=0.0)
            model.fit(x, batch_size=16, epochs=1, shuffle=False, verbose=0)
            model.save(path)
            np.save(outputs_path, model.generate(4, seed=3))
            continue
        model = keras.saving.load_model(path)
        np.testing.assert_allclose(
            model.generate(4, seed=3), np.load(outputs_path),
            rtol=1e-4, atol=1e-5)
        iterations = {
            key: int(optimizer.iterations)
            for key, optimizer in model.optimizer.optimizers.items()}
        assert set(iterations.values()) == {2}, iterations
        history = model.fit(x, batch_size=16, epochs=1, verbose=0).history
        assert all(np.isfinite(v).all() for v in history.values()), history
        for optimizer in model.optimizer.optimizers.values():
            assert int(optimizer.iterations) == 4
    print("ok")
    """
)

# `keras.callbacks.BackupAndRestore`: a run interrupted in its second epoch
# and restarted ends bit-identical to an uninterrupted one (no dropout, whose
# seed states Keras does not save).
BACKUP_SCRIPT = ADVERSARIAL_COMMON + textwrap.dedent(
    """
    name, directory = sys.argv[3:5]
    x = X[name][:48]


    class Interrupt(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 1:
                raise KeyboardInterrupt


    def train(backup, interrupt=False):
        model = make(name, dropout=0.0)
        callbacks = [keras.callbacks.BackupAndRestore(backup)]
        if interrupt:
            callbacks.append(Interrupt())
        model.fit(x, batch_size=16, epochs=3, shuffle=False,
                  callbacks=callbacks, verbose=0)
        return model


    uninterrupted = train(directory + "/a")
    try:
        train(directory + "/b", interrupt=True)
    except KeyboardInterrupt:
        pass
    else:
        raise AssertionError("not interrupted")
    resumed = train(directory + "/b")
    for a, b in zip(resumed.variables, uninterrupted.variables):
        np.testing.assert_array_equal(
            ops.convert_to_numpy(a), ops.convert_to_numpy(b), err_msg=a.path)
    assert_unchanged(snapshot(uninterrupted.optimizer.variables),
                     resumed.optimizer.variables)
    for optimizer in resumed.optimizer.optimizers.values():
        assert int(optimizer.iterations) == 9
    print("ok")
    """
)


def run_script(script, backend, *args):
    """Runs `script` under `KERAS_BACKEND=backend`; returns its stdout."""
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} is not installed (pip install {backend})")
    env = {**os.environ, "KERAS_BACKEND": backend}
    result = subprocess.run(
        [sys.executable, "-c", script, TESTS_DIR, backend, *map(str, args)],
        env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return result.stdout


# PyTorch only: on JAX the same properties are covered, faster, by the tests
# below (its updates match TensorFlow's, the phases' proofs in `fit()`, the
# cross-backend resume and BackupAndRestore); stale gradients are a PyTorch
# hazard (`.grad` accumulates), which JAX's functional gradients cannot have.
@pytest.mark.parametrize("backend", ["torch"])
@pytest.mark.parametrize("name", ["gan", "aae"])
def test_adversarial_models_train_save_and_resume(name, backend, tmp_path):
    output = run_script(
        ADVERSARIAL_TRAIN_SCRIPT, backend, name, tmp_path / "model.keras"
    )
    assert output.split() == [
        "phases", "ok", "no", "stale", "gradients", "ok", "training", "ok",
        "save/load", "ok",
    ]


@pytest.fixture(scope="module")
def tensorflow_updates(tmp_path_factory):
    """`get(name)`: the initial weights and TensorFlow's updated state, run once."""
    cache = {}

    def get(name):
        if name not in cache:
            directory = tmp_path_factory.mktemp(f"tensorflow_{name}")
            weights = directory / "initial.weights.h5"
            output = run_script(ADVERSARIAL_MATCH_SCRIPT, "tensorflow", name,
                                weights, directory / "state.npz")
            assert output.strip().endswith("ok")
            with np.load(directory / "state.npz") as arrays:
                cache[name] = weights, [arrays[key] for key in arrays.files]
        return cache[name]

    return get


@pytest.mark.parametrize("backend", ["jax", "torch"])
@pytest.mark.parametrize("name", ["gan", "aae"])
def test_updates_match_tensorflow(name, backend, tensorflow_updates, tmp_path):
    weights, expected = tensorflow_updates(name)
    output = run_script(
        ADVERSARIAL_MATCH_SCRIPT, backend, name, weights, tmp_path / "state.npz"
    )
    assert output.strip().endswith("ok")
    with np.load(tmp_path / "state.npz") as arrays:
        actual = [arrays[key] for key in arrays.files]
    assert len(actual) == len(expected) > 0
    for index, (a, b) in enumerate(zip(actual, expected)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5, err_msg=str(index))


@pytest.mark.parametrize(
    "saved_on, loaded_on",
    [("tensorflow", "jax"), ("tensorflow", "torch"), ("jax", "tensorflow")],
)
def test_saved_on_one_backend_resumes_on_another(saved_on, loaded_on, tmp_path):
    # The GAN and the adversarial autoencoder, in one interpreter a backend.
    for backend, mode in ((saved_on, "save"), (loaded_on, "load")):
        output = run_script(CROSS_BACKEND_SCRIPT, backend, mode, tmp_path)
        assert output.strip().endswith("ok")


@pytest.mark.parametrize("backend", ["tensorflow", "jax", "torch"])
def test_backup_and_restore_resumes_exactly(backend, tmp_path):
    assert run_script(BACKUP_SCRIPT, backend, "gan", tmp_path).strip().endswith("ok")


# The frozen-player proofs in `fit()` and the short real trainings of every
# adversarial model, from the TensorFlow test modules, run again under JAX,
# each module in a fresh interpreter. (PyTorch runs the
# same modules too: KERAS_BACKEND=torch python -m pytest tests/test_adversarial.py ...)
SELECTIONS = {
    "test_adversarial.py": "(bit_identical and fit) or moves_sample or passed_in",
    "test_ebgan.py": "(bit_identical and fit) or learns_mnist",
    "test_adversarial_autoencoder.py": (
        "(each_phase_updates_only_its_own_variables and fit) "
        "or reconstructs_better or error_drops"
    ),
    # The four GAN variants: phases, NumPy losses, the penalty's closed-form
    # update (second-order gradients), the n_critic rhythm, clipping, resume.
    "test_gan_variants.py": (
        "(bit_identical and fit) or closed_form or n_critic or clipped or rhythm "
        "or backup_and_restore "
        "or match_numpy or critics_means or boundary_loss"
    ),
    # CGAN and ACGAN: the phases in fit(), the NumPy losses, exact resume.
    "test_conditional_gans.py": "(bit_identical and fit) or numpy or resume",
    # Keras' own BackupAndRestore and ModelCheckpoint: random states and epoch.
    "test_keras_resume.py": "keras or weights",
    # InfoGAN: the phases in fit(), both losses with the information term, resume.
    "test_infogan.py": "(bit_identical and fit) or numpy or resume",
    # BiGAN: the phases in fit() (generator and encoder one player), NumPy losses, resume.
    "test_bigan.py": "fit or numpy or resume",
    # CoGAN: the phases in fit(), NumPy losses, the unpaired second domain, resume.
    "test_cogan.py": "fit or numpy or apart or resume",
    # SGAN, both objectives: the phases in fit(), the NumPy losses, resume.
    "test_sgan.py": "(bit_identical and fit) or numpy or salimans or (resume and feature)",
    # The β-VAE's and the conditional VAE's losses against NumPy, labels, resume.
    "test_vae_variants.py": "not learns_to_draw and not larger_beta",
}


# PyTorch runs the GAN variants' module too: eagerly, its gradient of a
# gradient is autograd's `create_graph`, unlike anything else here.
BACKEND_RUNS = [("jax", module) for module in sorted(SELECTIONS)] + [
    ("torch", "test_gan_variants.py"), ("torch", "test_vae_variants.py"),
    ("torch", "test_conditional_gans.py"), ("torch", "test_infogan.py"),
    ("torch", "test_sgan.py"), ("torch", "test_bigan.py"),
    ("torch", "test_cogan.py")]


@pytest.mark.parametrize("backend, module", BACKEND_RUNS)
def test_adversarial_proofs_and_trainings_pass_on_other_backends(backend, module):
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} is not installed (pip install {backend})")
    env = {**os.environ, "KERAS_BACKEND": backend}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         os.path.join(TESTS_DIR, module), "-k", SELECTIONS[module]],
        env=env, capture_output=True, text=True, timeout=900,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and " failed" not in result.stdout
