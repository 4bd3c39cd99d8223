"""Loss terms shared by the models, written with `keras.ops` only.

Each function returns one value per example (reduce with `weighted_mean`), so
the same terms serve training, evaluation and the benchmarks.
"""

from keras import ops


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
    """Mean of per-example `values`, weighted by `sample_weight` if given."""
    if sample_weight is None:
        return ops.mean(values)
    sample_weight = ops.cast(ops.reshape(sample_weight, (-1,)), values.dtype)
    return ops.sum(values * sample_weight) / ops.maximum(
        ops.sum(sample_weight), 1e-12
    )
