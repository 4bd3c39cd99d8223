"""One conditioning contract for every model that takes labels.

`fit(x, y)` and `evaluate(x, y)` take integer labels in `[0, num_classes)`,
checked before the first step; `decode(z, labels=...)`,
`generate(n, labels=...)` and `reconstruct(x, labels=...)` take them as a
keyword; a model without classes refuses them.
"""

import inspect

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_gen
from tests.test_structure import MODEL_CLASSES, keras_gen_classes_above

SMALL = dict(input_shape=(12,), latent_dim=2, hidden_units=(8,), discriminator_units=(8,))


def supervised(**kwargs):
    return keras_gen.SupervisedAdversarialAutoencoder(num_classes=3, seed=0, **SMALL, **kwargs)


def semi_supervised(**kwargs):
    return keras_gen.SemiSupervisedAdversarialAutoencoder(
        num_classes=3, seed=0, **SMALL, **kwargs
    )


def unconditional():
    return [
        keras_gen.AdversarialAutoencoder(seed=0, **SMALL),
        keras_gen.GAN(input_shape=(12,), latent_dim=2, generator_units=(8,),
                      discriminator_units=(8,), seed=0),
        keras_gen.VariationalAutoencoder(input_shape=(12,), intermediate_dim=8, latent_dim=2),
    ]


def data(n=12, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(0, 1, (n, 12)).astype("float32"), rng.integers(0, 3, n)


@pytest.mark.parametrize("method", ["decode", "generate", "reconstruct", "sample_prior"])
def test_labels_and_batch_size_are_keywords_on_every_model(method):
    # `decode(z, 128)` cannot mean a batch size on one model and labels on another.
    for cls in MODEL_CLASSES:
        function = getattr(cls, method, None)
        parameters = inspect.signature(function).parameters
        for name in ("labels", "batch_size"):
            if name in parameters:
                assert parameters[name].kind is inspect.Parameter.KEYWORD_ONLY, (cls, name)
        if method != "reconstruct" or cls is not keras_gen.EBGAN:
            assert "labels" in parameters, (cls, method)


def test_fit_and_evaluate_are_written_once():
    # One `fit()` (and `evaluate()`) for the whole zoo: the models add checks
    # through the data check, not by overriding them.
    for cls in MODEL_CLASSES:
        for klass in [cls, *keras_gen_classes_above(cls)]:
            if klass is keras_gen.models.GenerativeModel:
                continue
            assert "fit" not in vars(klass), klass
            assert "evaluate" not in vars(klass), klass


def test_models_without_classes_refuse_labels():
    z = np.zeros((3, 2), "float32")
    x, _ = data(3)
    for model in unconditional():
        assert model.num_classes is None
        name = type(model).__name__
        with pytest.raises(ValueError, match=rf"{name}.decode\(\) takes no labels.*labels=\[0, 1, 2\]"):
            model.decode(z, labels=[0, 1, 2])
        with pytest.raises(ValueError, match=rf"{name}.decode\(\) takes no labels"):
            model.generate(3, seed=0, labels=[0, 1, 2])
        if getattr(model, "encoder", None) is not None:
            with pytest.raises(ValueError, match="takes no labels"):
                model.reconstruct(x, labels=[0, 1, 2])
        with pytest.raises(TypeError):
            model.decode(z, 128)  # Positional: refused, not read as labels.


@pytest.mark.parametrize("make", [supervised, semi_supervised])
def test_decode_and_generate_use_the_labels_given(make):
    model = make()
    z = model.sample_prior(6, seed=1)
    labels = np.array([0, 1, 2, 0, 1, 2])
    one_hot = np.eye(3, dtype="float32")[labels]
    expected = keras.ops.convert_to_numpy(model.decoder([one_hot, z], training=False))
    np.testing.assert_allclose(model.decode(z, labels=labels), expected, rtol=1e-6)
    np.testing.assert_allclose(
        model.generate(6, seed=1, labels=labels), expected, rtol=1e-6
    )
    # A different class changes the picture: the labels reach the decoder.
    other = model.decode(z, labels=(labels + 1) % 3)
    assert np.abs(other - expected).max() > 1e-4
    # Drawn labels: uniform over the classes, fixed by the seed.
    np.testing.assert_array_equal(model.generate(6, seed=2), model.generate(6, seed=2))
    drawn = np.random.default_rng(2).integers(0, 3, 6)
    np.testing.assert_allclose(
        model.generate(6, seed=2), model.decode(model.sample_prior(6, seed=2), labels=drawn),
        rtol=1e-6,
    )


@pytest.mark.parametrize("make", [supervised, semi_supervised])
@pytest.mark.parametrize(
    "labels, pattern",
    [
        (None, r"decode\(\) needs the class of each code: pass `labels=`, integers in \[0, 3\).*labels=None"),
        ([0, 1, 3], r"`labels` must hold labels in \[0, 3\).*from 0 to 3"),
        ([0, 1], r"`labels` must hold one integer class label per example, shape \(3,\)"),
        ([0.5, 1, 2], r"`labels` must hold integer class labels"),
    ],
)
def test_bad_labels_are_refused_by_the_helpers(make, labels, pattern):
    model = make()
    z = np.zeros((3, 2), "float32")
    with pytest.raises(ValueError, match=pattern):
        model.decode(z, labels=labels)
    if labels is not None:
        with pytest.raises(ValueError, match=pattern):
            model.generate(3, seed=0, labels=labels)


@pytest.mark.parametrize(
    "make_y, pattern",
    [
        (lambda y: None, r"`y` must be an array of the integer labels.*\[0, 3\).*y=None"),
        (lambda y: y + 3, r"`y` must hold labels in \[0, 3\)"),
        (lambda y: y[:-1], r"`y` must hold one integer class label per example, shape \(12,\)"),
    ],
)
def test_fit_and_evaluate_check_labels_before_the_first_step(make_y, pattern):
    model = supervised()
    model.compile()
    x, y = data()
    before = [v.numpy().copy() for v in model.trainable_variables]
    with pytest.raises(ValueError, match=pattern):
        model.fit(x, make_y(y), epochs=1, verbose=0)
    with pytest.raises(ValueError, match=pattern):
        model.evaluate(x, make_y(y), verbose=0)
    with pytest.raises(ValueError, match=pattern.replace("`y`", r"`validation_data\[1\]`")
                       .replace("y=None", r"validation_data\[1\]=None")):
        model.fit(x, y, validation_data=(x, make_y(y)), epochs=1, verbose=0)
    assert int(model.ae_optimizer.iterations) == 0
    for old, new in zip(before, model.trainable_variables):
        np.testing.assert_array_equal(old, new.numpy())


def test_a_datasets_labels_are_checked_on_its_first_batch():
    model = supervised()
    model.compile()
    x, y = data()
    dataset = tf.data.Dataset.from_tensor_slices((x, y + 3)).batch(4)
    with pytest.raises(ValueError, match=r"The first batch of `x`.*`y` must hold labels in \[0, 3\)"):
        model.fit(dataset, epochs=1, verbose=0)
    assert int(model.ae_optimizer.iterations) == 0
    # Good labels train.
    history = model.fit(
        tf.data.Dataset.from_tensor_slices((x, y)).batch(4), epochs=1, verbose=0
    ).history
    assert np.isfinite(history["reconstruction_loss"]).all()
    assert int(model.ae_optimizer.iterations) == 3


def test_semi_supervised_evaluate_needs_labels():
    model = semi_supervised()
    model.compile()
    x, y = data()
    with pytest.raises(ValueError, match=r"`y` must be an array of the integer labels"):
        model.evaluate(x, verbose=0)
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert 0.0 <= logs["classification_acc"] <= 1.0


def test_an_unconditional_model_ignores_fit_labels():
    # Keras-GAN's scripts load (x, y) and train on x: a GAN's `y` is unused.
    gan = unconditional()[1]
    gan.compile()
    x, y = data()
    history = gan.fit(x * 2 - 1, y, batch_size=4, epochs=1, verbose=0).history
    assert np.isfinite(history["d_loss"]).all()
