"""EBGAN: loss terms against NumPy, frozen players, save/load, training."""

import keras
import numpy as np
import pytest
from keras import ops

from keras_gen.losses import margin_loss, pull_away_term
from keras_gen.models import GenerativeModel
from keras_gen.models.ebgan import EBGAN, ReconstructionEnergy

from player_checks import (
    BAD_MNIST_BATCHES,
    assert_unchanged,
    batch_for,
    bn_moving_statistics,
    check_discriminator_step_freezes_generator,
    check_fit_rejects,
    check_fit_updates_both_players,
    check_generator_step_freezes_discriminator,
    check_save_load_restores,
    check_training_resumes,
    make_compiled,
    numpy_forward,
    pixel_statistics,
    same_config,
    snapshot,
    upcoming_noise,
)

METRIC_NAMES = {"d_loss", "g_loss", "real_energy", "fake_energy"}

MODEL_FACTORIES = {
    "mlp": lambda: EBGAN(
        latent_dim=8, generator_units=(16, 32), cost_units=(32,),
        embedding_dim=6, seed=1,
    ),
    "mlp_pull_away": lambda: EBGAN(
        input_shape=(28, 28, 1), latent_dim=8, generator_units=(16, 32),
        cost_units=(32,), embedding_dim=6, pull_away_weight=0.1, seed=1,
    ),
    "conv_pull_away": lambda: EBGAN(
        input_shape=(12, 8, 2), architecture="conv", latent_dim=8, ngf=4,
        ndf=4, embedding_dim=6, pull_away_weight=0.1, seed=1,
    ),
}


def make_model(name):
    return make_compiled(MODEL_FACTORIES[name])


# NumPy references of the loss terms.


def numpy_pull_away(embeddings):
    """The paper's formula, pair by pair, in float64."""
    s = np.asarray(embeddings, "float64").reshape(len(embeddings), -1)
    n = len(s)
    total = 0.0
    for i in range(n):
        for j in range(n):
            if i != j:
                norms = np.linalg.norm(s[i]) * np.linalg.norm(s[j])
                cosine = s[i] @ s[j] / norms if norms > 0 else 0.0
                total += cosine**2
    return total / (n * (n - 1)) if n > 1 else 0.0


def numpy_margin_loss(real_energy, fake_energy, margin):
    return np.mean(real_energy) + np.mean(np.maximum(0.0, margin - fake_energy))


def pt(embeddings):
    return float(pull_away_term(np.asarray(embeddings, "float32")))


def test_pull_away_term_hand_computed_cases():
    # Identical (or opposite) directions: squared cosine 1 for every pair.
    assert pt(np.tile([[0.3, -1.2, 2.0]], (5, 1))) == pytest.approx(1.0, abs=1e-6)
    assert pt([[1.0, 2.0], [-2.0, -4.0]]) == pytest.approx(1.0, abs=1e-6)
    # Pairwise orthogonal: 0.
    assert pt(np.eye(4) * [1.0, 2.0, 3.0, 4.0]) == pytest.approx(0.0, abs=1e-7)
    # [1, 0], [1, 1], [0, 1]: squared cosines 1/2, 0, 1/2 over 3 pairs.
    assert pt([[1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]) == pytest.approx(1 / 3, rel=1e-6)
    # Squared: [1, 0] and [-1, 1] give 1/2, not the unsquared -0.707.
    assert pt([[1.0, 0.0], [-1.0, 1.0]]) == pytest.approx(0.5, rel=1e-6)
    # A zero vector is similar to nothing; one example has no pairs.
    assert pt([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0]]) == pytest.approx(1 / 3, rel=1e-6)
    assert pt([[1.0, 2.0]]) == 0.0


def test_pull_away_term_matches_numpy_reference():
    rng = np.random.default_rng(0)
    for shape in [(2, 3), (7, 5), (16, 64), (6, 2, 3, 2)]:
        embeddings = rng.normal(size=shape) + rng.normal()
        np.testing.assert_allclose(
            pt(embeddings), numpy_pull_away(embeddings), rtol=1e-5, atol=1e-7
        )
    # Scale-invariant per example, so neither the batch axis nor the norms
    # are normalised away.
    embeddings = rng.normal(size=(8, 4))
    scaled = embeddings * rng.uniform(0.1, 10.0, (8, 1))
    np.testing.assert_allclose(pt(scaled), pt(embeddings), rtol=1e-5)


def test_margin_loss_matches_numpy_reference():
    # Hand computed: mean([0.1, 0.3]) + mean([1 - 0.2, 0]) = 0.2 + 0.4.
    loss = margin_loss(np.array([0.1, 0.3]), np.array([0.2, 1.5]), 1.0)
    assert float(loss) == pytest.approx(0.6)
    rng = np.random.default_rng(0)
    real, fake = rng.uniform(0, 2, 32), rng.uniform(0, 2, 32)
    for margin in (0.1, 0.5, 1.0, 3.0):
        np.testing.assert_allclose(
            float(margin_loss(real.astype("float32"), fake.astype("float32"), margin)),
            numpy_margin_loss(real, fake, margin), rtol=1e-6,
        )


def test_energy_is_the_mean_squared_error_per_example():
    rng = np.random.default_rng(0)
    x, r = rng.uniform(-1, 1, (2, 5, 4, 3, 2)).astype("float32")
    energy = ops.convert_to_numpy(ReconstructionEnergy()([x, r]))
    np.testing.assert_allclose(energy, ((x - r) ** 2).mean(axis=(1, 2, 3)), rtol=1e-6)
    model = make_model("conv_pull_away")
    batch = batch_for(model)
    reconstruction = model.reconstruct(batch)
    assert reconstruction.shape == batch.shape
    expected = ((reconstruction - batch) ** 2).reshape(len(batch), -1).mean(axis=1)
    np.testing.assert_allclose(model.energy(batch), expected, rtol=1e-5)
    np.testing.assert_allclose(
        ops.convert_to_numpy(model(batch)), expected, rtol=1e-5
    )


def numpy_cost(model, images):
    """Energies and embeddings of the MLP cost network, in NumPy."""
    embeddings = numpy_forward(model.cost_encoder, images)
    reconstructions = numpy_forward(model.cost_decoder, embeddings)
    energies = ((reconstructions - images) ** 2).reshape(len(images), -1).mean(1)
    return energies, embeddings


def test_steps_match_numpy_reference():
    model = make_model("mlp_pull_away")
    real = batch_for(model, size=32)
    z1, z2 = upcoming_noise(model, 32, num_draws=2)  # One per phase.

    real_energy, _ = numpy_cost(model, real)
    fake_energy, _ = numpy_cost(model, numpy_forward(model.generator, z1))
    logs = model.discriminator_step(real)
    np.testing.assert_allclose(
        float(logs["d_loss"]), numpy_margin_loss(real_energy, fake_energy, 0.5),
        rtol=1e-5,
    )
    for key, energies in [("real_energy", real_energy), ("fake_energy", fake_energy)]:
        np.testing.assert_allclose(float(logs[key]), energies.mean(), rtol=1e-5)

    # After the cost update; the generator runs in training mode.
    fakes = numpy_forward(model.generator, z2, training=True)
    energy, embeddings = numpy_cost(model, fakes)
    pull_away = numpy_pull_away(embeddings)
    logs = model.generator_step(real)
    np.testing.assert_allclose(float(logs["pull_away"]), pull_away, rtol=1e-4)
    np.testing.assert_allclose(
        float(logs["g_loss"]), energy.mean() + 0.1 * pull_away, rtol=1e-5
    )


# The frozen-player proofs.


@pytest.mark.parametrize("mode", ["eager", "fit"])
@pytest.mark.parametrize("name", sorted(MODEL_FACTORIES))
def test_cost_step_leaves_the_generator_bit_identical(name, mode):
    # The cost networks have no BatchNorm (see test_default_architectures).
    check_discriminator_step_freezes_generator(
        make_model(name), mode, discriminator_has_batchnorm=False
    )


@pytest.mark.parametrize("mode", ["eager", "fit"])
@pytest.mark.parametrize("name", sorted(MODEL_FACTORIES))
def test_generator_step_leaves_the_cost_network_bit_identical(name, mode):
    check_generator_step_freezes_discriminator(make_model(name), mode)


@pytest.mark.parametrize("name", sorted(MODEL_FACTORIES))
def test_fit_updates_both_players_and_logs_the_documented_metrics(name):
    model = make_model(name)
    batch = batch_for(model)
    expected = METRIC_NAMES | ({"pull_away"} if "pull_away" in name else set())
    history = check_fit_updates_both_players(model, batch, expected)
    for key in ("real_energy", "fake_energy"):
        assert 0.0 <= min(history[key]) and max(history[key]) <= 4.0
    if "pull_away" in name:
        assert 0.0 <= min(history["pull_away"]) and max(history["pull_away"]) <= 1.0

    weights = snapshot(model.weights)
    metrics = model.evaluate(batch, verbose=0, return_dict=True)
    assert set(metrics) == expected
    assert_unchanged(weights, model.weights)


# Networks, configs, save/load.


@pytest.mark.parametrize("name", sorted(MODEL_FACTORIES))
def test_networks_shapes_and_helpers(name):
    model = MODEL_FACTORIES[name]()
    assert isinstance(model, GenerativeModel) and model.built
    images = model.generate(5, seed=0)
    assert images.shape == (5, *model.input_shape)
    assert -1.0 <= images.min() and images.max() <= 1.0
    outputs = model.discriminator(images)
    assert set(outputs) == {"energy", "embedding", "reconstruction"}
    assert tuple(outputs["energy"].shape) == (5,)
    assert tuple(outputs["embedding"].shape) == (5, 6)
    assert tuple(outputs["reconstruction"].shape) == images.shape
    np.testing.assert_allclose(
        ops.convert_to_numpy(model.cost_encoder(images)),
        ops.convert_to_numpy(outputs["embedding"]), rtol=1e-6,
    )
    # `combined` is noise -> generator -> cost network, on the same layers.
    assert model.combined.layers[1:] == [model.generator, model.discriminator]
    np.testing.assert_allclose(
        ops.convert_to_numpy(model.combined(model.sample_prior(5, seed=0))),
        model.energy(images), rtol=1e-5, atol=1e-7,
    )
    assert model.cost_decoder.output_shape == (None, *model.input_shape)


def test_default_architectures():
    mlp = EBGAN()
    assert mlp.input_shape == (784,) and mlp.latent_dim == 100
    assert mlp.margin == 0.5 and mlp.pull_away_weight == 0.0
    assert [
        layer.units for layer in mlp.generator.layers
        if isinstance(layer, keras.layers.Dense)
    ] == [128, 256, 512, 784]
    assert mlp.cost_encoder.output_shape == (None, 64)
    assert not bn_moving_statistics(mlp.discriminator)
    conv = EBGAN(input_shape=(28, 28, 1), architecture="conv")
    assert conv.generator.output_shape == (None, 28, 28, 1)
    assert not bn_moving_statistics(conv.discriminator)
    assert not conv.discriminator.non_trainable_variables


@pytest.mark.parametrize("name", sorted(MODEL_FACTORIES))
def test_config_round_trip(name):
    model = MODEL_FACTORIES[name]()
    clone = EBGAN.from_config(model.get_config())
    assert same_config(clone.get_config(), model.get_config())
    assert list(clone.trackers) == list(model.trackers)
    assert [w.shape for w in clone.weights] == [w.shape for w in model.weights]


def test_compile_defaults():
    model = make_model("mlp")
    assert float(model.d_optimizer.learning_rate) == pytest.approx(1e-3)
    assert float(model.g_optimizer.learning_rate) == pytest.approx(2e-4)
    for optimizer in (model.d_optimizer, model.g_optimizer):
        assert isinstance(optimizer, keras.optimizers.Adam)
        assert optimizer.beta_1 == 0.5
    model.compile(g_optimizer=keras.optimizers.SGD(0.01))
    assert isinstance(model.g_optimizer, keras.optimizers.SGD)
    assert float(model.d_optimizer.learning_rate) == pytest.approx(1e-3)


@pytest.mark.parametrize("name", ["mlp", "conv_pull_away"])
def test_save_load_restores_outputs_optimizers_and_resumes(name, tmp_path):
    model = make_model(name)
    x = batch_for(model, size=32)
    loaded = check_save_load_restores(model, x, tmp_path)
    assert type(loaded) is EBGAN
    np.testing.assert_array_equal(loaded.energy(x), model.energy(x))
    # Training resumes exactly as without saving (same noise, same state).
    check_training_resumes(model, loaded, x)


def test_registered_for_serialization():
    for name, cls in [("EBGAN", EBGAN), ("ReconstructionEnergy", ReconstructionEnergy)]:
        assert keras.saving.get_registered_object(f"keras_gen>{name}") is cls


# Bad input.


@pytest.mark.parametrize(
    "kwargs, name, received",
    [
        ({"margin": 0}, "margin", "0"),
        ({"margin": -1.0}, "margin", "-1.0"),
        ({"margin": float("nan")}, "margin", "nan"),
        ({"margin": float("inf")}, "margin", "inf"),
        ({"margin": "1"}, "margin", "'1'"),
        ({"margin": True}, "margin", "True"),
        ({"pull_away_weight": -0.1}, "pull_away_weight", "-0.1"),
        ({"pull_away_weight": float("nan")}, "pull_away_weight", "nan"),
        ({"architecture": "resnet"}, "architecture", "'resnet'"),
        ({"architecture": "conv"}, "input_shape", r"\(784,\)"),
        ({"architecture": "conv", "input_shape": (30, 30, 1)}, "input_shape",
         r"\(30, 30, 1\)"),
        ({"input_shape": (0,)}, "input_shape", r"\(0,\)"),
        ({"latent_dim": 0}, "latent_dim", "0"),
        ({"embedding_dim": 0}, "embedding_dim", "0"),
        ({"cost_units": ()}, "cost_units", r"\(\)"),
        ({"generator_units": (8, -1)}, "generator_units", r"\(8, -1\)"),
        ({"ndf": 0}, "ndf", "0"),
    ],
)
def test_bad_hyperparameters_raise(kwargs, name, received):
    with pytest.raises(ValueError, match=rf"`{name}`.*Received: .*{received}"):
        EBGAN(**kwargs)


@pytest.mark.parametrize(
    "make_bad, pattern",
    BAD_MNIST_BATCHES
    + [(lambda x: x[:, :100], r"`x` must have shape \(batch_size, 784\)")],
)
def test_fit_and_helpers_reject_bad_data(make_bad, pattern):
    model = make_model("mlp")
    bad = make_bad(batch_for(model))
    check_fit_rejects(model, bad, pattern)
    with pytest.raises(ValueError, match=pattern):
        model.energy(bad)


# A short real training.


def check_training(model, x, epochs, batch_size=64):
    target = pixel_statistics(x)
    before = np.abs(pixel_statistics(model.generate(500, seed=0)) - target)
    real_energy_before = model.energy(x[:500]).mean()
    history = model.fit(x, batch_size=batch_size, epochs=epochs, verbose=0).history
    assert all(np.isfinite(values).all() for values in history.values())
    after = np.abs(pixel_statistics(model.generate(500, seed=0)) - target)
    # The generator's pixels move toward the data's...
    assert (after < 0.6 * before).all(), (before, after)
    # ...the cost network learns the data: its energy falls from about 1...
    real_energy = model.energy(x[:500]).mean()
    assert real_energy < 0.3 * real_energy_before, (real_energy_before, real_energy)
    noise = np.random.default_rng(0).uniform(-1, 1, x[:500].shape).astype("float32")
    assert model.energy(noise).mean() > 3 * real_energy
    # ...and the generator learns to lower the energy of its fakes, which
    # the cost network first pushed up toward the margin.
    fake_energy = history["fake_energy"]
    assert fake_energy[-1] < 0.7 * max(fake_energy), fake_energy
    return history


def test_mlp_ebgan_learns_mnist(mnist_images):
    (x_train, _), _ = mnist_images
    x = x_train[:2000].reshape(-1, 784) * 2.0 - 1.0
    keras.utils.set_random_seed(0)
    model = EBGAN(seed=0)
    model.compile()
    # 15 epochs are 480 steps. Untrained, the fakes average about 0 and
    # half are dark; the data average about -0.74, 87% dark.
    check_training(model, x, epochs=15)


@pytest.mark.slow
def test_conv_ebgan_with_pull_away_learns_mnist(mnist_images):
    (x_train, _), _ = mnist_images
    x = x_train[:2000] * 2.0 - 1.0
    keras.utils.set_random_seed(0)
    model = EBGAN(input_shape=(28, 28, 1), architecture="conv",
                  pull_away_weight=0.1, seed=0)
    model.compile()
    history = check_training(model, x, epochs=10)
    # The embeddings of the fakes spread out.
    assert history["pull_away"][-1] < 0.8 * max(history["pull_away"])
