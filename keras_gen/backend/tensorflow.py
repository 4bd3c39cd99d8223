"""TensorFlow: gradients with `tf.GradientTape`."""

import keras
import tensorflow as tf


def minimize(loss_fn, variables, optimizer):
    """Runs `loss_fn` and applies its gradients to `variables`.

    Only `variables` are updated: anything else `loss_fn` reads (another
    player's weights) gets no gradient and keeps its value. A variable the
    loss does not depend on gets no gradient, which the optimizer skips with
    a warning.

    Args:
        loss_fn: A function without arguments returning `(loss, aux)`: a
            scalar loss tensor and any outputs the caller wants back (a
            tensor, a nested structure of tensors, or `None`), so the
            forward pass runs once.
        variables: The variables to differentiate and update.
        optimizer: A built `keras.optimizers.Optimizer`.

    Returns:
        `(loss, aux)` as `loss_fn` returned them, from before the update.
    """
    variables = list(variables)
    with tf.GradientTape() as tape:
        loss, aux = loss_fn()
    gradients = tape.gradient(loss, variables)
    optimizer.apply_gradients(zip(gradients, variables))
    return loss, aux


class Trainer:
    """Nothing to add: Keras' TensorFlow trainer runs `train_step(data)` as is."""


def training_data(batches, steps_per_epoch):
    """Feeds indexed batches to `fit()` as one endless `tf.data` pipeline.

    Keras feeds a `PyDataset` to TensorFlow through
    `tf.data.Dataset.from_generator`, which (TensorFlow 2.21) can sit idle
    for up to ~40 s at the start of an epoch, nearly doubling a
    semi-supervised epoch on full MNIST (`bench/semi_supervised_input.py`).
    An endless dataset indexed by position keeps one iterator for the whole
    `fit()` and does not wait. Its batches are those the `PyDataset` route
    would give: element `k` is `batches.batch(e0 + k // steps_per_epoch,
    k % steps_per_epoch % len(batches))`, where `e0` is the epoch Keras would
    start from, and a callback moves `batches.epoch` on as Keras would.

    Args:
        batches: A `keras_gen.data.IndexedBatches` (`ArrayBatches`,
            `SemiSupervisedBatches`): a `PyDataset` with `batch(epoch,
            index)`, `element_spec()`, `epoch` and `on_epoch_end()`.
        steps_per_epoch: Elements taken from each epoch (a multiple of
            `steps_per_execution`, so every execution is whole).

    Returns:
        `(dataset, callbacks)`: a prefetched `tf.data.Dataset` of the
        batches' structure (dicts or tuples of tensors), and the callbacks to
        add to `fit()`.
    """
    batches.on_epoch_end()  # As Keras does before the first epoch.
    first_epoch = batches.epoch
    num_batches = len(batches)
    spec = batches.element_spec()
    # A dict or a tuple of `(shape, dtype)`.
    names = list(spec) if isinstance(spec, dict) else list(range(len(spec)))

    def make_batch(position):
        epoch, index = divmod(int(position), steps_per_epoch)
        batch = batches.batch(first_epoch + epoch, index % num_batches)
        return [batch[name] for name in names]

    def to_element(position):
        arrays = tf.numpy_function(
            make_batch, [position], [spec[name][1] for name in names],
            stateful=False,
        )
        for array, name in zip(arrays, names):
            array.set_shape(spec[name][0])
        return dict(zip(names, arrays)) if isinstance(spec, dict) else tuple(arrays)

    # `map()` keeps the order; `prefetch()` makes the next batches meanwhile.
    dataset = tf.data.Dataset.range(2**62).map(to_element).prefetch(tf.data.AUTOTUNE)
    return dataset, [_NextEpoch(batches)]


class _NextEpoch(keras.callbacks.Callback):
    """Moves indexed batches to their next epoch as each one ends."""

    def __init__(self, batches):
        super().__init__()
        self.batches = batches

    def on_epoch_end(self, epoch, logs=None):
        self.batches.on_epoch_end()
