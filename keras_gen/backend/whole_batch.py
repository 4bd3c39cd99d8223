"""Distribution helpers for the backends whose step sees the whole batch.

On JAX, `keras.distribution` shards the batch across devices under `jit`
and XLA computes the step as for one device: means are global, gradients
are averaged, and random draws cover the global batch. PyTorch has no
strategy in Keras. So these are the identity; `keras_gen.backend.tensorflow`
gives their `tf.distribute` versions, where each replica runs the step on
its share of the batch.
"""

import contextlib

import keras


def scale_for_replicas(loss):
    """`loss`: the step's mean is already the global batch's."""
    return loss


def per_replica(draw, batch_size):
    """`draw(batch_size)`: the step draws for the global batch."""
    return draw(batch_size)


def distribution_scope(model):
    """No scope: variables are laid out by `keras.distribution` when made."""
    del model
    return contextlib.nullcontext()


def check_optimizer(optimizer, model, name):
    """Nothing to check."""
    del optimizer, model, name


def check_same_on_workers(model, value, what, fix):
    """Nothing to compare: one process trains (multi-process JAX is not covered)."""
    del model, value, what, fix


def check_batches(batches):
    """Under `keras.distribution`, every batch must split evenly across devices.

    JAX lays each batch out over the devices of the distribution's batch
    axis and cannot split a batch unevenly; this says so before training
    rather than failing in the first step or the last batch of an epoch.

    Args:
        batches: A `keras_gen.data.IndexedBatches`.
    """
    distribution = keras.distribution.distribution()
    if distribution is None or len(batches) == 0:
        return
    mesh = distribution.device_mesh
    devices = mesh.shape[list(mesh.axis_names).index(distribution.batch_dim_name)]
    for index in sorted({0, len(batches) - 1}):
        sizes = {len(array) for array in keras.tree.flatten(batches[index])}
        if any(size % devices for size in sizes):
            raise ValueError(
                f"Under {type(distribution).__name__} every batch is split "
                f"across {devices} devices, so its size must be a multiple of "
                f"{devices}. Received: batch {index} of {len(batches)} holds "
                f"{sorted(sizes)} examples. Use a `batch_size` that {devices} "
                "divides and a number of training examples that it divides "
                "too (the last batch is what is left over)."
            )
