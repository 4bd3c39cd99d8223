"""InfoGAN: frozen players, the information loss against NumPy, the codes, resume, training.

`tests/test_backends.py` runs this module again on JAX and PyTorch.
"""

import itertools

import keras
import numpy as np
import pytest
from keras import ops

import keras_gen
from keras_gen import InfoGAN, priors
from keras_gen.evaluation import code_accuracy

from player_checks import (
    batch_for,
    check_discriminator_step_freezes_generator,
    check_generator_step_freezes_discriminator,
    make_compiled,
    same_config,
)


def small():
    return InfoGAN(input_shape=(8, 8, 1), noise_dim=4, num_categories=3, num_continuous=2,
                   seed=1)


@pytest.mark.parametrize("mode", ["eager", "fit"])
def test_discriminator_step_leaves_the_generator_bit_identical(mode):
    # The body, the real-or-fake head and the Q head all move.
    check_discriminator_step_freezes_generator(make_compiled(small), mode,
                                               discriminator_has_batchnorm=True)


@pytest.mark.parametrize("mode", ["eager", "fit"])
def test_generator_step_leaves_the_discriminator_bit_identical(mode):
    check_generator_step_freezes_discriminator(make_compiled(small), mode)


def linear_three_heads():
    images = keras.Input(shape=(8, 8, 1))
    flat = keras.layers.Flatten()(images)
    return keras.Model(images, [keras.layers.Dense(1, activation="sigmoid")(flat),
                                keras.layers.Dense(3, activation="softmax")(flat),
                                keras.layers.Dense(2)(flat)])


def numpy_heads(model, images):
    w1, b1, w2, b2, w3, b3 = (ops.convert_to_numpy(w).astype("float64")
                              for w in model.discriminator.trainable_weights)
    flat = images.reshape(len(images), -1)
    logits = flat @ w2 + b2
    p = np.exp(logits - logits.max(-1, keepdims=True))
    return 1 / (1 + np.exp(-(flat @ w1 + b1)[:, 0])), p / p.sum(-1, keepdims=True), flat @ w3 + b3


def bce(target, p):
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return -np.mean(target * np.log(p) + (1 - target) * np.log(1 - p))


def numpy_info(codes, categories, means, weights=(1.0, 0.1)):
    category, continuous = codes[:, 4:7], codes[:, 7:]
    ce = -np.mean(np.sum(category * np.log(np.clip(categories, 1e-7, 1)), axis=-1))
    return weights[0] * ce + weights[1] * np.mean((continuous - means) ** 2)


def test_both_losses_match_numpy_with_the_information_term_added_to_each():
    # Keras-GAN #130: the information term lowers both players' losses when
    # Q reads the codes back; it is added (a cross-entropy), never subtracted.
    keras.utils.set_random_seed(0)
    model = InfoGAN(input_shape=(8, 8, 1), noise_dim=4, num_categories=3, num_continuous=2,
                    seed=1, discriminator=linear_three_heads())
    model.compile()
    real = batch_for(model, size=32)
    state = model.latent_sampler.seed_generator.state
    saved = ops.convert_to_numpy(state).copy()
    codes_1, codes_2 = (ops.convert_to_numpy(model.sample_prior_codes(32)) for _ in range(2))
    state.assign(saved)  # The phases draw these next.
    assert set(np.unique(codes_1[:, 4:7])) == {0.0, 1.0}  # A one-hot category.
    assert np.all(np.abs(codes_1[:, 7:]) <= 1) and np.allclose(codes_1[:, 4:7].sum(-1), 1)
    fakes = ops.convert_to_numpy(model.generator(codes_1, training=False))
    real_validity, _, _ = numpy_heads(model, real)
    fake_validity, categories, means = numpy_heads(model, fakes)
    d_logs = model.discriminator_step(real)
    expected = (0.5 * (bce(1.0, real_validity) + bce(0.0, fake_validity))
                + numpy_info(codes_1, categories, means))
    assert float(d_logs["d_loss"]) == pytest.approx(expected, rel=1e-5)
    fakes = ops.convert_to_numpy(model.generator(codes_2, training=True))
    validity, categories, means = numpy_heads(model, fakes)
    g_logs = model.generator_step(real)
    info = numpy_info(codes_2, categories, means)
    assert float(g_logs["info_loss"]) == pytest.approx(info, rel=1e-5)
    assert float(g_logs["g_loss"]) == pytest.approx(bce(1.0, validity) + info, rel=1e-5)


def test_the_prior_is_noise_a_category_and_continuous_codes():
    model = InfoGAN()
    assert model.latent_dim == 74
    codes = model.sample_prior(1000, seed=0)
    np.testing.assert_array_equal(codes[:, 62:72].sum(-1), np.ones(1000))
    assert np.bincount(codes[:, 62:72].argmax(-1)).min() > 60  # Uniform categories.
    assert codes[:, 72:].min() >= -1 and codes[:, 72:].max() <= 1
    assert abs(codes[:, :62].std() - 1) < 0.05
    assert [tuple(t.shape) for t in model.discriminator.outputs] == [(None, 1), (None, 10),
                                                                      (None, 2)]


def test_concatenation_prior_draws_each_part_as_alone():
    parts = [priors.Gaussian(3, std=2.0), priors.Categorical(4), priors.Uniform(2, -1, 1)]
    prior = priors.Concatenation(parts)
    codes = prior.sample_numpy(5, seed=7)
    for part, start, stop, seed in ((parts[0], 0, 3, 7), (parts[1], 3, 7, 8), (parts[2], 7, 9, 9)):
        np.testing.assert_array_equal(codes[:, start:stop], part.sample_numpy(5, seed=seed))
    tensor = ops.convert_to_numpy(prior.sample(5, seed=keras.random.SeedGenerator(2)))
    assert tensor.shape == (5, 9)
    assert priors.get_prior(keras.saving.serialize_keras_object(prior)) == prior
    with pytest.raises(ValueError, match="no classes"):
        prior.sample_numpy(2, labels=[0, 1])
    with pytest.raises(ValueError, match="`parts` must be a non-empty list"):
        priors.Concatenation([])


def test_code_accuracy_finds_the_best_one_to_one_matching():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 200)
    codes = np.array([2, 0, 1])[labels]  # A permuted, perfect code.
    assert code_accuracy(codes, labels) == {"code_accuracy": 1.0, "code_to_class": [1, 2, 0]}
    noisy = np.where(rng.random(200) < 0.3, rng.integers(0, 3, 200), codes)
    best = max(np.mean(np.array(p)[noisy] == labels) for p in itertools.permutations(range(3)))
    assert code_accuracy(noisy, labels)["code_accuracy"] == pytest.approx(best)
    with pytest.raises(ValueError, match="same length"):
        code_accuracy([0, 1], [0])


def test_save_load_and_exact_resume(tmp_path):
    x = batch_for(small(), size=32)

    def train(epochs, directory):
        model = make_compiled(small)
        model.fit(x, batch_size=8, epochs=epochs, verbose=0,
                  callbacks=[keras_gen.callbacks.BackupAndRestore(directory)])
        return model

    train(1, tmp_path / "interrupted")
    resumed = train(2, tmp_path / "interrupted")
    uninterrupted = train(2, tmp_path / "once")
    for a, b in zip(resumed.variables, uninterrupted.variables):
        np.testing.assert_array_equal(ops.convert_to_numpy(a), ops.convert_to_numpy(b),
                                      err_msg=a.path)
    resumed.save(tmp_path / "infogan.keras")
    loaded = keras.saving.load_model(tmp_path / "infogan.keras")
    assert type(loaded) is InfoGAN and same_config(loaded.get_config(), resumed.get_config())
    np.testing.assert_array_equal(loaded.generate(4, seed=3), resumed.generate(4, seed=3))
    np.testing.assert_array_equal(loaded.predict_codes(x), resumed.predict_codes(x))
    assert int(loaded.g_optimizer.iterations) == 8
    assert keras_gen.InfoGAN is InfoGAN


@pytest.mark.parametrize(
    "factory, name, received",
    [
        (lambda: InfoGAN(num_categories=1), "num_categories", "1"),
        (lambda: InfoGAN(num_continuous=0), "num_continuous", "0"),
        (lambda: InfoGAN(continuous_weight=-1.0), "continuous_weight", "-1"),
        (lambda: InfoGAN(input_shape=(28, 28)), "input_shape", r"\(28, 28\)"),
    ],
)
def test_bad_hyperparameters_raise(factory, name, received):
    with pytest.raises(ValueError, match=rf"`{name}`.*Received: .*{received}"):
        factory()


def test_fit_takes_images_alone_and_rejects_bad_ones():
    model = make_compiled(small)
    x = batch_for(model)
    with pytest.raises(ValueError, match=r"values in \[-1, 1\]"):
        model.fit(x * 3, epochs=1, verbose=0)
    history = model.fit(x, np.zeros(16), batch_size=8, epochs=1, verbose=0).history
    assert set(history) == {"d_loss", "g_loss", "info_loss", "d_acc"}
    with pytest.raises(ValueError, match="takes no labels"):
        model.generate(2, labels=[0, 1])


def test_training_on_mnist_makes_the_codes_readable(mnist_images):
    # Q learns to read the codes back from the generator's images: the
    # information loss falls from its start (log 10 + the uniform codes').
    # And the discriminator tells real from fake: scoring the two batches
    # apart through its last BatchNorm kept it at chance (d_acc 0.50).
    (x_train, _), _ = mnist_images
    keras.utils.set_random_seed(0)
    model = InfoGAN(seed=0)
    model.compile()
    history = model.fit(x_train[:4096] * 2 - 1, batch_size=64, epochs=2, verbose=0).history
    assert all(np.isfinite(values).all() for values in history.values())
    assert history["info_loss"][-1] < 0.6 * history["info_loss"][0], history["info_loss"]
    assert min(history["d_acc"]) > 0.6, history["d_acc"]


def test_code_traversal_varies_the_category_across_and_each_continuous_code_down():
    from keras_gen.callbacks import CodeTraversal

    model = make_compiled(small)
    traversal = CodeTraversal(steps=4, seed=0)
    codes = traversal.codes(model)
    assert codes.shape == (2 * 4 * 3, 9)
    np.testing.assert_array_equal(codes[:, :4], np.repeat(codes[:1, :4], 24, axis=0))
    grid = codes.reshape(2, 4, 3, 9)  # (continuous code, step, category, code)
    np.testing.assert_array_equal(grid[..., 4:7].argmax(-1), np.broadcast_to(np.arange(3), (2, 4, 3)))
    np.testing.assert_allclose(grid[0, :, 0, 7], np.linspace(-1, 1, 4))
    np.testing.assert_array_equal(grid[0, ..., 8], 0.0)
    np.testing.assert_allclose(grid[1, :, 0, 8], np.linspace(-1, 1, 4))
    traversal.set_model(model)
    picture = traversal.picture()
    assert picture.dtype == np.uint8 and picture.shape[:2] == (8 * 10 - 2, 3 * 10 - 2)
    with pytest.raises(ValueError, match="CodeTraversal needs a model with categorical"):
        traversal.codes(keras_gen.GAN())
