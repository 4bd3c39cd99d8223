"""Sample-quality and likelihood metrics of generative models.

Sample quality is measured with the reference classifiers of
`keras_gen.evaluation.classifiers` (Inception-based scores cannot be computed
here and fit 28x28 grey images poorly):

- `frechet_distance`: the Fréchet distance between Gaussians fitted to two
  sets of features. On the reference classifier's penultimate features this
  is the **Fréchet Classifier Distance (FCD)**. It is not the FID: the
  numbers are on another scale and cannot be compared with published FIDs.
- `classifier_score`: the Inception Score computed with the reference
  classifier, `exp(E_x KL(p(y|x) || p(y)))`, between 1 and 10.
- `class_coverage`: how many of the 10 classes are predicted at least once,
  and the KL divergence of the predicted-class histogram from uniform.
- `precision_recall`: improved precision and recall (Kynkäänniemi et al.,
  2019) with k-nearest-neighbour manifolds in feature space.
- `sample_quality` computes all of them for a batch of images against the
  test set, `generator_quality` for a model's `generate()` samples, and
  `real_data_floor` for training images, the best a model can hope for.

Likelihood and reconstruction metrics: `reconstruction_error` for the
autoencoders, `negative_elbo` and `importance_weighted_nll` for the VAE, and
`classification_error` for semi-supervised models.

Everything is computed in NumPy (float64 for the statistics) or with
`keras.ops`, so it runs on every backend and needs no SciPy.
"""

import functools
import math

import keras
import numpy as np

from keras_gen import losses
from keras_gen.evaluation import classifiers
from keras_gen.validation import check_positive_int

DEFAULT_NUM_SAMPLES = 10000
DEFAULT_K = 3
DEFAULT_CHUNK_SIZE = 1000

# The keys of `sample_quality()`, in order.
SAMPLE_QUALITY_KEYS = (
    "fcd",
    "classifier_score",
    "classes_covered",
    "class_kl",
    "sample_precision",
    "sample_recall",
)


# Fréchet distance ------------------------------------------------------------


def gaussian_statistics(features):
    """Mean and covariance of a set of feature vectors.

    Args:
        features: Array of shape `(n, d)` with `n >= 2`.

    Returns:
        `(mean, covariance)`: float64 arrays of shapes `(d,)` and `(d, d)`;
        the covariance is the unbiased one (divided by `n - 1`), as in the
        reference FID code.
    """
    features = _check_features(features, "features", min_rows=2)
    mean = features.mean(axis=0)
    covariance = np.cov(features, rowvar=False)
    return mean, np.atleast_2d(covariance)


def frechet_distance_from_statistics(mean1, covariance1, mean2, covariance2):
    """Fréchet distance between two Gaussians N(mean1, cov1), N(mean2, cov2).

    `||mean1 - mean2||^2 + tr(cov1) + tr(cov2) - 2 tr((cov1 cov2)^(1/2))`.

    The trace of the matrix square root is computed without SciPy and
    without the non-symmetric product `cov1 cov2`: with `S = cov1^(1/2)`
    (from a symmetric eigendecomposition), `cov1 cov2 = S^-1 (S cov2 S) S`
    is similar to the symmetric positive semi-definite `S cov2 S`, so both
    have the same eigenvalues and `tr((cov1 cov2)^(1/2))` is the sum of the
    square roots of the eigenvalues of `S cov2 S`. This also holds for
    singular covariances (fewer samples than dimensions, dead ReLU units),
    where `scipy.linalg.sqrtm` warns and may return complex noise. Tiny
    negative eigenvalues from rounding are clipped to 0, and so is the
    result.

    Args:
        mean1: Array of shape `(d,)`.
        covariance1: Symmetric positive semi-definite array `(d, d)`.
        mean2: Array of shape `(d,)`.
        covariance2: Symmetric positive semi-definite array `(d, d)`.

    Returns:
        The distance as a Python float (it is a squared distance, as the
        FID is).
    """
    mean1 = np.asarray(mean1, dtype="float64").reshape(-1)
    mean2 = np.asarray(mean2, dtype="float64").reshape(-1)
    covariance1 = np.atleast_2d(np.asarray(covariance1, dtype="float64"))
    covariance2 = np.atleast_2d(np.asarray(covariance2, dtype="float64"))
    d = len(mean1)
    for name, value, shape in (
        ("mean2", mean2, (d,)),
        ("covariance1", covariance1, (d, d)),
        ("covariance2", covariance2, (d, d)),
    ):
        if value.shape != shape:
            raise ValueError(
                f"`{name}` must have shape {shape} to match mean1.shape="
                f"{mean1.shape}. Received: {name}.shape={value.shape}"
            )
    sqrt_covariance1 = _symmetric_sqrt(covariance1)
    product = sqrt_covariance1 @ covariance2 @ sqrt_covariance1
    eigenvalues = np.linalg.eigvalsh(0.5 * (product + product.T))
    trace_sqrt = np.sqrt(np.clip(eigenvalues, 0.0, None)).sum()
    difference = mean1 - mean2
    distance = (
        difference @ difference
        + np.trace(covariance1)
        + np.trace(covariance2)
        - 2.0 * trace_sqrt
    )
    return max(float(distance), 0.0)


def frechet_distance(features1, features2):
    """Fréchet distance between Gaussians fitted to two sets of features.

    With the reference classifier's penultimate features this is the
    Fréchet Classifier Distance (FCD); see `sample_quality()`. Like the FID
    it is biased upwards for finite samples, so only compare values computed
    with the same number of samples.

    Args:
        features1: Array of shape `(n1, d)`, `n1 >= 2`.
        features2: Array of shape `(n2, d)`, `n2 >= 2`.

    Returns:
        The distance as a Python float (0 for identical sets).
    """
    mean1, covariance1 = gaussian_statistics(features1)
    mean2, covariance2 = gaussian_statistics(features2)
    if mean1.shape != mean2.shape:
        raise ValueError(
            "`features1` and `features2` must have the same number of "
            f"features. Received: features1 with {mean1.shape[0]}, features2 "
            f"with {mean2.shape[0]}"
        )
    return frechet_distance_from_statistics(mean1, covariance1, mean2, covariance2)


def _symmetric_sqrt(matrix):
    """Square root of a symmetric positive semi-definite matrix."""
    eigenvalues, eigenvectors = np.linalg.eigh(0.5 * (matrix + matrix.T))
    roots = np.sqrt(np.clip(eigenvalues, 0.0, None))
    return (eigenvectors * roots) @ eigenvectors.T


# Class-based scores ------------------------------------------------------------


def classifier_score(probabilities):
    """The Inception Score, computed with the reference classifier.

    `exp(mean_x KL(p(y|x) || p(y)))`, where `p(y)` is the mean of the
    predicted distributions. It is 1 when every sample gets the same
    prediction and `num_classes` (10) when the predictions are confident
    (one-hot) and spread evenly over the classes. It is computed over all
    samples at once (the original Inception Score averages 10 splits, which
    gives slightly lower values).

    Args:
        probabilities: Array of shape `(n, num_classes)`, each row a
            probability distribution (softmax outputs).

    Returns:
        The score as a Python float.
    """
    p = _check_probabilities(probabilities)
    marginal = p.mean(axis=0)
    # 0 * log(0 / q) = 0; where p > 0 the marginal is > 0 too.
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * (np.log(p) - np.log(marginal)), 0.0)
    return float(np.exp(terms.sum(axis=1).mean()))


def class_coverage(predictions, num_classes=classifiers.NUM_CLASSES):
    """How evenly generated samples cover the classes.

    Args:
        predictions: Class probabilities of shape `(n, num_classes)` (each
            sample counts for its argmax) or integer class ids of shape
            `(n,)`.
        num_classes: Number of classes; for probabilities it must match
            their last axis.

    Returns:
        Dict with `classes_covered`, the number of classes predicted at
        least once (an int, `num_classes` is full coverage), and `class_kl`,
        the KL divergence `sum_c h_c log(h_c num_classes)` of the
        predicted-class histogram `h` from uniform, in nats (0 for perfectly
        even classes, `log(num_classes)` = 2.303 for 10 classes when every
        sample falls in one class).
    """
    num_classes = check_positive_int(num_classes, "num_classes")
    labels = _as_class_ids(predictions, num_classes)
    counts = np.bincount(labels, minlength=num_classes).astype("float64")
    histogram = counts / counts.sum()
    nonzero = histogram > 0
    kl = float(np.sum(histogram[nonzero] * np.log(histogram[nonzero] * num_classes)))
    return {"classes_covered": int(nonzero.sum()), "class_kl": max(kl, 0.0)}


def classification_error(predictions, labels):
    """Fraction of misclassified examples, e.g. a semi-supervised AAE's.

    Args:
        predictions: Class scores or probabilities of shape
            `(n, num_classes)` (the argmax is the prediction), or integer
            class ids of shape `(n,)`.
        labels: Integer labels of shape `(n,)`.

    Returns:
        The error rate in [0, 1] as a Python float (multiply by 100 for %).
    """
    labels = np.asarray(labels).reshape(-1)
    predictions = np.asarray(keras.ops.convert_to_numpy(predictions))
    if predictions.ndim == 2:
        predictions = predictions.argmax(axis=-1)
    if predictions.shape != labels.shape or not len(labels):
        raise ValueError(
            "`predictions` must hold one prediction (a row of class scores "
            "or a class id) per label, and there must be at least one. "
            f"Received: predictions.shape={predictions.shape}, "
            f"labels.shape={labels.shape}"
        )
    return float(np.mean(predictions != labels))


# Precision and recall ----------------------------------------------------------


def precision_recall(
    real_features, generated_features, k=DEFAULT_K, chunk_size=DEFAULT_CHUNK_SIZE
):
    """Improved precision and recall in feature space (Kynkäänniemi et al. 2019).

    Each set of features defines a manifold: the union of balls centred on
    its points, each with the radius of the distance to that point's k-th
    nearest neighbour in the same set. Precision is the fraction of
    generated samples inside the real manifold (are the samples realistic?);
    recall is the fraction of real samples inside the generated manifold (is
    the variety of the data covered?). Use the same number of real and
    generated samples, as the paper does: the radii shrink as a set grows.

    Distances are computed `chunk_size` rows at a time, so memory stays at
    about `chunk_size * max(n_real, n_generated)` float64 values (80 MB for
    the defaults and 10,000 samples) instead of the full distance matrix.

    Args:
        real_features: Array of shape `(n_real, d)`, `n_real > k`.
        generated_features: Array of shape `(n_generated, d)`,
            `n_generated > k`.
        k: Which nearest neighbour sets the radii (3 by default, as in the
            paper).
        chunk_size: Rows of the distance matrix computed at a time.

    Returns:
        Dict with `precision` and `recall`, Python floats in [0, 1].
    """
    k = check_positive_int(k, "k")
    chunk_size = check_positive_int(chunk_size, "chunk_size")
    real = _check_features(real_features, "real_features", min_rows=k + 1)
    generated = _check_features(
        generated_features, "generated_features", min_rows=k + 1
    )
    if real.shape[1] != generated.shape[1]:
        raise ValueError(
            "`real_features` and `generated_features` must have the same "
            f"number of features. Received: {real.shape[1]} and "
            f"{generated.shape[1]}"
        )
    real_radii = _knn_squared_radii(real, k, chunk_size)
    generated_radii = _knn_squared_radii(generated, k, chunk_size)
    # One pass over the generated-to-real distances serves both: a row
    # (generated sample) is inside the real manifold if it is within the
    # radius of some column; a column (real sample) is inside the generated
    # manifold if some row has it within its own radius.
    real_sq_norms = np.einsum("ij,ij->i", real, real)
    real_inside = np.zeros(len(real), dtype=bool)
    generated_inside = 0
    for start in range(0, len(generated), chunk_size):
        stop = start + chunk_size
        distances = _squared_distances(generated[start:stop], real, real_sq_norms)
        generated_inside += int(np.count_nonzero(
            (distances <= real_radii[None, :]).any(axis=1)
        ))
        real_inside |= (distances <= generated_radii[start:stop, None]).any(axis=0)
    return {
        "precision": generated_inside / len(generated),
        "recall": float(np.mean(real_inside)),
    }


def _squared_distances(queries, points, points_sq_norms):
    """Squared Euclidean distances between rows, shape `(len(q), len(p))`."""
    # In place: each temporary of a 1000 x 10,000 chunk is 80 MB.
    distances = queries @ points.T
    distances *= -2.0
    distances += np.einsum("ij,ij->i", queries, queries)[:, None]
    distances += points_sq_norms[None, :]
    return np.maximum(distances, 0.0, out=distances)


def _knn_squared_radii(points, k, chunk_size):
    """Squared distance from each point to its k-th nearest other point."""
    sq_norms = np.einsum("ij,ij->i", points, points)
    radii = np.empty(len(points))
    for start in range(0, len(points), chunk_size):
        stop = start + chunk_size
        distances = _squared_distances(points[start:stop], points, sq_norms)
        rows = np.arange(len(distances))
        # The point itself is its own nearest neighbour: set it to exactly 0
        # so rounding cannot push it behind a duplicate.
        distances[rows, start + rows] = 0.0
        radii[start:stop] = np.partition(distances, k, axis=1)[:, k]
    return radii


# All sample-quality metrics at once -------------------------------------------


@functools.lru_cache(maxsize=8)
def reference_features(dataset="mnist", num_samples=DEFAULT_NUM_SAMPLES, split="test"):
    """Features and probabilities of real images, computed once per process.

    Args:
        dataset: `"mnist"` or `"fashion_mnist"`.
        num_samples: How many images: the first `num_samples` of the split
            (all 10,000 test images at most).
        split: `"test"` or `"train"`.

    Returns:
        A tuple `(features, probabilities)` of read-only float32 arrays.
    """
    from keras_gen.data import load_dataset

    num_samples = check_positive_int(num_samples, "num_samples")
    if split not in ("test", "train"):
        raise ValueError(
            f"`split` must be 'test' or 'train'. Received: split={split!r}"
        )
    (x_train, _), (x_test, _) = load_dataset(dataset, layout="image")
    images = (x_test if split == "test" else x_train)[:num_samples]
    classifier = classifiers.load_reference_classifier(dataset)
    features, probabilities = classifier.features_and_probabilities(images)
    features.flags.writeable = False
    probabilities.flags.writeable = False
    return features, probabilities


def sample_quality(
    samples,
    dataset="mnist",
    value_range=(0.0, 1.0),
    k=DEFAULT_K,
    batch_size=classifiers.DEFAULT_BATCH_SIZE,
):
    """Every sample-quality metric of generated images, against the test set.

    The reference set is the first `n = min(len(samples), 10000)` test
    images, so the real and generated sets have the same size (the FCD and
    precision/recall depend on it): report the sample count with the
    numbers, and compare with `real_data_floor(num_samples=n)`.

    Args:
        samples: Generated images of shape `(n, 784)`, `(n, 28, 28)` or
            `(n, 28, 28, 1)`, `n >= 4`.
        dataset: `"mnist"` or `"fashion_mnist"`: which reference classifier
            and test set to use.
        value_range: `(low, high)` range of `samples`: `(0, 1)` for sigmoid
            outputs, `(-1, 1)` for the GANs' tanh outputs.
        k: Nearest neighbour of the precision/recall manifolds.
        batch_size: Images per classifier call.

    Returns:
        Dict of Python numbers: `fcd` (Fréchet Classifier Distance to the
        test set), `classifier_score`, `classes_covered`, `class_kl` (nats),
        `sample_precision` and `sample_recall`.
    """
    classifier = classifiers.load_reference_classifier(dataset)
    features, probabilities = classifier.features_and_probabilities(
        samples, value_range=value_range, batch_size=batch_size
    )
    num_samples = min(len(features), DEFAULT_NUM_SAMPLES)
    real_features, _ = reference_features(dataset, num_samples)
    return _quality(features, probabilities, real_features, k)


def can_generate(model):
    """Whether `model` has a `generate(num_samples, seed)` that samples a prior.

    Any object with such a method, except a keras-gen model without a prior
    (the autoencoders, whose inherited `generate()` says why it cannot).

    Args:
        model: Any object, typically a keras-gen model.

    Returns:
        A bool.
    """
    if not callable(getattr(model, "generate", None)):
        return False
    return getattr(model, "prior", True) is not None


def generator_quality(
    model,
    dataset="mnist",
    num_samples=DEFAULT_NUM_SAMPLES,
    value_range=None,
    seed=0,
    k=DEFAULT_K,
    batch_size=classifiers.DEFAULT_BATCH_SIZE,
):
    """Sample-quality metrics of a model's `generate()` samples.

    Args:
        model: A model with `generate(num_samples, seed)` (the VAE, the
            GANs).
        dataset: `"mnist"` or `"fashion_mnist"`.
        num_samples: How many samples to generate (10,000 by default, the
            size of the test set they are compared with).
        value_range: `(low, high)` range of the model's outputs. Defaults to
            the one of its decoder's (generator's) output activation:
            `(-1, 1)` for tanh, `(0, 1)` for sigmoid.
        seed: Seed of the latent codes, so repeated calls (every few epochs)
            score the same codes.
        k: Nearest neighbour of the precision/recall manifolds.
        batch_size: Images per classifier call.

    Returns:
        The dict of `sample_quality()`.
    """
    num_samples = check_positive_int(num_samples, "num_samples")
    if not can_generate(model):
        raise ValueError(
            "`model` must have a `generate(num_samples, seed)` method, like "
            f"the VAE and the GANs. Received: a {type(model).__name__}"
        )
    if value_range is None:
        value_range = infer_value_range(model)
    samples = model.generate(num_samples, seed=seed)
    return sample_quality(
        samples, dataset, value_range=value_range, k=k, batch_size=batch_size
    )


def conditional_accuracy(
    model,
    dataset="mnist",
    num_samples=DEFAULT_NUM_SAMPLES,
    value_range=None,
    seed=0,
    batch_size=classifiers.DEFAULT_BATCH_SIZE,
):
    """How often the reference classifier reads a sample as the class it was drawn as.

    Draws `num_samples` samples with `model.generate(num_samples, seed=seed,
    labels=...)`, the classes in turn (`i % num_classes`, as balanced as the
    count allows), and labels them with the shipped reference classifier.

    Args:
        model: A model with classes (`num_classes`) and
            `generate(num_samples, seed, labels=)`: `CGAN`, `ACGAN`, the
            conditional VAE, the supervised adversarial autoencoder.
        dataset: `"mnist"` or `"fashion_mnist"`, the classifier's.
        num_samples: How many samples.
        value_range: `(low, high)` of the model's outputs; inferred from
            its decoder's last activation by default.
        seed: Seed of the codes.
        batch_size: Images per classifier call.

    Returns:
        Dict with `conditional_accuracy` (a fraction) and
        `conditional_accuracy_by_class` (a list, one fraction per class).
    """
    num_samples = check_positive_int(num_samples, "num_samples")
    num_classes = getattr(model, "num_classes", None)
    if not isinstance(num_classes, int) or not can_generate(model):
        raise ValueError(
            "`model` must generate the classes asked for, with `num_classes` and "
            "`generate(num_samples, seed, labels=)` (CGAN, ACGAN, the conditional "
            f"VAE). Received: a {type(model).__name__} with num_classes={num_classes!r}"
        )
    if value_range is None:
        value_range = infer_value_range(model)
    labels = np.arange(num_samples) % num_classes
    samples = model.generate(num_samples, seed=seed, labels=labels)
    classifier = classifiers.load_reference_classifier(dataset)
    correct = classifier.predict(samples, value_range=value_range, batch_size=batch_size) == labels
    return {
        "conditional_accuracy": float(np.mean(correct)),
        "conditional_accuracy_by_class": [
            float(np.mean(correct[labels == k])) for k in range(num_classes)],
    }


def pair_agreement(
    model,
    transform="rotated",
    dataset="mnist",
    num_samples=DEFAULT_NUM_SAMPLES,
    value_range=(-1.0, 1.0),
    seed=0,
    batch_size=classifiers.DEFAULT_BATCH_SIZE,
):
    """How often a two-domain model's pair shows the same class in both domains.

    Draws `num_samples` pairs with `model.generate(num_samples, seed=seed)`
    (`CoGAN`), turns each domain-B image back into domain A's
    (`keras_gen.data.to_domain_a`: rotated back, or inverted back), and
    labels both images with the reference classifier.

    Args:
        model: A model whose `generate(num_samples, seed)` returns the pair
            `(images_a, images_b)`.
        transform: How domain B was made from A: `"rotated"` or `"inverted"`.
        dataset: `"mnist"` or `"fashion_mnist"`, the classifier's.
        num_samples: How many pairs.
        value_range: `(low, high)` of the images.
        seed: Seed of the codes.
        batch_size: Images per classifier call.

    Returns:
        Dict with `pair_agreement` (a fraction) and `pair_classes` (how many
        classes the first domain's images cover).
    """
    from keras_gen.data import to_domain_a

    num_samples = check_positive_int(num_samples, "num_samples")
    pair = model.generate(num_samples, seed=seed)
    if not isinstance(pair, (tuple, list)) or len(pair) != 2:
        raise ValueError(
            "`model.generate()` must return a pair of image batches (a two-domain "
            f"model such as CoGAN). Received: a {type(model).__name__}")
    classifier = classifiers.load_reference_classifier(dataset)
    a = classifier.predict(pair[0], value_range=value_range, batch_size=batch_size)
    b = classifier.predict(to_domain_a(pair[1], transform, value_range),
                           value_range=value_range, batch_size=batch_size)
    return {"pair_agreement": float(np.mean(a == b)), "pair_classes": int(len(np.unique(a)))}


def code_accuracy(predicted_codes, labels, num_codes=None):
    """Accuracy of an unsupervised code read as a classifier, after the best matching.

    Each code value is matched one-to-one to a class so that the most
    examples agree (the Hungarian algorithm on the confusion counts,
    `scipy.optimize.linear_sum_assignment`), as InfoGAN's categorical code
    is scored: the code never saw a label, so its values come in any order.

    Args:
        predicted_codes: Integer code of each example
            (`InfoGAN.predict_codes(x)`), shape `(n,)` (any shape with `n`
            elements is flattened).
        labels: Integer class of each example, shape `(n,)`, likewise.
        num_codes: Number of code values; defaults to the largest seen + 1.

    Returns:
        Dict with `code_accuracy` (a fraction) and `code_to_class` (the
        matching, a list: the class of each code value, -1 if unmatched).
    """
    from scipy.optimize import linear_sum_assignment

    codes = np.asarray(predicted_codes).reshape(-1).astype("int64")
    labels = np.asarray(labels).reshape(-1).astype("int64")
    if codes.shape != labels.shape or not len(codes):
        raise ValueError(
            "`predicted_codes` and `labels` must be non-empty and of the same "
            f"length. Received: {codes.shape[0]} codes and {labels.shape[0]} labels"
        )
    num_codes = int(codes.max()) + 1 if num_codes is None else num_codes
    num_classes = int(labels.max()) + 1
    counts = np.zeros((num_codes, num_classes), "int64")
    np.add.at(counts, (codes, labels), 1)
    rows, columns = linear_sum_assignment(-counts)
    code_to_class = np.full(num_codes, -1, "int64")
    code_to_class[rows] = columns
    return {
        "code_accuracy": float(counts[rows, columns].sum() / len(codes)),
        "code_to_class": code_to_class.tolist(),
    }


def real_data_floor(
    dataset="mnist", num_samples=DEFAULT_NUM_SAMPLES, k=DEFAULT_K
):
    """The sample-quality metrics of real training images, the best case.

    The first `num_samples` training images are scored against the first
    `num_samples` test images exactly as `sample_quality()` scores generated
    images: their FCD is the floor a perfect model would reach with that
    many samples (above 0, from sampling noise and the train/test shift).
    Report it beside every model's FCD.

    Args:
        dataset: `"mnist"` or `"fashion_mnist"`.
        num_samples: Images of each set (at most 10,000).
        k: Nearest neighbour of the precision/recall manifolds.

    Returns:
        The dict of `sample_quality()`.
    """
    num_samples = min(check_positive_int(num_samples, "num_samples"), 10000)
    features, probabilities = reference_features(dataset, num_samples, "train")
    real_features, _ = reference_features(dataset, num_samples)
    return _quality(features, probabilities, real_features, k)


def infer_value_range(model):
    """The output range of a model's decoder (a GAN's generator).

    Read from the last activation of `model.decoder`'s layers (skipping
    linear activations of layers without weights).

    Args:
        model: A keras-gen model with a `decoder`.

    Returns:
        `(-1.0, 1.0)` when its last activation is tanh and `(0.0, 1.0)`
        when it is sigmoid.

    Raises:
        ValueError: There is no such activation (pass `value_range`).
    """
    decoder = getattr(model, "decoder", None)
    layers = getattr(decoder, "layers", None) or []
    for layer in reversed(layers):
        activation = getattr(layer, "activation", None)
        if activation is None:
            continue
        name = getattr(activation, "__name__", None)
        if name == "tanh":
            return (-1.0, 1.0)
        if name == "sigmoid":
            return (0.0, 1.0)
        if name != "linear" or layer.weights:
            break
    raise ValueError(
        "Cannot tell the output range of the model from its decoder's last "
        "activation (tanh or sigmoid expected): pass `value_range`, e.g. "
        f"(0, 1) or (-1, 1). Received: a {type(model).__name__}"
    )


def _quality(features, probabilities, real_features, k):
    coverage = class_coverage(probabilities)
    pr = precision_recall(real_features, features, k=k)
    return {
        "fcd": frechet_distance(features, real_features),
        "classifier_score": classifier_score(probabilities),
        "classes_covered": coverage["classes_covered"],
        "class_kl": coverage["class_kl"],
        "sample_precision": pr["precision"],
        "sample_recall": pr["recall"],
    }


# Autoencoders and the VAE ------------------------------------------------------


def reconstruction_error(model, x, batch_size=256):
    """Test reconstruction error of an autoencoder.

    Args:
        model: A model with `reconstruct(x, batch_size)` (every keras-gen
            autoencoder; the VAE reconstructs from the mean code).
        x: Test inputs, shape `(n, *model.input_shape)`, in [0, 1].
        batch_size: Examples per call.

    Returns:
        Dict with `mse`, the squared error averaged over pixels and images
        (what `Autoencoder.evaluate()` reports), and `bce_nats`, the binary
        cross-entropy summed over the pixels of an image and averaged over
        images (the Bernoulli negative log-likelihood of the reconstruction,
        in nats).
    """
    reconstructions = model.reconstruct(x, batch_size=batch_size)
    x = np.asarray(x, dtype="float64").reshape(len(x), -1)
    p = np.asarray(reconstructions, dtype="float64").reshape(len(x), -1)
    return {
        "mse": float(np.mean((x - p) ** 2)),
        "bce_nats": float(np.mean(_bernoulli_nll(x, p))),
    }


def negative_elbo(vae, x, num_samples=1, seed=0, batch_size=256):
    """Negative evidence lower bound of a VAE, in nats per image.

    `-ELBO(x) = E_q(z|x)[-log p(x|z)] + KL(q(z|x) || N(0, I))`, the
    reconstruction term estimated with `num_samples` draws of `z` and the KL
    in closed form. The likelihood `p(x|z)` is Bernoulli with the decoder's
    sigmoid outputs as means, evaluated on the [0, 1] grey levels (the
    binary cross-entropy summed over pixels, probabilities clipped to
    [1e-7, 1 - 1e-7] as Keras does). For a VAE built with
    `reconstruction_loss="binary_crossentropy"` this is its training loss.
    On grey levels (not binarized pixels) it is not a normalized
    likelihood, so the values are not comparable with published
    binarized-MNIST figures.

    Args:
        vae: A `VariationalAutoencoder` (encoder outputs
            `[z_mean, z_log_var, z]`, decoder outputs pixel probabilities).
        x: Images in [0, 1], shape `(n, *vae.input_shape)`.
        num_samples: Draws of `z` per image.
        seed: Seed of the draws.
        batch_size: Images per encoder call.

    Returns:
        Dict with `negative_elbo`, `reconstruction` and `kl`, means over the
        images in nats.
    """
    num_samples = check_positive_int(num_samples, "num_samples")
    z_mean, z_log_var, x_flat = _encode(vae, x, batch_size)
    rng = np.random.default_rng(seed)
    reconstruction = np.zeros(len(x_flat))
    for _ in range(num_samples):
        eps = rng.standard_normal(z_mean.shape)
        z = z_mean + np.exp(0.5 * z_log_var) * eps
        reconstruction += _decoder_nll(vae, z, x_flat, batch_size)
    reconstruction /= num_samples
    kl = np.asarray(
        keras.ops.convert_to_numpy(losses.kl_divergence(z_mean, z_log_var)),
        dtype="float64",
    )
    return {
        "negative_elbo": float(np.mean(reconstruction + kl)),
        "reconstruction": float(np.mean(reconstruction)),
        "kl": float(np.mean(kl)),
    }


def importance_weighted_nll(
    vae, x, num_samples=5000, seed=0, batch_size=256, max_rows=10000
):
    """Importance-weighted estimate of a VAE's negative log-likelihood.

    `-log p(x) ~ -log (1/K) sum_k p(x|z_k) p(z_k) / q(z_k|x)` with `K =
    num_samples` codes `z_k ~ q(z|x)` per image (Burda et al., 2016),
    computed with a log-sum-exp in float64. It is an upper bound of the true
    NLL that tightens as K grows, and never above the negative ELBO's
    expectation (K = 1). The likelihood is Bernoulli on the [0, 1] grey
    levels, as in `negative_elbo()` (see there); the prior is N(0, I).

    Cost: `len(x) * num_samples` decoder evaluations, run `max_rows` codes
    per decoder call.

    Args:
        vae: A `VariationalAutoencoder`.
        x: Images in [0, 1], shape `(n, *vae.input_shape)`.
        num_samples: Importance samples K per image (5000 by default).
        seed: Seed of the draws.
        batch_size: Images per encoder call.
        max_rows: Codes per decoder call (memory: `max_rows` decoded images).

    Returns:
        Dict with `nll`, the mean estimate over images in nats, and
        `negative_elbo`, the mean of `-log w_k` over the same draws (a
        Monte Carlo negative ELBO with K samples).
    """
    num_samples = check_positive_int(num_samples, "num_samples")
    max_rows = check_positive_int(max_rows, "max_rows")
    z_mean, z_log_var, x_flat = _encode(vae, x, batch_size)
    rng = np.random.default_rng(seed)
    latent_dim = z_mean.shape[1]
    log_2pi = math.log(2.0 * math.pi)
    nll = np.empty(len(x_flat))
    elbo_terms = np.empty(len(x_flat))
    samples_per_call = max(1, min(num_samples, max_rows))
    images_per_call = max(1, max_rows // num_samples)
    for start in range(0, len(x_flat), images_per_call):
        stop = min(start + images_per_call, len(x_flat))
        mean, log_var = z_mean[start:stop], z_log_var[start:stop]
        log_weights = []
        for k_start in range(0, num_samples, samples_per_call):
            k = min(samples_per_call, num_samples - k_start)
            eps = rng.standard_normal((stop - start, k, latent_dim))
            z = mean[:, None, :] + np.exp(0.5 * log_var)[:, None, :] * eps
            log_prior = -0.5 * np.sum(z**2 + log_2pi, axis=-1)
            log_posterior = -0.5 * np.sum(
                eps**2 + log_2pi + log_var[:, None, :], axis=-1
            )
            targets = np.repeat(x_flat[start:stop], k, axis=0)
            log_likelihood = -_decoder_nll(
                vae, z.reshape(-1, latent_dim), targets, max_rows
            ).reshape(stop - start, k)
            log_weights.append(log_likelihood + log_prior - log_posterior)
        log_weights = np.concatenate(log_weights, axis=1)
        nll[start:stop] = -(_logsumexp(log_weights) - math.log(num_samples))
        elbo_terms[start:stop] = -log_weights.mean(axis=1)
    return {"nll": float(np.mean(nll)), "negative_elbo": float(np.mean(elbo_terms))}


def _encode(vae, x, batch_size):
    """Returns `z_mean`, `z_log_var` (float64) and the flat inputs of `x`."""
    from keras_gen.models.base import predict_in_batches

    batch_size = check_positive_int(batch_size, "batch_size")
    x = np.asarray(keras.ops.convert_to_numpy(x), dtype="float32")
    if x.ndim < 2 or not len(x):
        raise ValueError(
            "`x` must be a non-empty batch of images in [0, 1]. Received: "
            f"x.shape={x.shape}"
        )
    if x.min() < 0.0 or x.max() > 1.0:
        raise ValueError(
            "`x` must hold pixels in [0, 1] for the Bernoulli likelihood. "
            f"Received: values from {x.min():g} to {x.max():g}"
        )
    outputs = predict_in_batches(vae.encoder, x, batch_size)
    if not isinstance(outputs, (list, tuple)) or len(outputs) < 2:
        raise ValueError(
            "`vae.encoder` must output [z_mean, z_log_var, z], like "
            "VariationalAutoencoder's. Received: a model with one output"
        )
    z_mean, z_log_var = (np.asarray(o, dtype="float64") for o in outputs[:2])
    return z_mean, z_log_var, x.reshape(len(x), -1)


def _decoder_nll(vae, z, x_flat, batch_size):
    """Bernoulli negative log-likelihood of `x_flat` under `decoder(z)`."""
    from keras_gen.models.base import predict_in_batches

    p = predict_in_batches(vae.decoder, np.asarray(z, dtype="float32"), batch_size)
    p = p.reshape(len(p), -1)
    nll = losses.binary_crossentropy_sum(x_flat, p)
    return np.asarray(keras.ops.convert_to_numpy(nll), dtype="float64")


def _bernoulli_nll(x, p):
    """Binary cross-entropy summed over the last axis, Keras' clipping."""
    epsilon = keras.config.epsilon()
    p = np.clip(p, epsilon, 1.0 - epsilon)
    return -np.sum(x * np.log(p) + (1.0 - x) * np.log(1.0 - p), axis=-1)


def _logsumexp(values):
    """Log-sum-exp over the last axis, stable for large magnitudes."""
    top = values.max(axis=-1, keepdims=True)
    return top[..., 0] + np.log(np.exp(values - top).sum(axis=-1))


# Input checks --------------------------------------------------------------------


def code_probes(train_codes, train_labels, test_codes, test_labels, l2=1e-3, chunk_size=1000):
    """How much of the class an encoder's codes hold: a linear probe and 1-NN.

    The BiGAN paper's measure of a learned code: classifiers fitted on the
    codes of labelled training data, scored on the test codes. The linear
    probe is a least-squares classifier (ridge regression on one-hot
    labels with a bias, `l2` times the mean squared code as the penalty,
    the argmax of its outputs), which needs no training loop; the nearest
    neighbour is by Euclidean distance.

    Args:
        train_codes: Codes of the training examples, `(n, latent_dim)`.
        train_labels: Their integer classes, `(n,)`.
        test_codes: Codes of the test examples, `(m, latent_dim)`.
        test_labels: Their integer classes, `(m,)`.
        l2: Relative ridge penalty of the linear probe, >= 0.
        chunk_size: Test rows per block of distances (memory: `chunk_size * n`
            float64 values).

    Returns:
        Dict with `linear_probe_accuracy` and `nearest_neighbour_accuracy`,
        fractions.
    """
    train = _check_features(train_codes, "train_codes", 2)
    test = _check_features(test_codes, "test_codes", 1)
    y_train = np.asarray(train_labels).reshape(-1).astype("int64")
    y_test = np.asarray(test_labels).reshape(-1).astype("int64")
    if len(y_train) != len(train) or len(y_test) != len(test) or train.shape[1] != test.shape[1]:
        raise ValueError(
            "The codes and labels must pair up, with codes of one size: received "
            f"train_codes {train.shape}, train_labels {y_train.shape}, test_codes "
            f"{test.shape}, test_labels {y_test.shape}")
    mean, scale = train.mean(0), train.std(0) + 1e-12  # Standardized: the penalty is fair.
    a, b = (train - mean) / scale, (test - mean) / scale
    a1 = np.hstack([a, np.ones((len(a), 1))])
    targets = np.eye(int(max(y_train.max(), y_test.max())) + 1)[y_train]
    penalty = l2 * len(a) * np.eye(a1.shape[1])
    penalty[-1, -1] = 0.0  # No penalty on the bias.
    weights = np.linalg.solve(a1.T @ a1 + penalty, a1.T @ targets)
    linear = np.argmax(np.hstack([b, np.ones((len(b), 1))]) @ weights, axis=1)
    sq_norms = np.einsum("ij,ij->i", train, train)
    nearest = np.concatenate([
        np.argmin(_squared_distances(test[start:start + chunk_size], train, sq_norms), axis=1)
        for start in range(0, len(test), chunk_size)])
    return {
        "linear_probe_accuracy": float(np.mean(linear == y_test)),
        "nearest_neighbour_accuracy": float(np.mean(y_train[nearest] == y_test)),
    }


def _check_features(features, name, min_rows):
    features = np.asarray(keras.ops.convert_to_numpy(features), dtype="float64")
    if features.ndim != 2 or len(features) < min_rows:
        raise ValueError(
            f"`{name}` must be a 2-D array of shape (n, d) with at least "
            f"{min_rows} rows. Received: {name}.shape={features.shape}"
        )
    if not np.isfinite(features).all():
        raise ValueError(
            f"`{name}` must contain only finite values. Received: {name} with "
            f"{int(np.sum(~np.isfinite(features)))} NaN or infinite entries"
        )
    return features


def _check_probabilities(probabilities):
    p = np.asarray(keras.ops.convert_to_numpy(probabilities), dtype="float64")
    if p.ndim != 2 or not len(p) or p.shape[1] < 2:
        raise ValueError(
            "`probabilities` must have shape (n, num_classes), one "
            "distribution per row. Received: "
            f"probabilities.shape={p.shape}"
        )
    if (
        not np.isfinite(p).all()
        or p.min() < 0
        or not np.allclose(p.sum(axis=1), 1.0, atol=1e-3)
    ):
        raise ValueError(
            "`probabilities` must hold non-negative rows that sum to 1 "
            "(softmax outputs). Received: rows summing to between "
            f"{p.sum(axis=1).min():g} and {p.sum(axis=1).max():g}, minimum "
            f"{p.min():g}"
        )
    return p


def _as_class_ids(predictions, num_classes):
    predictions = np.asarray(keras.ops.convert_to_numpy(predictions))
    if predictions.ndim == 2:
        if predictions.shape[1] != num_classes:
            raise ValueError(
                f"`predictions` must have {num_classes} columns for "
                f"num_classes={num_classes}. Received: "
                f"predictions.shape={predictions.shape}"
            )
        labels = predictions.argmax(axis=1)
    elif predictions.ndim == 1 and np.issubdtype(predictions.dtype, np.integer):
        labels = predictions
    else:
        raise ValueError(
            "`predictions` must be class probabilities of shape (n, "
            "num_classes) or integer class ids of shape (n,). Received: "
            f"predictions.shape={predictions.shape}, "
            f"dtype={predictions.dtype}"
        )
    if not len(labels):
        raise ValueError("`predictions` must not be empty. Received: 0 rows")
    if labels.min() < 0 or labels.max() >= num_classes:
        raise ValueError(
            f"`predictions` must hold class ids in [0, {num_classes}). "
            f"Received: ids from {labels.min()} to {labels.max()}"
        )
    return labels.astype("int64")
