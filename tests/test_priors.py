"""The priors: sampling statistics, labels, seeds, serialization, bad input."""

import keras
import numpy as np
import pytest
from keras import ops

from keras_gen import priors

PRIORS = {
    "gaussian": lambda: priors.Gaussian(latent_dim=3, std=5.0),
    "uniform": lambda: priors.Uniform(latent_dim=3, minval=-10.0, maxval=10.0),
    "mixture": lambda: priors.GaussianMixture(latent_dim=3),
    "categorical": lambda: priors.Categorical(num_classes=10),
}


def both_samples(prior, num_samples=20000, labels=None):
    """The NumPy sample and the keras.random sample, as NumPy arrays."""
    tensor = prior.sample(
        num_samples, seed=keras.random.SeedGenerator(1), labels=labels
    )
    array = prior.sample_numpy(num_samples, seed=0, labels=labels)
    return array, ops.convert_to_numpy(tensor)


def numpy_mixture(prior, labels, noise):
    """The paper's petals: rotate `(radius + radial, tangential)` by 2 pi k / K."""
    angle = 2 * np.pi * labels / prior.num_components
    radial = prior.radius + prior.radial_std * noise[:, 0]
    tangential = prior.tangential_std * noise[:, 1]
    rotation = np.stack(
        [[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]
    ).transpose(2, 0, 1)
    circle = np.einsum("nij,nj->ni", rotation, np.stack([radial, tangential], 1))
    return np.concatenate([circle, prior.tangential_std * noise[:, 2:]], axis=1)


@pytest.mark.parametrize("name", sorted(PRIORS))
def test_samples_have_the_shape_dtype_and_seeds_asked_for(name):
    prior = PRIORS[name]()
    for sample in both_samples(prior, num_samples=7):
        assert sample.shape == (7, prior.latent_dim)
        assert sample.dtype == np.float32
    np.testing.assert_array_equal(
        prior.sample_numpy(5, seed=3), prior.sample_numpy(5, seed=3)
    )
    assert not np.array_equal(
        prior.sample_numpy(5, seed=3), prior.sample_numpy(5, seed=4)
    )
    # Seed generators: reproducible from their seed, advancing on each call.
    first, second = keras.random.SeedGenerator(5), keras.random.SeedGenerator(5)
    a = ops.convert_to_numpy(prior.sample(5, seed=first))
    np.testing.assert_array_equal(a, ops.convert_to_numpy(prior.sample(5, seed=second)))
    assert not np.array_equal(a, ops.convert_to_numpy(prior.sample(5, seed=first)))
    np.testing.assert_array_equal(
        ops.convert_to_numpy(prior.sample(5, seed=9)),
        ops.convert_to_numpy(prior.sample(5, seed=9)),
    )


def test_gaussian_and_uniform_moments():
    for sample in both_samples(PRIORS["gaussian"]()):
        np.testing.assert_allclose(sample.mean(0), 0.0, atol=0.15)
        np.testing.assert_allclose(sample.std(0), 5.0, rtol=0.03)
        np.testing.assert_allclose(np.corrcoef(sample.T), np.eye(3), atol=0.03)
    for sample in both_samples(PRIORS["uniform"]()):
        assert sample.min() >= -10.0 and sample.max() <= 10.0
        np.testing.assert_allclose(sample.mean(0), 0.0, atol=0.15)
        np.testing.assert_allclose(sample.std(0), 20 / np.sqrt(12), rtol=0.03)


def test_mixture_matches_the_numpy_reference_of_the_petals():
    prior = priors.GaussianMixture(latent_dim=3, radius=4.0, radial_std=0.5,
                                   tangential_std=0.1)
    labels = np.arange(12) % 10
    noise = np.random.default_rng(0).standard_normal((12, 3))
    expected = numpy_mixture(prior, labels, noise)
    draws = {"class": labels, "normal": noise}
    np.testing.assert_allclose(prior.transform(draws, np), expected)
    tensors = {"class": ops.convert_to_tensor(labels, "int32"),
               "normal": ops.convert_to_tensor(noise, "float32")}
    np.testing.assert_allclose(
        ops.convert_to_numpy(prior.transform(tensors, ops)), expected,
        rtol=1e-5, atol=1e-5,
    )
    centers = prior.centers()
    np.testing.assert_allclose(np.linalg.norm(centers[:, :2], axis=1), 4.0, rtol=1e-6)
    for sample in both_samples(prior, labels=np.repeat(np.arange(10), 2000)):
        by_component = sample.reshape(10, 2000, 3)
        np.testing.assert_allclose(by_component.mean(1), centers, atol=0.05)
        # Along the radius and across it, in the component's own frame.
        for k in range(10):
            angle = 2 * np.pi * k / 10
            radial = by_component[k, :, :2] @ [np.cos(angle), np.sin(angle)]
            tangential = by_component[k, :, :2] @ [-np.sin(angle), np.cos(angle)]
            assert radial.std() == pytest.approx(0.5, rel=0.08)
            assert tangential.std() == pytest.approx(0.1, rel=0.08)
            assert by_component[k, :, 2].std() == pytest.approx(0.1, rel=0.08)


def test_mixture_components_are_equally_likely_without_labels():
    prior = priors.GaussianMixture()
    for sample in both_samples(prior):
        angles = np.arctan2(sample[:, 1], sample[:, 0])
        components = np.round(angles / (2 * np.pi / 10)).astype(int) % 10
        np.testing.assert_allclose(np.bincount(components, minlength=10) / 20000,
                                   0.1, atol=0.012)


def test_categorical_is_one_hot_and_uniform():
    prior = PRIORS["categorical"]()
    for sample in both_samples(prior):
        assert set(np.unique(sample)) == {0.0, 1.0}
        np.testing.assert_array_equal(sample.sum(1), 1.0)
        np.testing.assert_allclose(sample.mean(0), 0.1, atol=0.012)
    labels = np.array([3, 0, 9])
    for sample in both_samples(prior, num_samples=3, labels=labels):
        np.testing.assert_array_equal(sample, np.eye(10)[labels])


def test_labels_as_a_tensor_inside_a_compiled_function():
    import tensorflow as tf

    prior = priors.GaussianMixture()
    seed = keras.random.SeedGenerator(0)

    @tf.function
    def draw(labels):
        return prior.sample(tf.shape(labels)[0], seed=seed, labels=labels)

    sample = draw(tf.constant(np.full(500, 2), "int32")).numpy()
    np.testing.assert_allclose(sample.mean(0), prior.centers()[2], atol=0.15)
    again = draw(tf.constant(np.full(500, 2), "int32")).numpy()
    assert not np.array_equal(sample, again)


@pytest.mark.parametrize("name", sorted(PRIORS))
def test_config_and_keras_serialization_round_trip(name):
    prior = PRIORS[name]()
    assert type(prior).from_config(prior.get_config()) == prior
    config = keras.saving.serialize_keras_object(prior)
    assert config["registered_name"] == f"keras_gen>{type(prior).__name__}"
    restored = keras.saving.deserialize_keras_object(config)
    assert restored == prior and restored is not prior
    assert priors.get_prior(config) == prior
    np.testing.assert_array_equal(restored.sample_numpy(4, seed=0),
                                  prior.sample_numpy(4, seed=0))


def test_get_prior_names_instances_and_latent_dim():
    assert priors.get_prior("gaussian") == priors.Gaussian(latent_dim=2, std=5.0)
    assert priors.get_prior("Normal", latent_dim=4) == priors.Gaussian(latent_dim=4)
    assert priors.get_prior("mixture") == priors.GaussianMixture()
    assert priors.get_prior("gaussian_mixture", 3).latent_dim == 3
    assert priors.get_prior("uniform", 5) == priors.Uniform(latent_dim=5)
    assert priors.get_prior("categorical", 4) == priors.Categorical(num_classes=4)
    instance = priors.Uniform(latent_dim=2, minval=0.0, maxval=1.0)
    assert priors.get_prior(instance) is instance
    assert priors.get_prior(instance, latent_dim=2) is instance


@pytest.mark.parametrize(
    "call, pattern",
    [
        (lambda: priors.get_prior("laplace"),
         r"`prior` must be a Prior instance or one of \['categorical', 'gaussian',"
         r".*Received: prior='laplace'"),
        (lambda: priors.get_prior(5.0), r"`prior`.*Received: prior=5.0"),
        (lambda: priors.get_prior({"class_name": "Nope", "config": {}}),
         r"`prior` is a dict but not the config of a registered Prior"),
        (lambda: priors.get_prior(priors.Gaussian(latent_dim=3), latent_dim=2),
         r"`prior` must draw codes of size latent_dim=2.*latent_dim=3"),
        (lambda: priors.Gaussian(std=0), r"`std` must be a positive number.*std=0"),
        (lambda: priors.Gaussian(latent_dim=0), r"`latent_dim`.*latent_dim=0"),
        (lambda: priors.Uniform(minval=1.0, maxval=1.0),
         r"`maxval` must be above `minval`.*minval=1.0, maxval=1.0"),
        (lambda: priors.Uniform(minval=float("nan")), r"`minval` must be a finite"),
        (lambda: priors.GaussianMixture(latent_dim=1),
         r"`latent_dim` must be at least 2.*latent_dim=1"),
        (lambda: priors.GaussianMixture(num_components=1),
         r"`num_components` must be at least 2"),
        (lambda: priors.GaussianMixture(radial_std=-1.0), r"`radial_std`.*-1.0"),
        (lambda: priors.Categorical(num_classes=1), r"`num_classes`.*num_classes=1"),
        (lambda: priors.GaussianMixture().sample_numpy(3, labels=[0, 10, 1]),
         r"`labels` must hold labels in \[0, 10\).*from 0 to 10"),
        (lambda: priors.Categorical(3).sample(2, labels=np.array([-1, 0])),
         r"`labels` must hold labels in \[0, 3\)"),
        (lambda: priors.GaussianMixture().sample_numpy(3, labels=[0, 1]),
         r"`labels` must hold one integer class label per example, shape \(3,\)"),
        (lambda: priors.GaussianMixture().sample_numpy(2, labels=[0.5, 1.0]),
         r"`labels` must hold integer class labels"),
        (lambda: priors.Gaussian().sample_numpy(2, labels=[0, 1]),
         r"Gaussian prior has no classes, so it takes no `labels`"),
        (lambda: priors.Gaussian().sample_numpy(0), r"`num_samples`.*num_samples=0"),
        (lambda: priors.Gaussian().sample_numpy(2, seed=1.5), r"`seed`.*seed=1.5"),
        (lambda: priors.GaussianMixture().sample(2, seed="a"), r"`seed`.*seed='a'"),
    ],
)
def test_bad_input_raises_a_clear_value_error(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()


@pytest.mark.parametrize("name", sorted(PRIORS))
def test_each_distribution_is_written_once(name):
    # One `transform` of standard draws serves both samplers: the codes of
    # `sample` are the transform of the draws `keras.random` makes, and
    # `sample_numpy` is the transform of NumPy's draws, in `draws` order.
    prior = PRIORS[name]()
    cls = type(prior)
    assert "transform" in vars(cls) and cls.draws
    for method in ("_sample", "sample", "sample_numpy", "_sample_numpy"):
        assert method not in vars(cls), (cls, method)
    rng = np.random.default_rng(5)
    draws = {}
    for kind in prior.draws:
        shape = (7, prior.latent_dim)
        draws[kind] = (rng.integers(0, prior.num_classes, 7) if kind == "class"
                       else rng.standard_normal(shape) if kind == "normal"
                       else rng.random(shape))
    np.testing.assert_array_equal(
        prior.sample_numpy(7, seed=5),
        np.asarray(prior.transform(draws, np), "float32"),
    )
    # In a step: the same transform of keras.random's draws with the same seeds.
    generator = keras.random.SeedGenerator(3)
    replay = keras.random.SeedGenerator(3)
    tensors = {}
    for kind in prior.draws:
        shape = (7, prior.latent_dim)
        tensors[kind] = (
            keras.random.randint((7,), 0, prior.num_classes, dtype="int32", seed=replay)
            if kind == "class"
            else keras.random.normal(shape, dtype="float32", seed=replay)
            if kind == "normal"
            else keras.random.uniform(shape, dtype="float32", seed=replay)
        )
    np.testing.assert_allclose(
        ops.convert_to_numpy(prior.sample(7, seed=generator)),
        ops.convert_to_numpy(prior.transform(tensors, ops)),
        rtol=1e-6, atol=1e-6,
    )
