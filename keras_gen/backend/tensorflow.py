"""TensorFlow: gradients with `tf.GradientTape`, and `tf.distribute`."""

import os

import keras
import tensorflow as tf

from keras_gen import files


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
        scaled = scale_for_replicas(loss)
    gradients = tape.gradient(scaled, variables)
    optimizer.apply_gradients(zip(gradients, variables))
    return loss, aux


def gradients(fn, inputs):
    """Gradients of the scalar `fn(*inputs)` with respect to the tensors `inputs`.

    For terms of a loss that depend on a gradient, such as WGAN-GP's penalty
    on `grad_x D(x)`: called inside `minimize()`'s `loss_fn`, the result is
    itself differentiated (a second-order gradient) with respect to the
    variables being updated. Anything `fn` reads besides `inputs` (the
    critic's weights) is a constant here. The same on every backend.

    Args:
        fn: A function of `len(inputs)` tensors returning a scalar tensor,
            e.g. `lambda x: ops.sum(critic(x, training=True))` (the sum
            gives each example's gradient of its own score).
        inputs: A tensor, or a list or tuple of tensors.

    Returns:
        The gradients: a tensor of the shape of `inputs` (zeros where `fn`
        does not depend on it), or a list of them for a list or tuple.
    """
    single = not isinstance(inputs, (list, tuple))
    inputs = [tf.convert_to_tensor(x) for x in ([inputs] if single else inputs)]
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        value = fn(*inputs)
    found = tape.gradient(value, inputs, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    return found[0] if single else list(found)


def branch(pred, then_fn, else_fn):
    """`then_fn()` where the scalar `pred` is true, else `else_fn()`, running only one.

    For an update taken on some steps only (`keras_gen.models.adversarial.
    minimize_if`): a `tf.cond`, so a compiled step skips the work of the
    other branch. Both functions return the same structure of tensors, and
    may update variables. Returns None, running nothing, where branching
    cannot hold an update: under a `tf.distribute` strategy, whose
    optimizers reduce gradients across replicas (a cross-replica call a
    `tf.cond` branch cannot make). The caller then runs both and selects.
    """
    if tf.distribute.has_strategy():
        return None
    return tf.cond(tf.cast(pred, tf.bool), then_fn, else_fn)


def scale_for_replicas(loss):
    """`loss` divided by the number of replicas under `tf.distribute`.

    A Keras optimizer in a replica context sums the replicas' gradients, so
    each replica's mean loss must count for `1 / replicas` of the global
    mean, as Keras' own loss classes do. Without a strategy this is `loss`.
    """
    replicas = tf.distribute.get_strategy().num_replicas_in_sync
    return loss if replicas == 1 else loss / replicas


def per_replica(draw, batch_size):
    """`draw(batch_size)`, with each replica of a `tf.distribute` strategy its own rows.

    Keras' seeded random ops give every replica the same numbers. So each
    replica draws for `replicas` times its batch and keeps its own slice:
    when the global batch splits evenly, the replicas together get exactly
    the rows one device drawing for the global batch gets. (When it does not,
    the last batch of an epoch, two neighbouring replicas may share a row.)
    No collective op runs here: a synchronisation point in the middle of a
    forward pass would let the replicas' threads interleave there, and
    Keras' per-call state, such as the losses of `add_loss()`, is shared
    between them.

    Args:
        draw: A function of a batch size returning a tensor whose first
            axis is that size.
        batch_size: This replica's batch size (an int or a scalar tensor).

    Returns:
        The tensor for this replica's `batch_size` rows.
    """
    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return draw(batch_size)
    start = context.replica_id_in_sync_group * batch_size
    return draw(batch_size * context.num_replicas_in_sync)[start : start + batch_size]


def check_batches(batches):
    """Nothing to check: `tf.distribute` splits a batch unevenly if it must."""
    del batches


def distribution_scope(model):
    """The scope a model's variables are made in: its strategy's, if any."""
    return model.distribute_strategy.scope()


def check_optimizer(optimizer, model, name):
    """Raises a `ValueError` if `optimizer` was made outside `model`'s strategy."""
    strategy = model.distribute_strategy
    if not strategy.extended.variable_created_in_scope(optimizer.iterations.value):
        raise ValueError(
            f"`{name}` was created outside the scope of the model's "
            f"{type(strategy).__name__}: create the optimizers inside "
            "`with strategy.scope():`, with the model, or pass their names "
            f"(e.g. 'adam'). Received: {name}={optimizer!r}"
        )


class Model(keras.Model):
    """`keras.Model`, whose `fit()` and `evaluate()` also run on several workers.

    Under a `tf.distribute.MultiWorkerMirroredStrategy` spanning several
    workers, Keras 3's TensorFlow trainer fails in every model, a plain
    `Sequential` included (keras-team/keras#20585): before the first step it
    reduces the first batch across workers to learn the input shapes
    (`PerReplica` values cannot be reduced that way), and it reduces each
    logged value over an axis 0 that a scalar does not have. For that case
    only, this class takes the first batch's shapes from this worker's share
    (overriding Keras' private `_maybe_symbolic_build`) and gives each log
    a leading axis of length 1, whose cross-worker mean is the global value
    (overriding `make_train_function` and `make_test_function`, which build
    the step with Keras' private `_make_function`). With one worker, or
    without a strategy, Keras' own methods run unchanged.
    `tests/test_multi_worker.py` fails if Keras changes these methods.

    Which worker keeps files is read from `TF_CONFIG`
    (`keras_gen.files.is_chief()`); a multi-worker `fit()` whose strategy
    names another chief (a cluster described without `TF_CONFIG`) is
    refused before the first step.
    """

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        if iterator is None or not multi_worker(self.distribute_strategy):
            return super()._maybe_symbolic_build(iterator=iterator, data_batch=data_batch)
        for _, _, batches in iterator:
            data_batch = next(batches)
            break
        local = self.distribute_strategy.experimental_local_results
        data_batch = tf.nest.map_structure(
            lambda value: local(value)[0]
            if isinstance(value, tf.distribute.DistributedValues) else value,
            data_batch,
        )
        return super()._maybe_symbolic_build(data_batch=data_batch)

    def make_train_function(self, force=False):
        if not multi_worker(self.distribute_strategy):
            return super().make_train_function(force)
        if self.train_function is None or force:
            _check_chief(self.distribute_strategy)
            self.train_function = self._make_function(_with_worker_axis(self.train_step))
        return self.train_function

    def make_test_function(self, force=False):
        if not multi_worker(self.distribute_strategy):
            return super().make_test_function(force)
        if self.test_function is None or force:
            self.test_function = self._make_function(_with_worker_axis(self.test_step))
        return self.test_function


def multi_worker(strategy):
    """Whether `strategy` is a `MultiWorkerMirroredStrategy` training on several workers."""
    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return False
    resolver = strategy.cluster_resolver
    if resolver.task_type == "evaluator":  # Evaluates apart from the cluster.
        return False
    cluster = resolver.cluster_spec()
    return sum(cluster.num_tasks(job) for job in ("chief", "worker")
               if job in cluster.jobs) > 1


def check_same_on_workers(model, value, what, fix):
    """Raises a `ValueError` on every worker if the workers' `value`s differ.

    Under a multi-worker strategy every worker runs the same program, but
    what it reads from its own disk may differ (a backup folder that is not
    shared); training on from different states would give different steps
    on each worker, so this compares an integer across workers (a
    collective: every worker must call it at the same point). Elsewhere it
    does nothing.

    Args:
        model: The model whose `distribute_strategy` spans the workers.
        value: An integer, e.g. the epoch to resume from.
        what: What `value` is, for the message.
        fix: How to make the workers agree, for the message.
    """
    strategy = model.distribute_strategy
    if not multi_worker(strategy):
        return
    local = tf.constant([int(value)], tf.int64)
    values = strategy.gather(strategy.run(lambda: tf.identity(local)), axis=0)
    values = [int(v) for v in values.numpy()]
    if len(set(values)) > 1:
        raise ValueError(
            f"The workers disagree on {what}: {fix}. Received: {values} "
            "(one per replica)"
        )


def _check_chief(strategy):
    """Raises a `ValueError` if `TF_CONFIG` and `strategy` disagree on the chief."""
    if files.is_chief() != strategy.extended.should_checkpoint:
        resolver = strategy.cluster_resolver
        raise ValueError(
            "keras-gen keeps files on the chief worker, which it reads from "
            "TF_CONFIG, but this MultiWorkerMirroredStrategy's cluster comes "
            "from elsewhere: set TF_CONFIG on every worker (the cluster and "
            "this task), as the strategy's default resolver reads it. "
            f"Received: task {resolver.task_type!r} {resolver.task_id!r}, "
            f"TF_CONFIG={os.environ.get('TF_CONFIG')!r}"
        )


def _with_worker_axis(step):
    """`step`, with each of its logs given a leading axis of length 1."""

    def step_with_worker_axis(data):
        return tf.nest.map_structure(
            lambda value: None if value is None else tf.expand_dims(value, 0),
            step(data),
        )

    return step_with_worker_axis


def training_data(batches, steps_per_epoch):
    """Feeds indexed batches to `fit()` as one endless `tf.data` pipeline.

    Keras feeds a `PyDataset` to TensorFlow through
    `tf.data.Dataset.from_generator`, which can stall at the start of an
    epoch (docs/adversarial.md measures it).
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
