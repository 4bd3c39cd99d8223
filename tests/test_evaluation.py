"""Tests of `keras_gen.evaluation`: metrics, reference classifiers, callback."""

import math

import keras
import numpy as np
import pytest
import scipy.linalg
import scipy.spatial.distance
import scipy.special
import scipy.stats

import keras_gen
from keras_gen import evaluation
from keras_gen.evaluation import callback as callback_module
from keras_gen.evaluation import classifiers, metrics

# The accuracy bars of the issue, and how far the accuracy on the first 2000
# test images may stray from the one recorded on all 10,000.
ACCURACY_BARS = {"mnist": 0.993, "fashion_mnist": 0.92}
SLICE = 2000
SLICE_TOLERANCE = 0.015
BAR_MARGIN = 0.005


def scipy_frechet_distance(features1, features2):
    """The reference FID formula, with `scipy.linalg.sqrtm`."""
    mean1, mean2 = features1.mean(0), features2.mean(0)
    cov1 = np.cov(features1, rowvar=False)
    cov2 = np.cov(features2, rowvar=False)
    covmean = scipy.linalg.sqrtm(cov1 @ cov2)
    covmean = np.real(covmean)
    diff = mean1 - mean2
    return float(diff @ diff + np.trace(cov1) + np.trace(cov2) - 2 * np.trace(covmean))


def random_covariance(rng, d):
    a = rng.standard_normal((d, d))
    return a @ a.T / d + 0.1 * np.eye(d)


# Fréchet distance ----------------------------------------------------------------


def test_frechet_distance_is_zero_for_identical_sets():
    features = np.random.default_rng(0).standard_normal((500, 16))
    assert evaluation.frechet_distance(features, features) == pytest.approx(
        0.0, abs=1e-9
    )
    # A permutation of the rows is the same set.
    assert evaluation.frechet_distance(
        features, features[::-1].copy()
    ) == pytest.approx(0.0, abs=1e-9)


def test_frechet_distance_closed_form_of_two_gaussians():
    rng = np.random.default_rng(1)
    mean1, mean2 = rng.standard_normal(5), rng.standard_normal(5)
    # Diagonal covariances: tr((S1 S2)^1/2) = sum(sqrt(a * b)).
    a, b = rng.uniform(0.5, 2.0, 5), rng.uniform(0.5, 2.0, 5)
    expected = np.sum((mean1 - mean2) ** 2) + np.sum(a + b - 2 * np.sqrt(a * b))
    assert evaluation.frechet_distance_from_statistics(
        mean1, np.diag(a), mean2, np.diag(b)
    ) == pytest.approx(expected, rel=1e-10)
    # One-dimensional: (m1 - m2)^2 + (s1 - s2)^2.
    assert evaluation.frechet_distance_from_statistics(
        [1.0], [[4.0]], [-2.0], [[9.0]]
    ) == pytest.approx(9.0 + 1.0)


def test_frechet_distance_matches_scipy_for_full_covariances():
    rng = np.random.default_rng(2)
    d = 8
    cov1, cov2 = random_covariance(rng, d), random_covariance(rng, d)
    features1 = rng.multivariate_normal(np.zeros(d), cov1, size=2000)
    features2 = rng.multivariate_normal(np.full(d, 0.3), cov2, size=1500)
    ours = evaluation.frechet_distance(features1, features2)
    assert ours == pytest.approx(scipy_frechet_distance(features1, features2), rel=1e-6)
    assert ours == pytest.approx(
        evaluation.frechet_distance(features2, features1), rel=1e-9
    )
    # From the statistics, against scipy's sqrtm on the exact covariances.
    exact = np.trace(cov1) + np.trace(cov2) - 2 * np.trace(
        np.real(scipy.linalg.sqrtm(cov1 @ cov2))
    )
    assert evaluation.frechet_distance_from_statistics(
        np.zeros(d), cov1, np.zeros(d), cov2
    ) == pytest.approx(exact, rel=1e-8)


@pytest.mark.filterwarnings("ignore::scipy.linalg.LinAlgWarning")
def test_frechet_distance_with_singular_covariances():
    # Fewer samples than features, and dead (constant) features, as ReLU
    # features have: the covariances are singular.
    rng = np.random.default_rng(3)
    features1 = rng.standard_normal((20, 32))
    features2 = rng.standard_normal((20, 32)) + 0.5
    features1[:, :4] = 0.0
    features2[:, :4] = 0.0
    ours = evaluation.frechet_distance(features1, features2)
    assert np.isfinite(ours) and ours > 0
    assert ours == pytest.approx(scipy_frechet_distance(features1, features2), rel=1e-4)
    assert evaluation.frechet_distance(features1, features1) == pytest.approx(
        0.0, abs=1e-8
    )


def test_frechet_distance_rejects_bad_input():
    with pytest.raises(ValueError, match="features2"):
        evaluation.frechet_distance(np.zeros((10, 3)), np.zeros((10, 4)))
    with pytest.raises(ValueError, match="at least 2 rows"):
        evaluation.frechet_distance(np.zeros((1, 3)), np.zeros((10, 3)))
    with pytest.raises(ValueError, match="finite"):
        evaluation.frechet_distance(np.full((10, 3), np.nan), np.zeros((10, 3)))


# Classifier score and class coverage ---------------------------------------------


def test_classifier_score_on_hand_made_predictions():
    one_hot = np.eye(10)[np.arange(1000) % 10]
    assert evaluation.classifier_score(one_hot) == pytest.approx(10.0)
    # Everything predicted as one class, or no sample confident: score 1.
    assert evaluation.classifier_score(np.eye(10)[np.zeros(100, int)]) == (
        pytest.approx(1.0)
    )
    assert evaluation.classifier_score(np.full((100, 10), 0.1)) == pytest.approx(1.0)
    # Two equally frequent classes, predicted with certainty: score 2.
    assert evaluation.classifier_score(np.eye(10)[np.arange(100) % 2]) == (
        pytest.approx(2.0)
    )
    # Against the formula with scipy, on random softmax outputs.
    rng = np.random.default_rng(0)
    p = scipy.special.softmax(3 * rng.standard_normal((200, 10)), axis=1)
    marginal = p.mean(axis=0)
    expected = np.exp(np.mean(scipy.special.rel_entr(p, marginal).sum(axis=1)))
    assert evaluation.classifier_score(p) == pytest.approx(expected, rel=1e-9)


def test_classifier_score_rejects_non_distributions():
    with pytest.raises(ValueError, match="probabilities"):
        evaluation.classifier_score(np.ones((5, 10)))
    with pytest.raises(ValueError, match="probabilities"):
        evaluation.classifier_score(np.ones(10) / 10)


def test_class_coverage_on_hand_made_histograms():
    uniform = evaluation.class_coverage(np.arange(1000) % 10)
    assert uniform == {"classes_covered": 10, "class_kl": pytest.approx(0.0)}
    collapsed = evaluation.class_coverage(np.full(50, 7))
    assert collapsed["classes_covered"] == 1
    assert collapsed["class_kl"] == pytest.approx(math.log(10))
    # Half class 0, half class 1: KL = 2 * 0.5 * log(0.5 * 10) = log 5.
    two = evaluation.class_coverage(np.eye(10)[np.arange(100) % 2] * 0.9 + 0.01)
    assert two["classes_covered"] == 2
    assert two["class_kl"] == pytest.approx(math.log(5))
    # Against scipy's entropy on an uneven histogram.
    labels = np.repeat(np.arange(10), [30, 20, 10, 10, 10, 5, 5, 5, 5, 0])
    counts = np.bincount(labels, minlength=10)
    result = evaluation.class_coverage(labels)
    assert result["classes_covered"] == 9
    assert result["class_kl"] == pytest.approx(
        scipy.stats.entropy(counts / counts.sum(), np.full(10, 0.1))
    )


def test_class_coverage_rejects_out_of_range_ids():
    with pytest.raises(ValueError, match="class ids"):
        evaluation.class_coverage(np.array([0, 10]))
    with pytest.raises(ValueError, match="columns"):
        evaluation.class_coverage(np.ones((4, 3)) / 3)


def test_classification_error():
    labels = np.array([0, 1, 2, 3])
    assert evaluation.classification_error(np.array([0, 1, 2, 0]), labels) == 0.25
    assert evaluation.classification_error(np.eye(4), labels) == 0.0


# Precision and recall --------------------------------------------------------------


def brute_force_precision_recall(real, generated, k):
    def radii(points):
        d = scipy.spatial.distance.cdist(points, points)
        return np.sort(d, axis=1)[:, k]

    def inside(queries, points):
        d = scipy.spatial.distance.cdist(queries, points)
        return float(np.mean((d <= radii(points)[None, :]).any(axis=1)))

    return inside(generated, real), inside(real, generated)


def test_precision_recall_on_toy_point_clouds():
    rng = np.random.default_rng(0)
    real = rng.standard_normal((300, 4))
    same = evaluation.precision_recall(real, real.copy())
    assert same == {"precision": 1.0, "recall": 1.0}
    far = evaluation.precision_recall(real, real + 100.0)
    assert far == {"precision": 0.0, "recall": 0.0}
    # Mode dropping: the samples reproduce one of two distant clusters.
    clusters = np.concatenate([real[:150], real[150:] + 50.0])
    dropped = evaluation.precision_recall(clusters, clusters[:150].copy())
    assert dropped == {"precision": 1.0, "recall": 0.5}
    # A generator with the right spread but shifted: both drop below 1.
    shifted = evaluation.precision_recall(real, rng.standard_normal((300, 4)) + 1.0)
    assert 0.0 < shifted["precision"] < 1.0 and 0.0 < shifted["recall"] < 1.0


@pytest.mark.parametrize("chunk_size", [1, 7, 1000])
def test_precision_recall_matches_brute_force(chunk_size):
    rng = np.random.default_rng(1)
    real = rng.standard_normal((120, 6))
    generated = 1.3 * rng.standard_normal((90, 6)) + 0.4
    for k in (1, 3, 5):
        result = evaluation.precision_recall(
            real, generated, k=k, chunk_size=chunk_size
        )
        precision, recall = brute_force_precision_recall(real, generated, k)
        assert result["precision"] == pytest.approx(precision)
        assert result["recall"] == pytest.approx(recall)


def test_precision_recall_rejects_bad_input():
    with pytest.raises(ValueError, match="at least 4 rows"):
        evaluation.precision_recall(np.zeros((3, 2)), np.zeros((10, 2)))
    with pytest.raises(ValueError, match="same number of features"):
        evaluation.precision_recall(np.zeros((10, 2)), np.zeros((10, 3)))
    with pytest.raises(ValueError, match="`k`"):
        evaluation.precision_recall(np.zeros((10, 2)), np.zeros((10, 2)), k=0)


# Reference classifiers --------------------------------------------------------------


@pytest.fixture(scope="module")
def fashion_test():
    (_, _), (x_test, y_test) = keras_gen.data.load_dataset(
        "fashion_mnist", layout="image"
    )
    return x_test[:SLICE], y_test[:SLICE]


@pytest.mark.parametrize("dataset", ["mnist", "fashion_mnist"])
def test_shipped_classifier_accuracy(dataset, mnist_images, fashion_test):
    info = evaluation.load_classifier_info(dataset)
    assert info["test_accuracy"] >= ACCURACY_BARS[dataset]
    assert info["dataset"] == dataset and info["keras_version"]
    assert info["command"].startswith("python bench/train_classifiers.py")
    if dataset == "mnist":
        x, y = mnist_images[1][0][:SLICE], mnist_images[1][1][:SLICE]
    else:
        x, y = fashion_test
    classifier = evaluation.load_reference_classifier(dataset)
    accuracy = classifier.accuracy(x, y)
    assert abs(accuracy - info["test_accuracy"]) <= SLICE_TOLERANCE
    assert accuracy >= ACCURACY_BARS[dataset] - BAR_MARGIN
    # The same images in [-1, 1], declared so, give the same predictions.
    np.testing.assert_allclose(
        classifier.predict_proba(x[:200] * 2 - 1, value_range=(-1, 1)),
        classifier.predict_proba(x[:200]),
        atol=1e-5,
    )


def test_classifier_features_and_layouts(mnist_flat):
    classifier = evaluation.load_reference_classifier("mnist")
    assert evaluation.load_reference_classifier("mnist") is classifier
    x = mnist_flat[1][0][:64]
    features = classifier.features(x)
    assert features.shape == (64, 128) and features.dtype == np.float32
    both = classifier.features_and_probabilities(x.reshape(-1, 28, 28))
    np.testing.assert_allclose(both[0], features, atol=1e-5)
    np.testing.assert_allclose(both[1].sum(axis=1), 1.0, atol=1e-5)


def test_wrong_value_range_fails_loudly(mnist_flat):
    classifier = evaluation.load_reference_classifier("mnist")
    tanh_images = mnist_flat[1][0][:16] * 2 - 1
    with pytest.raises(ValueError, match=r"value_range=\(-1, 1\)"):
        classifier.predict_proba(tanh_images)
    with pytest.raises(ValueError, match="value_range"):
        classifier.predict_proba(tanh_images, value_range=(1, -1))
    with pytest.raises(ValueError, match="x.shape"):
        classifier.predict_proba(np.zeros((4, 32, 32, 1), "float32"))
    with pytest.raises(ValueError, match="dataset"):
        evaluation.load_reference_classifier("cifar10")


def test_test_images_score_as_perfect_samples(mnist_images):
    # The reference set is the first n test images: scoring them against
    # themselves gives FCD 0 and precision = recall = 1.
    x_test = mnist_images[1][0]
    scores = evaluation.sample_quality(x_test[:500] * 2 - 1, value_range=(-1, 1))
    assert scores["fcd"] == pytest.approx(0.0, abs=1e-3)
    assert scores["sample_precision"] == 1.0 and scores["sample_recall"] == 1.0
    assert scores["classes_covered"] == 10 and scores["class_kl"] < 0.05
    assert scores["classifier_score"] > 8.5
    # Training images: close to the test images, but not the same ones.
    floor = evaluation.real_data_floor("mnist", num_samples=500)
    assert floor["fcd"] > 0.0 and floor["sample_precision"] > 0.7
    assert floor["classes_covered"] == 10 and floor["classifier_score"] > 8.5
    # Noise is far from the data.
    noise = np.random.default_rng(0).uniform(size=(500, 784)).astype("float32")
    noisy = evaluation.sample_quality(noise)
    assert noisy["fcd"] > 20 * floor["fcd"] and noisy["sample_precision"] < 0.05
    assert noisy["classes_covered"] < 10 and noisy["class_kl"] > 0.5


# Autoencoders and the VAE --------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_vae(mnist_flat):
    keras.utils.set_random_seed(0)
    vae = keras_gen.VariationalAutoencoder(
        intermediate_dim=32, latent_dim=2,
        reconstruction_loss="binary_crossentropy", seed=0,
    )
    vae.compile(keras.optimizers.Adam(1e-3))
    vae.fit(mnist_flat[0][0][:2048], epochs=2, batch_size=128, verbose=0)
    return vae


def test_vae_negative_elbo_and_importance_weighted_nll(tiny_vae, mnist_flat):
    x = mnist_flat[1][0][:64]
    elbo = evaluation.negative_elbo(tiny_vae, x, num_samples=16)
    assert elbo["negative_elbo"] == pytest.approx(elbo["reconstruction"] + elbo["kl"])
    # The model's own loss is the same quantity, with one sample of z.
    loss = tiny_vae.evaluate(x, batch_size=64, verbose=0, return_dict=True)["loss"]
    assert loss == pytest.approx(elbo["negative_elbo"], rel=0.02)

    iwae = evaluation.importance_weighted_nll(tiny_vae, x, num_samples=200, max_rows=3000)
    assert np.isfinite(iwae["nll"]) and iwae["nll"] > 0
    # Jensen: log-mean-exp >= mean, so the bound is below the ELBO on the
    # same draws, and below the separately sampled ELBO on average.
    assert iwae["nll"] <= iwae["negative_elbo"]
    assert iwae["nll"] <= elbo["negative_elbo"]
    assert iwae["negative_elbo"] == pytest.approx(elbo["negative_elbo"], rel=0.02)
    # With one sample the estimate is that sample's negative ELBO.
    one = evaluation.importance_weighted_nll(tiny_vae, x, num_samples=1)
    assert one["nll"] == pytest.approx(one["negative_elbo"])
    # Chunking (several calls per image) does not change the estimate.
    chunked = evaluation.importance_weighted_nll(
        tiny_vae, x[:4], num_samples=200, max_rows=64
    )
    whole = evaluation.importance_weighted_nll(
        tiny_vae, x[:4], num_samples=200, max_rows=3000
    )
    assert chunked["nll"] == pytest.approx(whole["nll"], rel=1e-5)


def test_vae_likelihood_rejects_pixels_outside_unit_range(tiny_vae, mnist_flat):
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        evaluation.negative_elbo(tiny_vae, mnist_flat[1][0][:8] * 2 - 1)


def test_reconstruction_error(tiny_vae, mnist_flat):
    x = mnist_flat[1][0][:64]
    errors = evaluation.reconstruction_error(tiny_vae, x)
    reconstructions = tiny_vae.reconstruct(x)
    assert errors["mse"] == pytest.approx(float(np.mean((x - reconstructions) ** 2)))
    assert 0 < errors["mse"] < 0.2 and errors["bce_nats"] > 0


def test_value_range_is_inferred_from_the_decoder(tiny_vae):
    assert evaluation.infer_value_range(tiny_vae) == (0.0, 1.0)
    assert evaluation.infer_value_range(keras_gen.GAN(latent_dim=8)) == (-1.0, 1.0)
    assert evaluation.infer_value_range(
        keras_gen.DCGAN(input_shape=(28, 28, 1))
    ) == (-1.0, 1.0)


# The callback -----------------------------------------------------------------------------


class Recorder(keras.callbacks.Callback):
    """Records the epoch logs it sees."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def on_epoch_end(self, epoch, logs=None):
        self.seen.append(dict(logs))


class FakeRun:
    def __init__(self):
        self.rows = []
        self.defined = {}

    def define_metric(self, name, step_metric=None):
        self.defined[name] = step_metric

    def log(self, row):
        self.rows.append(row)


def test_sample_quality_callback_adds_metrics_to_history(mnist_flat, monkeypatch):
    fake_run = FakeRun()
    monkeypatch.setattr(callback_module, "active_wandb_run", lambda: fake_run)
    keras.utils.set_random_seed(0)
    gan = keras_gen.GAN(latent_dim=8, generator_units=(32, 64), discriminator_units=(64,))
    gan.compile()
    quality = evaluation.SampleQuality(every_n_epochs=2, num_samples=200)
    recorder = Recorder()
    history = gan.fit(
        mnist_flat[0][0][:256] * 2 - 1, epochs=3, batch_size=64, verbose=0,
        callbacks=[quality, recorder],
    )
    # Evaluated after epoch 2 (every 2) and 3 (the last), not after epoch 1.
    assert [row["epoch"] for row in quality.history] == [2, 3]
    for key in metrics.SAMPLE_QUALITY_KEYS:
        assert len(history.history[key]) == 2
        assert key not in recorder.seen[0] and key in recorder.seen[1]
        assert history.history[key][-1] == quality.history[-1][key]
    assert 1 <= history.history["classes_covered"][-1] <= 10
    # The same codes every time: an evaluation without training repeats.
    assert quality.evaluate() == pytest.approx(
        {k: v for k, v in quality.history[-1].items() if k != "epoch"}
    )
    assert [row["epoch"] for row in fake_run.rows] == [2, 3]
    assert fake_run.defined["fcd"] == "epoch"


def test_sample_quality_callback_rejects_bad_arguments():
    with pytest.raises(ValueError, match="every_n_epochs"):
        evaluation.SampleQuality(every_n_epochs=0)
    with pytest.raises(ValueError, match="dataset"):
        evaluation.SampleQuality(dataset="cifar10")
    with pytest.raises(ValueError, match="value_range"):
        evaluation.SampleQuality(value_range=(0, 0))
    with pytest.raises(ValueError, match="generate"):
        evaluation.SampleQuality().set_model(keras_gen.Autoencoder())
