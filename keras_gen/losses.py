"""Loss terms shared by the models, written with `keras.ops` only.

The reconstruction terms return one value per example (reduce with
`weighted_mean`), so the same terms serve training, evaluation and the
benchmarks. The adversarial terms, below them, return the scalar a training
step minimizes.
"""

import keras
from keras import ops

from keras_gen import backend


def kl_divergence(z_mean, z_log_var):
    """KL divergence from N(z_mean, exp(z_log_var)) to the prior N(0, I).

    The closed form of the variational autoencoder,
    `-0.5 * sum(1 + log_var - mean**2 - exp(log_var))`, summed over the
    latent dimensions.

    Args:
        z_mean: Tensor of shape `(batch_size, latent_dim)`.
        z_log_var: Tensor of shape `(batch_size, latent_dim)`.

    Returns:
        Tensor of shape `(batch_size,)`, in nats.
    """
    return -0.5 * ops.sum(
        1.0 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var), axis=-1
    )


def _flatten(x):
    return ops.reshape(x, (ops.shape(x)[0], -1))


def sum_squared_error(x, reconstruction):
    """Squared error summed over all features of each example.

    This equals the W&B blog's `mse(inputs, outputs) * original_dim`.

    Args:
        x: Targets, shape `(batch_size, ...)`.
        reconstruction: Predictions with the same shape.

    Returns:
        Tensor of shape `(batch_size,)`.
    """
    return ops.sum(ops.square(_flatten(x) - _flatten(reconstruction)), axis=-1)


def half_squared_error(x, reconstruction):
    """Half the squared Euclidean distance per example, averaged over the batch.

    The reconstruction cost of Makhzani et al.'s semi-supervised recipe.

    Args:
        x: Targets, shape `(batch_size, ...)`.
        reconstruction: Predictions with the same shape.

    Returns:
        A scalar tensor.
    """
    return 0.5 * ops.mean(sum_squared_error(x, reconstruction))


def mean_squared_error(x, reconstruction):
    """Squared error averaged over all features of each example.

    Args:
        x: Targets, shape `(batch_size, ...)`.
        reconstruction: Predictions with the same shape.

    Returns:
        Tensor of shape `(batch_size,)`.
    """
    return ops.mean(ops.square(_flatten(x) - _flatten(reconstruction)), axis=-1)


def binary_crossentropy_sum(x, reconstruction):
    """Binary cross-entropy summed over all pixels of each example.

    With targets in [0, 1] this is the negative Bernoulli log-likelihood in
    nats, the reconstruction term of the Paperspace post's VAE.

    Args:
        x: Targets in [0, 1], shape `(batch_size, ...)`.
        reconstruction: Probabilities in (0, 1) with the same shape.

    Returns:
        Tensor of shape `(batch_size,)`.
    """
    return ops.sum(
        ops.binary_crossentropy(_flatten(x), _flatten(reconstruction)), axis=-1
    )


def weighted_mean(values, sample_weight=None):
    """Mean of per-example `values`, weighted by `sample_weight` if given.

    Args:
        values: Tensor of shape `(batch_size,)`, one value per example.
        sample_weight: Optional weights, `batch_size` of them (shape
            `(batch_size,)` or `(batch_size, 1)`); the weighted sum is
            divided by the sum of the weights.

    Returns:
        A scalar tensor.
    """
    if sample_weight is None:
        return ops.mean(values)
    sample_weight = ops.cast(ops.reshape(sample_weight, (-1,)), values.dtype)
    return ops.sum(values * sample_weight) / ops.maximum(
        ops.sum(sample_weight), 1e-12
    )


# Adversarial terms: scalars, means over the batch.


def binary_crossentropy_to(target, scores, from_logits=False):
    """Mean binary cross-entropy of `scores` against a constant label.

    Args:
        target: The label of every score, 1.0 ("real") or 0.0 ("fake").
        scores: Probabilities, or logits with `from_logits=True` (the
            numerically stable form, Keras' convention); any shape.
        from_logits: Whether `scores` are logits.

    Returns:
        A scalar tensor.
    """
    return ops.mean(ops.binary_crossentropy(
        ops.full_like(scores, target), scores, from_logits=from_logits))


def discriminator_loss(real_scores, fake_scores, from_logits=False):
    """`0.5 * (BCE(1, D(x)) + BCE(0, D(G(z))))`, Keras-GAN's `d_loss`.

    Args:
        real_scores: The discriminator's scores of real samples:
            probabilities, or logits with `from_logits=True`; any shape,
            such as `(batch_size, 1)`.
        fake_scores: Its scores of generated samples, likewise (any shape).
        from_logits: Whether the scores are logits.

    Returns:
        A scalar tensor.
    """
    return 0.5 * (
        binary_crossentropy_to(1.0, real_scores, from_logits)
        + binary_crossentropy_to(0.0, fake_scores, from_logits)
    )


def generator_loss(fake_scores, from_logits=False):
    """The non-saturating generator loss `BCE(1, D(G(z)))`, i.e. `-log D(G(z))`.

    Args:
        fake_scores: The discriminator's scores of generated samples:
            probabilities, or logits with `from_logits=True`; any shape,
            such as `(batch_size, 1)`.
        from_logits: Whether the scores are logits.

    Returns:
        A scalar tensor.
    """
    return binary_crossentropy_to(1.0, fake_scores, from_logits)


def discriminator_accuracy(real_scores, fake_scores, from_logits=False):
    """Accuracy at probability 0.5 (logit 0), the mean of the real and fake batch's.

    A real score counts as right above the threshold, a fake one at or
    below it.

    Args:
        real_scores: The discriminator's scores of real samples:
            probabilities, or logits with `from_logits=True`; any shape,
            such as `(batch_size, 1)`.
        fake_scores: Its scores of generated samples, likewise (any shape).
        from_logits: Whether the scores are logits (threshold 0) rather
            than probabilities (threshold 0.5).

    Returns:
        A scalar float32 tensor in `[0, 1]`.
    """
    threshold = 0.0 if from_logits else 0.5
    return 0.5 * (
        ops.mean(ops.cast(real_scores > threshold, "float32"))
        + ops.mean(ops.cast(fake_scores <= threshold, "float32"))
    )


def least_squares_discriminator_loss(real_scores, fake_scores):
    """LSGAN's discriminator loss, `0.5 * (mean((D(x) - 1)^2) + mean(D(G(z))^2))`.

    Mao et al. (2017) with the targets `b = 1` for real and `a = 0` for fake
    samples, as Keras-GAN's `lsgan.py` (its discriminator compiled with
    `mse`, the loss the mean of the real and the fake batch's).

    Args:
        real_scores: The discriminator's raw outputs on real samples; any
            shape, such as `(batch_size, 1)`.
        fake_scores: Its raw outputs on generated samples (any shape).

    Returns:
        A scalar tensor.
    """
    return 0.5 * (ops.mean(ops.square(real_scores - 1.0)) + ops.mean(ops.square(fake_scores)))


def least_squares_generator_loss(fake_scores):
    """LSGAN's generator loss, `mean((D(G(z)) - 1)^2)` (target `c = 1`, Keras-GAN's).

    Args:
        fake_scores: The discriminator's raw outputs on generated samples;
            any shape, such as `(batch_size, 1)`.

    Returns:
        A scalar tensor.
    """
    return ops.mean(ops.square(fake_scores - 1.0))


def wasserstein_critic_loss(real_scores, fake_scores):
    """The Wasserstein critic loss, `mean(D(G(z))) - mean(D(x))`.

    Minimizing it maximizes the critic's estimate of the Wasserstein-1
    distance, `mean(D(x)) - mean(D(G(z)))` (Arjovsky et al. 2017). Keras-GAN
    writes it as `mean(y_true * y_pred)` with labels -1 (real) and +1 (fake),
    averaged over the two batches: half this value.

    Args:
        real_scores: The critic's scores (no sigmoid) of real samples; any
            shape, such as `(batch_size, 1)`.
        fake_scores: Its scores of generated samples (any shape).

    Returns:
        A scalar tensor.
    """
    return ops.mean(fake_scores) - ops.mean(real_scores)


def wasserstein_generator_loss(fake_scores):
    """The Wasserstein generator loss, `-mean(D(G(z)))`.

    Args:
        fake_scores: The critic's scores of generated samples; any shape,
            such as `(batch_size, 1)`.

    Returns:
        A scalar tensor.
    """
    return -ops.mean(fake_scores)


def boundary_seeking_loss(fake_scores, from_logits=False):
    """BGAN's generator loss, `0.5 * mean((log D(G(z)) - log(1 - D(G(z))))^2)`.

    Hjelm et al. (2017), for continuous data, as Keras-GAN's `bgan.py`
    writes it: it is smallest where the discriminator cannot tell, at
    `D(G(z)) = 0.5`. `log D - log(1 - D)` is the logit, so with
    `from_logits=True` this is `0.5 * mean(logit^2)`, exact for any logit;
    probabilities are clipped to `[1e-7, 1 - 1e-7]` first (where Keras-GAN's
    unguarded logs give infinities).

    Args:
        fake_scores: The discriminator's scores of generated samples:
            probabilities, or logits with `from_logits=True`; any shape,
            such as `(batch_size, 1)`.
        from_logits: Whether the scores are logits.

    Returns:
        A scalar tensor.
    """
    if from_logits:
        logits = fake_scores
    else:
        p = ops.clip(fake_scores, 1e-7, 1.0 - 1e-7)
        logits = ops.log(p) - ops.log(1.0 - p)
    return 0.5 * ops.mean(ops.square(logits))


def gradient_penalty(critic, real_images, fake_images, seed):
    """WGAN-GP's penalty `mean((|grad D(x_hat)|_2 - 1)^2)`, without its weight.

    Gulrajani et al. (2017): `x_hat = alpha * x + (1 - alpha) * G(z)`, a
    point on the line between each real and fake example with `alpha ~
    U(0, 1)` per example, and the gradient's norm over all of an example's
    features. Written with `keras_gen.backend.gradients`, so inside
    `backend.minimize` its gradient (second order) reaches the critic.

    Args:
        critic: A callable, `critic(images, training=True)` -> scores.
        real_images: A batch of data, shape `(batch_size, ...)`.
        fake_images: A batch of generated images of the same shape.
        seed: A `keras.random.SeedGenerator` for `alpha` (the model's, so
            its state is saved and a resumed run draws the same).

    Returns:
        A scalar tensor.
    """
    shape = ops.shape(real_images)
    ones = (1,) * (len(shape) - 1)
    # Under `tf.distribute`, each replica its own rows.
    alpha = backend.per_replica(
        lambda n: keras.random.uniform((n, *ones), seed=seed), shape[0])
    interpolates = alpha * real_images + (1.0 - alpha) * fake_images
    grad = backend.gradients(
        lambda x: ops.sum(critic(x, training=True)), interpolates)
    norms = ops.sqrt(ops.sum(ops.square(_flatten(grad)), axis=-1))
    return ops.mean(ops.square(norms - 1.0))


def margin_loss(real_energy, fake_energy, margin):
    """EBGAN's cost loss: `mean(C(x)) + mean(max(0, m - C(G(z))))`.

    Data is pushed down to energy 0, fakes up to the margin `m`; a fake whose
    energy is already at least `m` gives no gradient.

    Args:
        real_energy: Energies `C(x)` of a real batch, shape `(batch_size,)`.
        fake_energy: Energies `C(G(z))` of a fake batch, shape `(batch_size,)`.
        margin: The margin `m`, a positive number.

    Returns:
        A scalar tensor.
    """
    return ops.mean(real_energy) + ops.mean(ops.relu(margin - fake_energy))


def pull_away_term(embeddings, epsilon=1e-12):
    """EBGAN's pull-away term (PT): the mean squared cosine similarity.

    `PT = 1 / (N (N - 1)) * sum_{i != j} (s_i . s_j / (|s_i| |s_j|)) ** 2`
    over the `N` embeddings `s_i` of a batch (flattened to vectors). It is 1
    when all embeddings point the same (or opposite) way and 0 when they are
    pairwise orthogonal. A zero vector has similarity 0 with every other
    vector, and a batch of one example gives 0.

    Args:
        embeddings: Tensor of shape `(batch_size, ...)`.
        epsilon: Lower bound of the squared norms, to divide safely.

    Returns:
        A scalar tensor.
    """
    embeddings = _flatten(embeddings)
    squared_norms = ops.sum(ops.square(embeddings), axis=1, keepdims=True)
    unit = embeddings / ops.sqrt(ops.maximum(squared_norms, epsilon))
    similarity = ops.matmul(unit, ops.transpose(unit))
    # The diagonal holds |u_i|^2, 1 (0 for a zero vector): take it out.
    diagonal = ops.sum(ops.square(unit), axis=1)
    off_diagonal = ops.sum(ops.square(similarity)) - ops.sum(ops.square(diagonal))
    count = ops.cast(ops.shape(embeddings)[0], off_diagonal.dtype)
    return off_diagonal / ops.maximum(count * (count - 1.0), 1.0)


def pixel_binary_crossentropy(x, reconstruction):
    """Binary cross-entropy averaged over pixels and examples (the Paperspace post's).

    Multiply by the number of pixels for nats per example.

    Args:
        x: Targets in [0, 1], shape `(batch_size, ...)`.
        reconstruction: Probabilities with the same shape.

    Returns:
        A scalar tensor.
    """
    return ops.mean(ops.binary_crossentropy(x, reconstruction))


def classification_loss(labels, probabilities, from_logits=False):
    """Mean cross-entropy of class `probabilities` against integer `labels`.

    Args:
        labels: Integer labels, shape `(batch_size,)` (or `(batch_size, 1)`).
        probabilities: Softmax outputs, shape `(batch_size, num_classes)`,
            or logits with `from_logits=True`.
        from_logits: Whether `probabilities` are logits.

    Returns:
        `(loss, accuracy)`: scalar tensors, the accuracy of the argmax.
    """
    labels = ops.reshape(ops.cast(labels, "int32"), (-1,))
    loss = ops.mean(ops.sparse_categorical_crossentropy(
        labels, probabilities, from_logits=from_logits))
    predictions = ops.cast(ops.argmax(probabilities, axis=-1), "int32")
    accuracy = ops.mean(ops.cast(ops.equal(predictions, labels), "float32"))
    return loss, accuracy


def unlabelled_gan_loss(real_logits, fake_logits):
    """Salimans et al.'s unlabelled loss of a `K`-class discriminator.

    The discriminator's `K` logits `l(x)` are its classes; a fake class with
    its logit fixed at 0 makes `D(x) = Z(x) / (Z(x) + 1)` the probability of
    "real", with `Z(x) = sum_k exp(l_k(x))`, so `logit D(x) = logsumexp(l(x))`.
    The loss is `0.5 * (BCE(1, D(x)) + BCE(0, D(G(z))))`, which is the
    paper's `0.5 * (-mean(lse(l(x))) + mean(softplus(lse(l(x)))) +
    mean(softplus(lse(l(G(z))))))` ("Improved Techniques for Training
    GANs", 2016).

    Args:
        real_logits: Logits of unlabelled real inputs, `(batch, K)`.
        fake_logits: Logits of generated inputs, `(batch, K)`.

    Returns:
        A scalar tensor.
    """
    return discriminator_loss(
        ops.logsumexp(real_logits, axis=-1), ops.logsumexp(fake_logits, axis=-1),
        from_logits=True)


def feature_matching_loss(real_features, fake_features):
    """Salimans et al.'s feature matching: `mean((E[f(x)] - E[f(G(z))])^2)`.

    The generator matches the batch means of an intermediate layer of the
    discriminator, `f`, on real and on generated inputs, instead of fooling
    its output.

    Args:
        real_features: `f(x)` of a real batch, `(batch, features)`.
        fake_features: `f(G(z))` of a generated batch, `(batch, features)`.

    Returns:
        A scalar tensor.
    """
    return ops.mean(ops.square(
        ops.mean(real_features, axis=0) - ops.mean(fake_features, axis=0)))


def class_crossentropy(one_hot, probabilities):
    """Mean cross-entropy of class `probabilities` against one-hot labels.

    Args:
        one_hot: One-hot labels, shape `(batch_size, num_classes)`.
        probabilities: Softmax outputs, shape `(batch_size, num_classes)`.

    Returns:
        A scalar tensor.
    """
    return ops.mean(ops.categorical_crossentropy(one_hot, probabilities))


def class_accuracy(one_hot, probabilities):
    """Fraction of rows whose most probable class is the labelled one.

    Args:
        one_hot: One-hot labels, shape `(batch_size, num_classes)`.
        probabilities: Class probabilities (or logits), shape
            `(batch_size, num_classes)`.

    Returns:
        A scalar float32 tensor in `[0, 1]`.
    """
    return ops.mean(ops.cast(
        ops.equal(ops.argmax(probabilities, axis=-1), ops.argmax(one_hot, axis=-1)),
        "float32"))
