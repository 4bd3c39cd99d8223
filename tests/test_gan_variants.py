"""LSGAN, BGAN, WGAN and WGAN-GP: frozen players, losses, n_critic, clipping, the penalty.

The shared checks of `player_checks` prove, for each model and each phase,
which variables move and which stay bit-identical; the losses are compared
with NumPy; the gradient penalty and the critic update it causes with the
closed form of a linear critic. `tests/test_backends.py` runs this module
again on JAX and PyTorch.
"""

import keras
import numpy as np
import pytest
from keras import ops

import keras_gen
from keras_gen.models import BGAN, GAN, LSGAN, WGAN, WGANGP

from player_checks import (
    assert_all_changed,
    assert_unchanged,
    batch_for,
    bn_moving_statistics,
    check_discriminator_step_freezes_generator,
    check_fit_rejects,
    check_generator_step_freezes_discriminator,
    check_save_load_restores,
    check_training_resumes,
    make_compiled,
    numpy_forward,
    run_phase,
    snapshot,
    upcoming_noise,
)

SMALL_MLP = dict(latent_dim=8, generator_units=(16, 32), discriminator_units=(32, 16), seed=1)

MODEL_FACTORIES = {
    "lsgan": lambda: LSGAN(**SMALL_MLP),
    "bgan": lambda: BGAN(**SMALL_MLP),
    # n_critic=1: the generator's turn on every batch, for the shared checks.
    "wgan": lambda: WGAN(latent_dim=8, n_critic=1, seed=1),
    "wgan_gp": lambda: WGANGP(latent_dim=8, n_critic=1, seed=1),
}
METRIC_NAMES = {
    "lsgan": {"d_loss", "g_loss", "d_acc", "d_x", "d_g_z1", "d_g_z2"},
    "bgan": {"d_loss", "g_loss", "d_acc", "d_x", "d_g_z1", "d_g_z2"},
    "wgan": {"d_loss", "g_loss"},
    "wgan_gp": {"d_loss", "g_loss", "gradient_penalty"},
}


def make_model(name):
    return make_compiled(MODEL_FACTORIES[name])


# The frozen-player proofs, each phase alone, eagerly and in fit().


@pytest.mark.parametrize("mode", ["eager", "fit"])
@pytest.mark.parametrize("name", sorted(MODEL_FACTORIES))
def test_discriminator_step_leaves_the_generator_bit_identical(name, mode):
    # The Wasserstein critics have Keras-GAN's BatchNorm; the MLPs have none.
    model = make_model(name)
    wasserstein = name.startswith("wgan")
    # mean(D(G(z))) - mean(D(x)) does not depend on the critic's output bias.
    constant = [model.critic.layers[-1].bias] if wasserstein else []
    check_discriminator_step_freezes_generator(
        model, mode, discriminator_has_batchnorm=wasserstein, constant=constant)


@pytest.mark.parametrize("mode", ["eager", "fit"])
@pytest.mark.parametrize("name", sorted(MODEL_FACTORIES))
def test_generator_step_leaves_the_discriminator_bit_identical(name, mode):
    check_generator_step_freezes_discriminator(make_model(name), mode)


@pytest.mark.parametrize("name", sorted(MODEL_FACTORIES))
def test_fit_updates_both_players_and_logs_its_keys(name):
    model = make_model(name)
    # The kernels: a clipped critic's tiny scores move the generator's
    # BatchNorm scales by less than float32 resolves at 1.0.
    kernels = [v for v in model.generator.trainable_variables
               + model.discriminator.trainable_variables if v.path.endswith("kernel")]
    before = snapshot(kernels)
    history = model.fit(batch_for(model), batch_size=8, epochs=2, verbose=0).history
    assert set(history) == METRIC_NAMES[name]
    assert all(np.isfinite(values).all() and len(values) == 2
               for values in history.values())
    assert int(model.d_optimizer.iterations) == int(model.g_optimizer.iterations) == 4
    assert_all_changed(before, kernels)
    metrics = model.evaluate(batch_for(model), verbose=0, return_dict=True)
    assert set(metrics) == METRIC_NAMES[name]


# The losses each phase minimizes, against NumPy.


def run_both_phases_with_numpy_scores(name):
    """Runs each phase of a fresh model, with NumPy's scores of what it scored.

    Returns:
        `(d_logs, real_scores, fake_scores, g_logs, generator_fake_scores)`:
        the discriminator phase's logs and the discriminator's scores of the
        real batch and of its fakes (from before its update), then the
        generator phase's logs and the updated discriminator's scores of the
        generator's fakes (the generator in training mode).
    """
    model = make_model(name)
    real = batch_for(model, size=32)
    z1, z2 = upcoming_noise(model, 32, num_draws=2)
    fake = numpy_forward(model.generator, z1, training=False)
    real_scores = numpy_forward(model.discriminator, real)[:, 0]
    fake_scores = numpy_forward(model.discriminator, fake)[:, 0]
    d_logs = model.discriminator_step(real)
    fake = numpy_forward(model.generator, z2, training=True)
    g_scores = numpy_forward(model.discriminator, fake)[:, 0]
    g_logs = model.generator_step(real)
    return d_logs, real_scores, fake_scores, g_logs, g_scores


def test_lsgan_losses_match_numpy():
    d_logs, real, fake, g_logs, g_scores = run_both_phases_with_numpy_scores("lsgan")
    expected = 0.5 * (np.mean((real - 1) ** 2) + np.mean(fake**2))
    np.testing.assert_allclose(float(d_logs["d_loss"]), expected, rtol=1e-5)
    np.testing.assert_allclose(float(d_logs["d_x"]), real.mean(), rtol=1e-5)
    np.testing.assert_allclose(float(g_logs["g_loss"]), np.mean((g_scores - 1) ** 2),
                               rtol=1e-5)


def test_bgan_generator_loss_matches_keras_gans_boundary_loss():
    d_logs, real, fake, g_logs, p = run_both_phases_with_numpy_scores("bgan")
    d_loss = 0.5 * (-np.log(real).mean() - np.log(1 - fake).mean())
    np.testing.assert_allclose(float(d_logs["d_loss"]), d_loss, rtol=1e-5)
    expected = 0.5 * np.mean((np.log(p) - np.log(1 - p)) ** 2)
    np.testing.assert_allclose(float(g_logs["g_loss"]), expected, rtol=1e-4)


def linear_critic(input_shape, w):
    """`D(x) = w . flatten(x)`: its gradient is `w` everywhere."""
    images = keras.Input(shape=input_shape)
    dense = keras.layers.Dense(1, use_bias=False)
    critic = keras.Model(images, dense(keras.layers.Flatten()(images)), name="critic")
    dense.kernel.assign(w)
    return critic


def tiny_generator(latent_dim, image_shape):
    """A generator without BatchNorm (its training flag changes nothing)."""
    noise = keras.Input(shape=(latent_dim,))
    x = keras.layers.Dense(int(np.prod(image_shape)), activation="tanh")(noise)
    return keras.Model(noise, keras.layers.Reshape(image_shape)(x), name="generator")


@pytest.mark.parametrize("mode", ["eager", "fit"])
def test_gradient_penalty_and_its_update_match_the_closed_form(mode):
    shape, lam, lr = (4, 4, 1), 10.0, 0.01
    w = np.random.default_rng(5).normal(size=(16, 1)).astype("float32") * 0.7
    keras.utils.set_random_seed(0)
    model = WGANGP(input_shape=shape, latent_dim=3, gradient_penalty_weight=lam,
                   generator=tiny_generator(3, shape),
                   discriminator=linear_critic(shape, w), seed=2)
    model.compile(d_optimizer=keras.optimizers.SGD(lr))
    real = batch_for(model, size=8)
    (z,) = upcoming_noise(model, 8)
    fake = ops.convert_to_numpy(model.generator(z, training=False))
    history = run_phase(model, "discriminator_step", real, mode)
    logged = history if mode == "eager" else {k: v[0] for k, v in history.history.items()}

    norm = np.linalg.norm(w)
    np.testing.assert_allclose(float(logged["gradient_penalty"]), lam * (norm - 1) ** 2,
                               rtol=1e-5)
    real_mean, fake_mean = real.reshape(8, -1).mean(0), fake.reshape(8, -1).mean(0)
    np.testing.assert_allclose(
        float(logged["d_loss"]),
        float((fake_mean - real_mean) @ w[:, 0]) + lam * (norm - 1) ** 2, rtol=1e-5)
    # The penalty's own gradient, 2 lam (|w| - 1) w / |w|, is in the step.
    expected = w - lr * ((fake_mean - real_mean)[:, None] + 2 * lam * (norm - 1) * w / norm)
    np.testing.assert_allclose(ops.convert_to_numpy(model.critic.weights[0]), expected,
                               rtol=1e-5, atol=1e-6)


def test_wgan_losses_are_the_critics_means():
    keras.utils.set_random_seed(0)
    shape = (4, 4, 1)
    w = np.linspace(-0.01, 0.01, 16, dtype="float32")[:, None]
    # n_critic=1: the generator's turn after this critic update.
    model = WGAN(input_shape=shape, latent_dim=3, generator=tiny_generator(3, shape),
                 discriminator=linear_critic(shape, w), n_critic=1, seed=2)
    model.compile()
    real = batch_for(model, size=8)
    z1, z2 = upcoming_noise(model, 8, num_draws=2)
    fake = ops.convert_to_numpy(model.generator(z1, training=False))
    logs = model.discriminator_step(real)
    expected = float((fake.reshape(8, -1).mean(0) - real.reshape(8, -1).mean(0)) @ w[:, 0])
    np.testing.assert_allclose(float(logs["d_loss"]), expected, rtol=1e-5, atol=1e-8)
    w_after = ops.convert_to_numpy(model.critic.weights[0])
    fake = ops.convert_to_numpy(model.generator(z2, training=True))
    logs = model.generator_step(real)
    np.testing.assert_allclose(float(logs["g_loss"]),
                               -float(fake.reshape(8, -1).mean(0) @ w_after[:, 0]),
                               rtol=1e-5, atol=1e-8)
    # Off its turn the phase runs no update and reports 0, which the
    # history's average leaves out.
    model.n_critic = 2
    model.discriminator_step(real)  # d_optimizer.iterations: 2, the turn.
    model.discriminator_step(real)  # 3: not the turn.
    assert float(model.generator_step(real)["g_loss"]) == 0.0
    assert int(model.g_optimizer.iterations) == 1


def test_wgan_history_averages_g_loss_over_the_generator_updates(monkeypatch):
    keras.utils.set_random_seed(0)
    model = WGAN(latent_dim=8, n_critic=3, seed=1)
    model.compile()
    x = batch_for(model, size=8 * 6)
    seen = []
    original = model.update_metrics

    def recording(logs, weights=None):
        seen.append((logs["g_loss"], (weights or {}).get("g_loss")))
        return original(logs, weights)

    monkeypatch.setattr(model, "update_metrics", recording)
    model.compile(run_eagerly=True)
    history = model.fit(x, batch_size=8, epochs=1, verbose=0, shuffle=False).history
    values = [float(ops.convert_to_numpy(v)) for v, _ in seen]
    turns = [float(ops.convert_to_numpy(w)) for _, w in seen]
    assert turns == [0, 0, 1, 0, 0, 1]
    assert values[2] != 0 and values[5] != 0
    np.testing.assert_allclose(history["g_loss"][0], (values[2] + values[5]) / 2, rtol=1e-6)


# n_critic and clipping, batch by batch inside fit().


@pytest.mark.parametrize("cls", [WGAN, WGANGP], ids=["wgan", "wgan_gp"])
def test_generator_moves_on_every_n_critic_th_batch_only(cls):
    keras.utils.set_random_seed(0)
    model = cls(latent_dim=8, n_critic=3, seed=1)
    model.compile()
    x = batch_for(model, size=8)
    generator_state = model.generator.variables + model.g_optimizer.variables
    statistics = bn_moving_statistics(model.generator)
    assert statistics
    for step in range(1, 8):
        before = snapshot(generator_state)
        critic_kernels = [v for v in model.critic.trainable_variables
                          if v.path.endswith("kernel")]
        critic_before = snapshot(critic_kernels)
        model.fit(x, batch_size=8, epochs=1, verbose=0)
        assert_all_changed(critic_before, critic_kernels)
        if step % 3 == 0:
            # Its kernels move (a clipped critic moves BatchNorm scales by
            # less than float32 resolves); `g_optimizer.iterations` below.
            moved = [not np.array_equal(a, ops.convert_to_numpy(v))
                     for a, v in zip(before, generator_state) if v.path.endswith("kernel")]
            assert moved and all(moved), step
        else:
            assert_unchanged(before, generator_state)  # BatchNorm statistics included.
        assert int(model.d_optimizer.iterations) == step
        assert int(model.g_optimizer.iterations) == step // 3


@pytest.mark.parametrize("run_eagerly", [False, True], ids=["compiled", "eager"])
def test_a_skipped_generator_update_equals_the_put_back_one(run_eagerly, monkeypatch):
    # Where the backend branches (TensorFlow, PyTorch), a skipped step runs
    # nothing of the generator's phase; elsewhere (JAX) the update is put
    # back. The two train the same model (XLA may fuse the two graphs
    # differently: 1e-6). The critic has no Dropout: on PyTorch, Keras'
    # unseeded Dropout draws from torch's global generator, which only the
    # put-back route's extra forward pass advances.
    from keras_gen.models import adversarial

    def train():
        keras.utils.set_random_seed(0)
        w = np.random.default_rng(3).normal(0, 0.02, (784, 1)).astype("float32")
        model = WGANGP(latent_dim=8, n_critic=3, seed=1,
                       discriminator=linear_critic((28, 28, 1), w))
        model.compile(run_eagerly=run_eagerly)
        x = batch_for(model, size=8 * 7)
        history = model.fit(x, batch_size=8, epochs=1, verbose=0, shuffle=False).history
        assert int(model.g_optimizer.iterations) == 2
        return snapshot(model.variables), history

    branched, branched_history = train()
    monkeypatch.setattr(adversarial.backend, "branch", lambda *args: None)
    put_back, put_back_history = train()
    for a, b in zip(branched, put_back):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
    for key in put_back_history:
        np.testing.assert_allclose(branched_history[key], put_back_history[key], rtol=1e-6)


def test_a_skipped_generator_update_computes_no_gradient(monkeypatch):
    # Eagerly, count the gradient computations of the generator's update.
    from keras_gen import backend
    from keras_gen.models import adversarial

    if backend.branch(ops.convert_to_tensor(True), lambda: 1, lambda: 0) is None:
        pytest.skip(f"{backend.BACKEND} puts a skipped update back (no branch)")
    calls = []
    original = adversarial.backend.minimize

    def counting(loss_fn, variables, optimizer):
        calls.append(optimizer)
        return original(loss_fn, variables, optimizer)

    monkeypatch.setattr(adversarial.backend, "minimize", counting)
    keras.utils.set_random_seed(0)
    model = WGAN(latent_dim=8, n_critic=3, seed=1)
    model.compile(run_eagerly=True)
    model.fit(batch_for(model, size=8 * 6), batch_size=8, epochs=1, verbose=0)
    assert sum(o is model.g_optimizer for o in calls) == 2  # Steps 3 and 6 of 6.
    assert sum(o is model.d_optimizer for o in calls) == 6
    assert int(model.g_optimizer.iterations) == 2


def test_the_critics_weights_stay_clipped_after_every_step():
    keras.utils.set_random_seed(0)
    model = WGAN(latent_dim=8, n_critic=2, clip_value=0.02, seed=1)
    model.compile(d_optimizer=keras.optimizers.SGD(1.0))  # Steps far past the bound.
    x = batch_for(model, size=8)
    weights = model.critic.trainable_variables
    for _ in range(3):
        model.fit(x, batch_size=8, epochs=1, verbose=0)
        largest = max(np.abs(ops.convert_to_numpy(v)).max() for v in weights)
        assert largest == pytest.approx(0.02)  # At the bound, not past it.
    # The moving statistics are not weights: Keras-GAN clipped them too.
    assert np.abs(ops.convert_to_numpy(bn_moving_statistics(model.critic)[1])).max() > 0.02


# Save, load, resume, configs, bad input.


@pytest.mark.parametrize("name", sorted(MODEL_FACTORIES))
def test_save_load_restores_outputs_optimizers_and_resumes(name, tmp_path):
    model = make_model(name)
    x = batch_for(model, size=32)
    loaded = check_save_load_restores(model, x, tmp_path)
    # Keras-GAN's critic has dropout, whose seed states Keras does not save.
    check_training_resumes(model, loaded, x, exactly=not name.startswith("wgan"))


def test_resume_keeps_the_n_critic_rhythm(tmp_path):
    # Two epochs of 4 batches in one run, and the same with a stop after the
    # first: the backup carries d_optimizer.iterations, which sets the turns.
    def train(epochs, directory):
        keras.utils.set_random_seed(0)
        model = WGANGP(latent_dim=8, n_critic=3, seed=1,
                       discriminator=linear_critic((28, 28, 1), np.full((784, 1), 0.01, "float32")))
        model.compile()
        backup = keras_gen.callbacks.BackupAndRestore(directory)
        x = batch_for(model, size=32)
        model.fit(x, batch_size=8, epochs=epochs, callbacks=[backup], verbose=0,
                  shuffle=False)
        return model

    train(1, tmp_path / "interrupted")
    resumed = train(2, tmp_path / "interrupted")
    uninterrupted = train(2, tmp_path / "once")
    assert int(resumed.d_optimizer.iterations) == 8
    assert int(resumed.g_optimizer.iterations) == 2
    for a, b in zip(resumed.variables, uninterrupted.variables):
        np.testing.assert_array_equal(ops.convert_to_numpy(a), ops.convert_to_numpy(b),
                                      err_msg=a.path)


@pytest.mark.parametrize("cls", [WGAN, WGANGP], ids=["wgan", "wgan_gp"])
def test_backup_and_restore_resumes_keras_gans_critic_exactly(cls, tmp_path):
    # Keras-GAN's critic has dropout: keras-gen's backup keeps its seed
    # states, so even with them the resumed run is bit-identical.
    def train(epochs, directory):
        keras.utils.set_random_seed(0)
        model = cls(input_shape=(8, 8, 1), latent_dim=4, n_critic=2, seed=1)
        model.compile()
        x = batch_for(model, size=32)
        model.fit(x, batch_size=8, epochs=epochs, verbose=0,
                  callbacks=[keras_gen.callbacks.BackupAndRestore(directory)])
        return model

    train(1, tmp_path / "interrupted")
    resumed = train(2, tmp_path / "interrupted")
    uninterrupted = train(2, tmp_path / "once")
    assert int(resumed.g_optimizer.iterations) == 4
    for a, b in zip(resumed.variables, uninterrupted.variables):
        np.testing.assert_array_equal(ops.convert_to_numpy(a), ops.convert_to_numpy(b),
                                      err_msg=a.path)


@pytest.mark.parametrize("name", sorted(MODEL_FACTORIES))
def test_config_round_trip_and_registration(name):
    model = MODEL_FACTORIES[name]()
    clone = type(model).from_config(model.get_config())
    assert clone.get_config() == model.get_config()
    assert keras.saving.get_registered_object(f"keras_gen>{type(model).__name__}") is type(model)
    assert getattr(keras_gen, type(model).__name__) is type(model)


def test_default_architectures_follow_keras_gan():
    lsgan = LSGAN()
    assert [layer.units for layer in lsgan.generator.layers
            if isinstance(layer, keras.layers.Dense)] == [256, 512, 1024, 784]
    assert len(bn_moving_statistics(lsgan.generator)) == 6  # BatchNorm on all three.
    assert lsgan.discriminator.layers[-1].activation.__name__ == "linear"
    assert BGAN().discriminator.layers[-1].activation.__name__ == "sigmoid"
    for model in (WGAN(), WGANGP()):
        assert model.critic is model.discriminator
        assert model.critic.layers[-1].activation.__name__ == "linear"
        assert [layer.filters for layer in model.critic.layers
                if isinstance(layer, keras.layers.Conv2D)] == [16, 32, 64, 128]
        assert {layer.kernel_size for layer in model.generator.layers
                if isinstance(layer, keras.layers.Conv2D)} == {(4, 4)}
        model.compile()
        assert isinstance(model.d_optimizer, keras.optimizers.RMSprop)
        assert float(ops.convert_to_numpy(model.d_optimizer.learning_rate)) == pytest.approx(5e-5)
        assert model.n_critic == 5
    assert WGAN().clip_value == 0.01 and WGANGP().gradient_penalty_weight == 10.0


@pytest.mark.parametrize(
    "factory, name, received",
    [
        (lambda: WGAN(n_critic=0), "n_critic", "0"),
        (lambda: WGANGP(n_critic=1.5), "n_critic", "1.5"),
        (lambda: WGAN(clip_value=-0.1), "clip_value", "-0.1"),
        (lambda: WGANGP(gradient_penalty_weight=-1), "gradient_penalty_weight", "-1"),
        (lambda: WGAN(input_shape=(784,)), "input_shape", r"\(784,\)"),
        (lambda: LSGAN(latent_dim=0), "latent_dim", "0"),
        (lambda: BGAN(generator_units=()), "generator_units", r"\(\)"),
    ],
)
def test_bad_hyperparameters_raise(factory, name, received):
    with pytest.raises(ValueError, match=rf"`{name}`.*Received: .*{received}"):
        factory()


@pytest.mark.parametrize("name", sorted(MODEL_FACTORIES))
def test_fit_rejects_images_outside_the_tanh_range(name):
    model = make_model(name)
    check_fit_rejects(model, batch_for(model) * 3, r"values in \[-1, 1\].*from -2.9")


# Short real trainings.


# (images, epochs, FCD after / before): steps enough to move out of noise.
TRAININGS = {"lsgan": (2048, 4, 0.9), "bgan": (2048, 4, 0.9),
             "wgan": (1024, 3, 0.8), "wgan_gp": (1024, 2, 0.8)}


@pytest.mark.parametrize("name", sorted(TRAININGS))
def test_training_brings_samples_closer_to_mnist(name, mnist_images):
    # The Fréchet distance of 1,000 samples to MNIST's test digits, in the
    # shipped reference classifier's features, drops.
    from keras_gen.evaluation import generator_quality

    (x_train, _), _ = mnist_images
    images, epochs, ratio = TRAININGS[name]
    x = x_train[:images] * 2.0 - 1.0
    keras.utils.set_random_seed(0)
    if name in ("lsgan", "bgan"):
        model = {"lsgan": LSGAN, "bgan": BGAN}[name](input_shape=(784,), seed=0)
        model.compile()
        x = x.reshape(-1, 784)
    else:
        # Faster than Keras-GAN's RMSprop(5e-5), to learn within seconds.
        model = {"wgan": WGAN, "wgan_gp": WGANGP}[name](seed=0, n_critic=2)
        model.compile(d_optimizer=keras.optimizers.RMSprop(5e-4),
                      g_optimizer=keras.optimizers.RMSprop(5e-4))
    before = generator_quality(model, num_samples=1000)["fcd"]
    history = model.fit(x, batch_size=64, epochs=epochs, verbose=0).history
    after = generator_quality(model, num_samples=1000)["fcd"]
    assert all(np.isfinite(values).all() for values in history.values())
    assert after < ratio * before, (before, after)


def test_the_gans_losses_are_the_methods_variants_override():
    assert GAN.discriminator_loss is not LSGAN.discriminator_loss
    assert BGAN.discriminator_loss is GAN.discriminator_loss
    assert BGAN.generator_loss is not GAN.generator_loss
