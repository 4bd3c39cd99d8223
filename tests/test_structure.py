"""The shape of the code a reader meets: shallow model classes, no magic.

Every model is one short module on `GenerativeModel`: at most three
keras-gen classes above any model class (the backend's base class
included), and no `__getattr__` override, whose lookups a reader cannot see.
"""

import inspect

import pytest

import keras_gen
import keras_gen.models

MODEL_CLASSES = sorted(
    (cls for cls in vars(keras_gen.models).values()
     if inspect.isclass(cls) and issubclass(cls, keras_gen.models.GenerativeModel)
     and cls is not keras_gen.models.GenerativeModel),
    key=lambda cls: cls.__name__,
)


def keras_gen_classes_above(cls):
    return [k for k in cls.__mro__[1:] if k.__module__.split(".")[0] == "keras_gen"]


def test_every_model_class_is_found():
    names = {cls.__name__ for cls in MODEL_CLASSES}
    assert {"GAN", "DCGAN", "LSGAN", "BGAN", "WGAN", "WGANGP", "EBGAN",
            "AdversarialAutoencoder", "SemiSupervisedAdversarialAutoencoder",
            "VariationalAutoencoder", "DenoisingAutoencoder"} <= names


@pytest.mark.parametrize("cls", MODEL_CLASSES, ids=lambda cls: cls.__name__)
def test_at_most_three_keras_gen_classes_above_a_model(cls):
    above = keras_gen_classes_above(cls)
    assert len(above) <= 3, [k.__qualname__ for k in above]
    assert getattr(keras_gen, cls.__name__) is cls


@pytest.mark.parametrize("cls", MODEL_CLASSES, ids=lambda cls: cls.__name__)
def test_no_keras_gen_class_overrides_getattr(cls):
    for klass in [cls, *keras_gen_classes_above(cls)]:
        assert "__getattr__" not in vars(klass), klass


def test_the_docs_example_of_a_new_model_trains_and_saves(tmp_path):
    # docs/adversarial.md, "Adding a model": its code block, run as written.
    import re
    from pathlib import Path

    import keras
    import numpy as np

    text = (Path(__file__).resolve().parents[1] / "docs" / "adversarial.md").read_text()
    section = text.split("## Adding a model", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    namespace = {}
    exec(compile(code, "docs/adversarial.md", "exec"), namespace)
    HingeGAN = namespace["HingeGAN"]
    assert len(keras_gen_classes_above(HingeGAN)) == 3
    keras.utils.set_random_seed(0)
    model = HingeGAN(latent_dim=8, generator_units=(16,), seed=1)
    model.compile()
    x = np.random.default_rng(0).uniform(-1, 1, (32, 784)).astype("float32")
    real_scores = model.discriminator.predict(x, verbose=0)
    history = model.fit(x, batch_size=16, epochs=1, verbose=0).history
    assert set(history) == {"d_loss", "g_loss", "d_acc", "d_x", "d_g_z1", "d_g_z2"}
    assert np.isfinite(history["d_loss"]).all()
    # Its own loss: on the discriminator's scores, the hinge.
    expected = np.mean(np.maximum(0, 1 - real_scores)) + np.mean(np.maximum(0, 1 + real_scores))
    got = float(model.discriminator_loss(real_scores, real_scores))
    np.testing.assert_allclose(got, expected, rtol=1e-5)
    model.save(tmp_path / "hinge.keras")
    loaded = keras.saving.load_model(tmp_path / "hinge.keras")
    assert type(loaded) is HingeGAN
    np.testing.assert_array_equal(loaded.generate(4, seed=0), model.generate(4, seed=0))


def test_a_model_without_a_prior_says_why_it_cannot_generate():
    from keras_gen import evaluation

    autoencoder = keras_gen.Autoencoder(input_shape=(4,), latent_space=2, intermediate_dim=3)
    with pytest.raises(NotImplementedError, match="Autoencoder has no prior"):
        autoencoder.generate(2)
    assert not evaluation.can_generate(autoencoder)
    gan = keras_gen.GAN(input_shape=(4,), latent_dim=2, generator_units=(3,),
                        discriminator_units=(3,))
    assert evaluation.can_generate(gan) and gan.generate(3, seed=0).shape == (3, 4)
