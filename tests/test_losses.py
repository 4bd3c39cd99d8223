"""Loss terms and the reparameterization sampling against NumPy references."""

import keras
import numpy as np
import pytest
from keras import ops

from keras_gen import losses
from keras_gen.layers import Corruption, Sampling


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def test_kl_divergence_matches_closed_form(rng):
    z_mean = rng.normal(size=(5, 3)).astype("float32")
    z_log_var = rng.normal(size=(5, 3)).astype("float32")
    # KL(N(m, s^2) || N(0, 1)) = log(1/s) + (s^2 + m^2) / 2 - 1/2 per dim.
    std = np.exp(0.5 * z_log_var)
    expected = np.sum(-np.log(std) + (std**2 + z_mean**2) / 2 - 0.5, axis=-1)
    result = ops.convert_to_numpy(losses.kl_divergence(z_mean, z_log_var))
    np.testing.assert_allclose(result, expected, rtol=1e-5)


def test_kl_divergence_is_zero_at_prior():
    zeros = np.zeros((4, 2), "float32")
    result = ops.convert_to_numpy(losses.kl_divergence(zeros, zeros))
    np.testing.assert_allclose(result, 0.0, atol=1e-7)


def test_sum_squared_error_is_mse_times_original_dim(rng):
    x = rng.random((4, 28, 28, 1)).astype("float32")
    x_hat = rng.random((4, 28, 28, 1)).astype("float32")
    expected = np.mean((x - x_hat) ** 2, axis=(1, 2, 3)) * 784
    result = ops.convert_to_numpy(losses.sum_squared_error(x, x_hat))
    np.testing.assert_allclose(result, expected, rtol=1e-5)
    mean_result = ops.convert_to_numpy(losses.mean_squared_error(x, x_hat))
    np.testing.assert_allclose(mean_result, expected / 784, rtol=1e-5)


def test_binary_crossentropy_sum_matches_numpy(rng):
    x = rng.random((3, 784)).astype("float32")
    p = rng.uniform(0.01, 0.99, (3, 784)).astype("float32")
    expected = -np.sum(x * np.log(p) + (1 - x) * np.log(1 - p), axis=-1)
    result = ops.convert_to_numpy(losses.binary_crossentropy_sum(x, p))
    np.testing.assert_allclose(result, expected, rtol=1e-4)


def test_weighted_mean(rng):
    values = np.array([1.0, 2.0, 3.0], "float32")
    assert float(losses.weighted_mean(values)) == pytest.approx(2.0)
    weights = np.array([0.0, 1.0, 3.0], "float32")
    assert float(losses.weighted_mean(values, weights)) == pytest.approx(11 / 4)


def test_sampling_statistics_match_mean_and_variance():
    num_samples = 200_000
    z_mean = np.tile(np.array([[1.5, -2.0]], "float32"), (num_samples, 1))
    z_log_var = np.tile(np.array([[np.log(0.25), np.log(4.0)]], "float32"),
                        (num_samples, 1))
    z = ops.convert_to_numpy(Sampling(seed=0)([z_mean, z_log_var]))
    np.testing.assert_allclose(z.mean(axis=0), [1.5, -2.0], atol=0.02)
    np.testing.assert_allclose(z.var(axis=0), [0.25, 4.0], rtol=0.02)


def test_sampling_is_seeded_and_differentiable():
    z_mean = np.zeros((8, 4), "float32")
    z_log_var = np.zeros((8, 4), "float32")
    first = ops.convert_to_numpy(Sampling(seed=7)([z_mean, z_log_var]))
    second = ops.convert_to_numpy(Sampling(seed=7)([z_mean, z_log_var]))
    other = ops.convert_to_numpy(Sampling(seed=8)([z_mean, z_log_var]))
    np.testing.assert_array_equal(first, second)
    assert not np.allclose(first, other)

    import tensorflow as tf  # Gradients are backend-specific.

    mean = tf.Variable(z_mean)
    with tf.GradientTape() as tape:
        z = Sampling(seed=7)([mean, z_log_var])
    np.testing.assert_allclose(tape.gradient(z, mean).numpy(), 1.0)


def test_corruption_only_in_training_and_seeded():
    x = np.full((4, 100), 0.5, "float32")
    layer = Corruption(noise_std=0.3, mask_fraction=0.5, seed=1)
    np.testing.assert_array_equal(ops.convert_to_numpy(layer(x)), x)
    noisy = ops.convert_to_numpy(layer(x, training=True))
    assert noisy.min() >= 0.0 and noisy.max() <= 1.0
    # About half of the features are masked to exactly zero.
    assert 0.35 < np.mean(noisy == 0.0) < 0.65
    again = Corruption(noise_std=0.3, mask_fraction=0.5, seed=1)
    np.testing.assert_array_equal(
        ops.convert_to_numpy(again(x, training=True)), noisy
    )


def test_gaussian_corruption_has_requested_std():
    x = np.full((1000, 100), 0.5, "float32")
    layer = Corruption(noise_std=0.1, clip_range=None, seed=2)
    noise = ops.convert_to_numpy(layer(x, training=True)) - x
    assert noise.std() == pytest.approx(0.1, rel=0.02)
    assert abs(noise.mean()) < 0.002


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"noise_std": -0.1}, "noise_std"),
        ({"mask_fraction": 1.0}, "mask_fraction"),
        ({"clip_range": (1.0, 0.0)}, "clip_range"),
    ],
)
def test_corruption_rejects_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        Corruption(**kwargs)


def test_layers_round_trip_through_config():
    layer = keras.layers.deserialize(
        keras.layers.serialize(Corruption(noise_std=0.2, mask_fraction=0.1, seed=3))
    )
    assert (layer.noise_std, layer.mask_fraction, layer.seed) == (0.2, 0.1, 3)


# The adversarial terms, against NumPy.


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _bce(target, p):
    return -(target * np.log(p) + (1 - target) * np.log(1 - p))


@pytest.fixture
def scores(rng):
    """Logits of a real and a fake batch, and their probabilities."""
    real = rng.normal(size=(16, 1)).astype("float32") * 3
    fake = rng.normal(size=(16, 1)).astype("float32") * 3
    return real, fake, _sigmoid(real), _sigmoid(fake)


def test_bce_terms_on_logits_equal_those_on_probabilities(scores):
    real, fake, p_real, p_fake = scores
    expected_d = 0.5 * (_bce(1, p_real).mean() + _bce(0, p_fake).mean())
    expected_g = _bce(1, p_fake).mean()
    for args, from_logits in (((real, fake), True), ((p_real, p_fake), False)):
        d = float(losses.discriminator_loss(*args, from_logits=from_logits))
        g = float(losses.generator_loss(args[1], from_logits=from_logits))
        np.testing.assert_allclose(d, expected_d, rtol=1e-4)
        np.testing.assert_allclose(g, expected_g, rtol=1e-4)
    acc = 0.5 * ((p_real > 0.5).mean() + (p_fake <= 0.5).mean())
    assert float(losses.discriminator_accuracy(real, fake, from_logits=True)) == acc
    assert float(losses.discriminator_accuracy(p_real, p_fake)) == acc


def test_bce_on_logits_stays_finite_where_probabilities_saturate():
    logits = np.array([[40.0], [-40.0]], "float32")
    # sigmoid(-40) rounds to 0 in float32: -log D(G(z)) needs the logit.
    value = float(losses.generator_loss(logits, from_logits=True))
    np.testing.assert_allclose(value, 0.5 * (np.log1p(np.exp(-40.0)) + 40.0), rtol=1e-5)


def test_least_squares_terms(scores):
    real, fake, _, _ = scores
    np.testing.assert_allclose(
        float(losses.least_squares_discriminator_loss(real, fake)),
        0.5 * (np.mean((real - 1) ** 2) + np.mean(fake**2)), rtol=1e-5)
    np.testing.assert_allclose(
        float(losses.least_squares_generator_loss(fake)), np.mean((fake - 1) ** 2),
        rtol=1e-5)


def test_wasserstein_terms_and_keras_gans_labels(scores):
    real, fake, _, _ = scores
    critic = float(losses.wasserstein_critic_loss(real, fake))
    np.testing.assert_allclose(critic, fake.mean() - real.mean(), rtol=1e-5)
    np.testing.assert_allclose(float(losses.wasserstein_generator_loss(fake)),
                               -fake.mean(), rtol=1e-5)
    # Keras-GAN: mean(y_true * y_pred) with -1 for real, +1 for fake,
    # averaged over its two train_on_batch calls: half the critic loss.
    keras_gan = 0.5 * (np.mean(-1 * real) + np.mean(1 * fake))
    np.testing.assert_allclose(critic / 2, keras_gan, rtol=1e-5)


def test_boundary_seeking_loss_is_keras_gans(scores):
    _, fake, _, p_fake = scores
    expected = 0.5 * np.mean((np.log(p_fake) - np.log(1 - p_fake)) ** 2)
    np.testing.assert_allclose(float(losses.boundary_seeking_loss(p_fake)), expected,
                               rtol=1e-4)
    np.testing.assert_allclose(
        float(losses.boundary_seeking_loss(fake, from_logits=True)),
        0.5 * np.mean(fake.astype("float64") ** 2), rtol=1e-5)
    # Smallest at the decision boundary, finite at saturation.
    assert float(losses.boundary_seeking_loss(np.full((4, 1), 0.5, "float32"))) == 0.0
    assert np.isfinite(float(losses.boundary_seeking_loss(np.ones((4, 1), "float32"))))


def test_gradient_penalty_of_a_linear_critic_is_closed_form(rng):
    w = np.array([[2.0], [0.5], [-1.0], [0.25]], "float32")
    critic = keras.Sequential([keras.Input((2, 2, 1)), keras.layers.Flatten(),
                               keras.layers.Dense(1, use_bias=False)])
    critic.layers[-1].kernel.assign(w)
    real = rng.normal(size=(8, 2, 2, 1)).astype("float32")
    fake = rng.normal(size=(8, 2, 2, 1)).astype("float32")
    penalty = losses.gradient_penalty(critic, ops.convert_to_tensor(real),
                                      ops.convert_to_tensor(fake),
                                      keras.random.SeedGenerator(0))
    np.testing.assert_allclose(float(penalty), (np.linalg.norm(w) - 1) ** 2, rtol=1e-5)


def test_gradient_penalty_of_a_quadratic_critic_uses_the_interpolates(rng):
    # D(x) = |x|^2 has grad 2 x: the penalty depends on where x_hat lies,
    # so it checks alpha's range and that each example has its own alpha.
    critic = lambda x, training: ops.sum(ops.square(x), axis=1)  # noqa: E731
    real = rng.normal(size=(4096, 3)).astype("float32")
    fake = np.zeros_like(real)
    seed = keras.random.SeedGenerator(3)
    penalty = float(losses.gradient_penalty(critic, ops.convert_to_tensor(real),
                                            ops.convert_to_tensor(fake), seed))
    # |grad| = 2 alpha |x|, alpha ~ U(0, 1): the mean of (2 alpha |x| - 1)^2.
    alpha = np.random.default_rng(1).uniform(size=(200000, 1))
    norms = np.linalg.norm(np.resize(real, (200000, 3)), axis=1, keepdims=True)
    expected = np.mean((2 * alpha * norms - 1) ** 2)
    np.testing.assert_allclose(penalty, expected, rtol=0.05)
