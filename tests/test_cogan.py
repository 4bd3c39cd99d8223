"""CoGAN and the two MNIST domains: frozen players, NumPy losses, unpaired batches, resume.

Each phase alone, eagerly and inside `fit()`, must touch its own player
only (both generators, or both discriminators); the shared layers are
shared; the second domain's batches are drawn apart from the first's.
`tests/test_backends.py` runs this module again on JAX and PyTorch.
"""

import keras
import numpy as np
import pytest
from keras import ops

import keras_gen
from keras_gen import CoGAN
from keras_gen.data import ArrayBatches, load_domains, to_domain_a

from player_checks import (
    assert_all_changed,
    assert_unchanged,
    bn_moving_statistics,
    only_phase,
    snapshot,
)

SHAPE = (8, 8, 1)


def make_model(**kwargs):
    keras.utils.set_random_seed(0)
    model = CoGAN(input_shape=SHAPE, latent_dim=4, seed=1, **kwargs)
    model.compile()
    return model


def domains(n_a=32, n_b=24, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.uniform(-1, 1, (n_a, *SHAPE)).astype("float32"),
            rng.uniform(-1, 1, (n_b, *SHAPE)).astype("float32"))


def phase_arguments(model, data, phase):
    x_a, x_b = model.unpack_batch(data)
    return (x_a, x_b) if phase == "discriminator_step" else (x_a,)


def run_phase(model, phase, mode):
    x_a, x_b = domains(16, 16)
    if mode == "eager":
        return getattr(model, phase)(*((x_a, x_b) if phase == "discriminator_step" else (x_a,)))
    with only_phase(model, phase, lambda self, data: phase_arguments(self, data, phase)):
        return model.fit(x_a, x_b, batch_size=16, epochs=1, verbose=0)


@pytest.mark.parametrize("mode", ["eager", "fit"])
def test_discriminator_step_leaves_both_generators_bit_identical(mode):
    model = make_model()
    generator_before = snapshot(model.generator.variables)
    before = snapshot(model.discriminator.trainable_variables)
    run_phase(model, "discriminator_step", mode)
    assert_unchanged(generator_before, model.generator.variables)
    assert_all_changed(before, model.discriminator.trainable_variables)
    assert int(model.d_optimizer.iterations) == 1 and int(model.g_optimizer.iterations) == 0


@pytest.mark.parametrize("mode", ["eager", "fit"])
def test_generator_step_leaves_both_discriminators_bit_identical(mode):
    model = make_model()
    discriminator_before = snapshot(model.discriminator.variables)
    before = snapshot(model.generator.trainable_variables)
    statistics = bn_moving_statistics(model.generator)
    statistics_before = snapshot(statistics)
    run_phase(model, "generator_step", mode)
    assert_unchanged(discriminator_before, model.discriminator.variables)
    assert_all_changed(before, model.generator.trainable_variables)
    assert_all_changed(statistics_before, statistics)
    assert int(model.d_optimizer.iterations) == 0 and int(model.g_optimizer.iterations) == 1


def test_the_networks_share_keras_gans_layers():
    model = CoGAN()
    dense = [layer for layer in model.generator.layers if isinstance(layer, keras.layers.Dense)]
    assert sorted(layer.units for layer in dense) == [256, 512, 784, 784, 1024, 1024]
    # g1 and g2 are views of the coupled generator: the first two layers are theirs both.
    g1, g2 = ({id(w) for w in g.trainable_weights} for g in (model.g1, model.g2))
    shared = g1 & g2
    assert len(shared) == 2 * 2 + 2 * 2  # Two Dense (kernel, bias) + two BatchNorm (gamma, beta).
    assert len(model.generator.trainable_weights) == len(g1 | g2)
    d1, d2 = ({id(w) for w in d.trainable_weights} for d in (model.d1, model.d2))
    assert len(d1 & d2) == 4 and len(d1) == len(d2) == 6  # The body shared, a head each.
    assert [tuple(t.shape) for t in model.combined.outputs] == [(None, 1), (None, 1)]


def bce(target, p):
    return -np.mean(target * np.log(p) + (1 - target) * np.log(1 - p))


def linear_coupled_discriminator():
    inputs = [keras.Input(shape=SHAPE) for _ in range(2)]
    body = keras.layers.Dense(3)
    heads = [keras.layers.Dense(1, activation="sigmoid") for _ in range(2)]
    return keras.Model(inputs, [h(body(keras.layers.Flatten()(x))) for h, x in zip(heads, inputs)])


def test_losses_match_numpy():
    from player_checks import upcoming_noise

    model = make_model(discriminator=linear_coupled_discriminator())
    w, b, w_a, b_a, w_b, b_b = (ops.convert_to_numpy(v).astype("float64")
                                for v in model.discriminator.weights)

    def d(x, head_w, head_b):
        return 1 / (1 + np.exp(-((x.reshape(len(x), -1) @ w + b) @ head_w + head_b)))

    x_a, x_b = domains(16, 16)
    z = upcoming_noise(model, 16)[0]
    fake_a, fake_b = (ops.convert_to_numpy(f) for f in model.generator(z, training=False))
    expected = (0.5 * (bce(1, d(x_a, w_a, b_a)) + bce(0, d(fake_a, w_a, b_a)))
                + 0.5 * (bce(1, d(x_b, w_b, b_b)) + bce(0, d(fake_b, w_b, b_b))))
    assert float(model.discriminator_step(x_a, x_b)["d_loss"]) == pytest.approx(expected, rel=1e-5)
    w, b, w_a, b_a, w_b, b_b = (ops.convert_to_numpy(v).astype("float64")
                                for v in model.discriminator.weights)
    z = upcoming_noise(model, 16)[0]
    fake_a, fake_b = (ops.convert_to_numpy(f) for f in model.generator(z, training=True))
    expected = bce(1, d(fake_a, w_a, b_a)) + bce(1, d(fake_b, w_b, b_b))
    assert float(model.generator_step(x_a)["g_loss"]) == pytest.approx(expected, rel=1e-5)


def test_the_second_domain_is_batched_apart_and_may_be_shorter():
    x = np.arange(10, dtype="float32")[:, None]
    y = 100 + np.arange(4, dtype="float32")[:, None]
    paired = ArrayBatches(x, x * 2, batch_size=5, seed=3)
    for epoch in range(2):
        a, b = paired.batch(epoch, 0)
        np.testing.assert_array_equal(b, a * 2)  # The usual: rows stay together.
    batches = ArrayBatches(x, y, batch_size=5, seed=3, unpaired=True)
    assert len(batches) == 2  # One pass over x.
    seen = np.concatenate([batches.batch(0, i)[1] for i in range(2)])[:, 0]
    assert sorted(seen[:4]) == [100, 101, 102, 103]  # Every row of y, then cycled.
    firsts = {tuple(batches.batch(e, 0)[1][:, 0]) for e in range(6)}
    assert len(firsts) > 1  # Reshuffled each epoch, on its own stream.
    with pytest.raises(ValueError, match=r"same number of examples"):
        ArrayBatches(x, y)
    model = make_model()
    x_a, x_b = domains(32, 20)
    history = model.fit(x_a, x_b, batch_size=8, epochs=2, verbose=0).history
    assert set(history) == {"d_loss", "g_loss", "d_acc"}
    assert int(model.g_optimizer.iterations) == 8


def test_fit_needs_two_domains_in_range():
    model = make_model()
    x_a, x_b = domains()
    with pytest.raises(ValueError, match=r"fit\(x_a, x_b\).*Received: no `y`"):
        model.fit(x_a, epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"`y`.*values in \[-1, 1\]"):
        model.fit(x_a, x_b * 3, epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"`y` must have shape"):
        model.fit(x_a, x_b.reshape(len(x_b), -1), epochs=1, verbose=0)
    assert int(model.d_optimizer.iterations) == 0


def test_generate_returns_the_pair_and_resume_is_exact(tmp_path):
    x_a, x_b = domains()

    def train(epochs, directory):
        model = make_model()
        model.fit(x_a, x_b, batch_size=8, epochs=epochs, verbose=0,
                  callbacks=[keras_gen.callbacks.BackupAndRestore(directory)])
        return model

    train(1, tmp_path / "interrupted")
    resumed = train(2, tmp_path / "interrupted")
    uninterrupted = train(2, tmp_path / "once")
    for a, b in zip(resumed.variables, uninterrupted.variables):
        np.testing.assert_array_equal(ops.convert_to_numpy(a), ops.convert_to_numpy(b),
                                      err_msg=a.path)
    images_a, images_b = resumed.generate(5, seed=0)
    assert images_a.shape == images_b.shape == (5, *SHAPE)
    resumed.save(tmp_path / "cogan.keras")
    loaded = keras.saving.load_model(tmp_path / "cogan.keras")
    for a, b in zip(loaded.generate(5, seed=0), (images_a, images_b)):
        np.testing.assert_array_equal(a, b)


def test_the_two_mnist_domains():
    ((x_a, y_a), (x_b, y_b)), ((t_a, _), (t_b, _)) = load_domains("mnist", "rotated")
    assert x_a.shape == x_b.shape == (30000, 28, 28, 1) and t_a.shape == (5000, 28, 28, 1)
    (x, y), _ = keras_gen.data.load_dataset("mnist", layout="image", value_range=(-1, 1))
    np.testing.assert_array_equal(x_a, x[:30000])
    np.testing.assert_array_equal(to_domain_a(x_b), x[30000:])  # Rotated back.
    np.testing.assert_array_equal(y_b, y[30000:])
    ((_, _), (inverted, _)), _ = load_domains("mnist", "inverted", layout="flat", value_range=(0, 1))
    assert inverted.shape == (30000, 784)
    np.testing.assert_allclose(inverted, 1 - x[30000:].reshape(30000, -1) / 2 - 0.5, atol=1e-6)
    with pytest.raises(ValueError, match=r"`transform`.*Received"):
        load_domains(transform="flipped")


def test_pair_agreement_reads_both_images_of_a_pair():
    from keras_gen.evaluation import pair_agreement

    (x, y), _ = keras_gen.data.load_dataset("mnist", layout="image", value_range=(-1, 1))

    class Pairs:  # The same digits, upright and rotated: perfect agreement.
        def generate(self, num_samples, seed=0):
            images = x[:num_samples]
            return images, np.rot90(images, k=1, axes=(1, 2))

    class Unpaired(Pairs):  # Different digits: agreement near chance.
        def generate(self, num_samples, seed=0):
            return x[:num_samples], np.rot90(x[-num_samples:], k=1, axes=(1, 2))

    assert pair_agreement(Pairs(), num_samples=500)["pair_agreement"] > 0.98
    assert pair_agreement(Unpaired(), num_samples=500)["pair_agreement"] < 0.2
