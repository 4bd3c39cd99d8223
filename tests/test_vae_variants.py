"""The β-VAE and the conditional VAE: the loss against NumPy, labels, save/load, training.

`tests/test_backends.py` runs this module again on JAX and PyTorch.
"""

import keras
import numpy as np
import pytest
from keras import ops

import keras_gen
from keras_gen import ConditionalVariationalAutoencoder, VariationalAutoencoder


@pytest.fixture
def x_random():
    return np.random.default_rng(0).random((64, 784), dtype="float32")


@pytest.fixture
def y_random():
    return np.random.default_rng(1).integers(0, 10, 64)


def numpy_terms(model, x, labels=None):
    """`(bce, kl)` per example, replaying the model's next forward pass in NumPy.

    Runs the encoder once from a rewound copy of its sampling seed, so the
    `z` is the one the model's own next pass draws.
    """
    sampler = model.encoder.get_layer("z")
    state = ops.convert_to_numpy(sampler.seed_generator.state).copy()
    inputs = x if labels is None else [np.eye(10, dtype="float32")[labels], x]
    z_mean, z_log_var, z = (ops.convert_to_numpy(t) for t in model.encoder(inputs))
    sampler.seed_generator.state.assign(state)
    decoder_inputs = z if labels is None else [inputs[0], z]
    p = np.clip(ops.convert_to_numpy(model.decoder(decoder_inputs)), 1e-7, 1 - 1e-7)
    bce = -np.sum(x * np.log(p) + (1 - x) * np.log(1 - p), axis=-1)
    kl = -0.5 * np.sum(1 + z_log_var - z_mean**2 - np.exp(z_log_var), axis=-1)
    return bce, kl


@pytest.mark.parametrize("beta", [0.0, 1.0, 4.0])
def test_beta_weights_the_kl_term_in_the_loss_only(beta, x_random):
    model = VariationalAutoencoder(intermediate_dim=16, latent_dim=3, beta=beta,
                                   reconstruction_loss="binary_crossentropy", seed=4)
    model.compile("adam")
    bce, kl = numpy_terms(model, x_random)
    metrics = model.evaluate(x_random, batch_size=64, verbose=0, return_dict=True)
    assert metrics["reconstruction_loss"] == pytest.approx(bce.mean(), rel=1e-4)
    assert metrics["kl_loss"] == pytest.approx(kl.mean(), rel=1e-4)  # Unweighted.
    assert metrics["loss"] == pytest.approx(bce.mean() + beta * kl.mean(), rel=1e-4)


def test_other_add_loss_terms_count_in_the_loss_not_in_kl_loss(x_random):
    # A weight regularizer on the decoder: its penalty is in `loss` only.
    class Regularized(VariationalAutoencoder):
        def build_decoder(self):
            z = keras.Input(shape=(self.latent_dim,))
            x = keras.layers.Dense(self.original_dim, activation="sigmoid",
                                   kernel_regularizer=keras.regularizers.L2(0.5))(z)
            return keras.Model(z, x, name="decoder")

    model = Regularized(intermediate_dim=16, latent_dim=3, beta=2.0,
                        reconstruction_loss="binary_crossentropy", seed=4)
    model.compile("adam")
    kernel = ops.convert_to_numpy(model.decoder.layers[-1].kernel)
    penalty = 0.5 * np.sum(kernel**2)
    assert penalty > 1.0
    bce, kl = numpy_terms(model, x_random)
    metrics = model.evaluate(x_random, batch_size=64, verbose=0, return_dict=True)
    assert metrics["kl_loss"] == pytest.approx(kl.mean(), rel=1e-4)
    assert metrics["loss"] == pytest.approx(bce.mean() + 2.0 * kl.mean() + penalty, rel=1e-4)


def test_a_larger_beta_trades_reconstruction_for_a_code_nearer_the_prior(mnist_flat):
    (x_train, _), _ = mnist_flat
    x = x_train[:2048]
    results = {}
    for beta in (1.0, 8.0):
        keras.utils.set_random_seed(0)
        model = VariationalAutoencoder(intermediate_dim=128, latent_dim=8, beta=beta,
                                       reconstruction_loss="binary_crossentropy", seed=0)
        model.compile(keras.optimizers.Adam(1e-3))
        history = model.fit(x, batch_size=64, epochs=3, verbose=0).history
        results[beta] = (history["reconstruction_loss"][-1], history["kl_loss"][-1])
    assert results[8.0][1] < 0.5 * results[1.0][1], results
    assert results[8.0][0] > results[1.0][0], results


def test_bad_beta_raises():
    for beta in (-1.0, float("nan"), "4"):
        with pytest.raises(ValueError, match=r"`beta` must be a number >= 0.*Received: beta="):
            VariationalAutoencoder(beta=beta)


def test_beta_in_the_config():
    model = VariationalAutoencoder(intermediate_dim=8, beta=4.0)
    assert model.get_config()["beta"] == 4.0
    assert VariationalAutoencoder.from_config(model.get_config()).beta == 4.0


# The conditional VAE.


def make_cvae(**kwargs):
    keras.utils.set_random_seed(0)
    model = ConditionalVariationalAutoencoder(
        intermediate_dim=16, latent_dim=3, reconstruction_loss="binary_crossentropy",
        seed=4, **kwargs)
    model.compile("adam")
    return model


def test_cvae_networks_take_the_one_hot_label_first():
    model = make_cvae()
    assert [tuple(t.shape) for t in model.encoder.inputs] == [(None, 10), (None, 784)]
    assert [tuple(t.shape) for t in model.decoder.inputs] == [(None, 10), (None, 3)]
    assert model.num_classes == 10
    assert isinstance(model, VariationalAutoencoder)
    assert getattr(keras_gen, "ConditionalVariationalAutoencoder") is type(model)


@pytest.mark.parametrize("beta", [1.0, 3.0])
def test_cvae_loss_matches_numpy(beta, x_random, y_random):
    model = make_cvae(beta=beta)
    bce, kl = numpy_terms(model, x_random, y_random)
    metrics = model.evaluate(x_random, y_random, batch_size=64, verbose=0, return_dict=True)
    assert metrics["reconstruction_loss"] == pytest.approx(bce.mean(), rel=1e-4)
    assert metrics["kl_loss"] == pytest.approx(kl.mean(), rel=1e-4)
    assert metrics["loss"] == pytest.approx(bce.mean() + beta * kl.mean(), rel=1e-4)


def test_cvae_decoder_depends_on_the_label(x_random):
    model = make_cvae()
    z = np.zeros((2, 3), "float32")
    as_zero, as_one = model.decode(z, labels=[0, 0]), model.decode(z, labels=[1, 1])
    assert not np.allclose(as_zero, as_one)
    codes = model.encode(x_random[:4], labels=[0, 1, 2, 3])
    assert codes.shape == (4, 3)
    assert not np.allclose(codes, model.encode(x_random[:4], labels=[4, 5, 6, 7]))
    assert model.reconstruct(x_random[:4], labels=[0, 1, 2, 3]).shape == (4, 784)


def test_cvae_fit_updates_every_weight_and_logs_its_terms(x_random, y_random):
    model = make_cvae()
    before = [ops.convert_to_numpy(v).copy() for v in model.trainable_variables]
    history = model.fit(x_random, y_random, batch_size=16, epochs=2, verbose=0,
                        validation_data=(x_random[:16], y_random[:16])).history
    assert set(history) == {"loss", "reconstruction_loss", "kl_loss",
                            "val_loss", "val_reconstruction_loss", "val_kl_loss"}
    assert history["loss"][-1] < history["loss"][0]
    assert int(model.optimizer.iterations) == 8
    for value, variable in zip(before, model.trainable_variables):
        assert not np.array_equal(ops.convert_to_numpy(variable), value), variable.path


@pytest.mark.parametrize(
    "arguments, pattern",
    [
        (lambda x, y: dict(x=x), r"`y` must be an array of the integer labels.*Received: y=None"),
        (lambda x, y: dict(x=x, y=y + 10), r"`y` must hold labels in \[0, 10\).*from 10"),
        (lambda x, y: dict(x=x, y=y[:10]), r"`y`.*64"),
        (lambda x, y: dict(x=x, y=y, validation_data=(x, y - 1)),
         r"`validation_data\[1\]` must hold labels in \[0, 10\)"),
        (lambda x, y: dict(x=x * 2, y=y), r"`x` must hold values in \[0, 1\]"),
    ],
)
def test_cvae_fit_rejects_bad_labels_before_the_first_step(arguments, pattern, x_random,
                                                            y_random):
    model = make_cvae()
    before = model.get_weights()
    with pytest.raises(ValueError, match=pattern):
        model.fit(**arguments(x_random, y_random), epochs=1, verbose=0)
    assert int(model.optimizer.iterations) == 0
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)


def test_cvae_generate_and_decode_need_labels_in_range():
    model = make_cvae()
    assert model.generate(6, seed=0).shape == (6, 784)  # Labels drawn.
    np.testing.assert_array_equal(model.generate(6, seed=0, labels=[3] * 6),
                                  model.generate(6, seed=0, labels=[3] * 6))
    with pytest.raises(ValueError, match=r"labels.*\[0, 10\).*11"):
        model.generate(2, labels=[0, 11])
    with pytest.raises(ValueError, match=r"decode\(\) needs the class.*labels=None"):
        model.decode(np.zeros((2, 3), "float32"))
    with pytest.raises(TypeError):
        model.encode(np.zeros((2, 784), "float32"))  # `labels=` is required.


def test_cvae_save_load_and_resume(x_random, y_random, tmp_path):
    model = make_cvae()
    model.fit(x_random, y_random, batch_size=16, epochs=1, verbose=0)
    model.save(tmp_path / "cvae.keras")
    loaded = keras.saving.load_model(tmp_path / "cvae.keras")
    assert type(loaded) is ConditionalVariationalAutoencoder
    assert loaded.get_config() == model.get_config()
    np.testing.assert_array_equal(loaded.generate(8, seed=3), model.generate(8, seed=3))
    assert int(loaded.optimizer.iterations) == 4
    for m in (model, loaded):
        m.fit(x_random, y_random, batch_size=16, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(loaded.weights, model.weights):
        np.testing.assert_allclose(ops.convert_to_numpy(a), ops.convert_to_numpy(b),
                                   rtol=1e-5, atol=1e-6, err_msg=a.path)


def test_cvae_learns_to_draw_the_class_asked_for(mnist_flat):
    # After a short training, the shipped reference classifier reads most
    # samples drawn for class k as k.
    from keras_gen.evaluation import load_reference_classifier

    (x_train, y_train), _ = mnist_flat
    keras.utils.set_random_seed(0)
    model = ConditionalVariationalAutoencoder(reconstruction_loss="binary_crossentropy", seed=0)
    model.compile(keras.optimizers.Adam(1e-3))
    labels = np.repeat(np.arange(10), 50)
    classifier = load_reference_classifier("mnist")
    before = np.mean(classifier.predict(model.generate(500, seed=1, labels=labels)) == labels)
    model.fit(x_train[:16384], y_train[:16384], batch_size=64, epochs=8, verbose=0)
    after = np.mean(classifier.predict(model.generate(500, seed=1, labels=labels)) == labels)
    assert after > 0.8 and after > before + 0.5, (before, after)


def test_latent_traversal_varies_one_dimension_per_row():
    from keras_gen.callbacks import LatentTraversal

    keras.utils.set_random_seed(0)
    model = keras_gen.VariationalAutoencoder(input_shape=(16,), intermediate_dim=8,
                                             latent_dim=3, beta=4.0, seed=0)
    traversal = LatentTraversal(steps=4, limit=2.0, num_dims=2)
    codes = traversal.codes(model)
    assert codes.shape == (8, 3)
    np.testing.assert_allclose(codes[:4, 0], np.linspace(-2, 2, 4))
    np.testing.assert_array_equal(codes[:4, 1:], 0)
    np.testing.assert_allclose(codes[4:, 1], np.linspace(-2, 2, 4))
    x = np.random.default_rng(0).uniform(0, 1, (1, 16)).astype("float32")
    based = LatentTraversal(x=x, steps=3).codes(model)
    base = model.encode(x)[0]
    assert based.shape == (9, 3)
    np.testing.assert_allclose(based[3:6, [0, 2]], np.repeat(base[None, [0, 2]], 3, axis=0),
                               rtol=1e-6)
    traversal.set_model(model)
    from keras_gen.callbacks import as_images, tile_images, to_uint8

    expected = tile_images(to_uint8(as_images(model.decode(codes))), rows=2, columns=4)
    np.testing.assert_array_equal(traversal.picture(), expected)  # 2 rows of 4 tiles.
    with pytest.raises(ValueError, match=r"`steps` must be at least 2. Received: steps=1"):
        LatentTraversal(steps=1)
    with pytest.raises(ValueError, match=r"`limit` must be a positive number. Received: limit=0"):
        LatentTraversal(limit=0)
