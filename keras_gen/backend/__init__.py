"""The backend-specific code of keras-gen, chosen once when it is imported.

Keras 3 has no backend-agnostic way to take gradients, so a training step
that updates several players, each with its own optimizer, needs a little
code per backend. All of it lives in this package, one module per backend
(`tensorflow`, `torch`, `jax`), each giving the same five names:

- `minimize(loss_fn, variables, optimizer)`: runs `loss_fn`, applies its
  gradients to `variables` with `optimizer`, and returns `(loss, aux)`;
- `branch(pred, then_fn, else_fn)`: one of two functions by a scalar
  tensor, running only that one, or None where the backend cannot branch
  around variable updates (then the caller selects);
- `gradients(fn, inputs)`: the gradients of a scalar function with respect
  to tensors (not variables), inside a step; differentiable again, so a
  loss built on them (WGAN-GP's gradient penalty) works in `minimize`;
- `Model`: the base class of every keras-gen model: `keras.Model`, plus on
  JAX the functions that run a model's own stateful `train_step(data)` (the
  state Keras threads passed through a `keras.StatelessScope`), and on
  TensorFlow two mends that let Keras' `fit()` run under a
  `MultiWorkerMirroredStrategy` over several workers;
- `training_data(batches, steps_per_epoch)`: the fastest way to feed
  indexed batches (`keras_gen.data.ArrayBatches`,
  `keras_gen.SemiSupervisedBatches`) to `fit()` on this backend:
  `(data, callbacks)` for `fit()`.

And six for data-parallel training, which matter on TensorFlow, where each
replica of a `tf.distribute` strategy runs the step on its share of the batch
(on JAX and PyTorch they are the identity, `whole_batch.py`):

- `scale_for_replicas(loss)`: a replica's mean loss as its share of the
  global mean (what the optimizer's sum of gradients needs);
- `per_replica(draw, batch_size)`: random draws of which each replica gets
  its own rows, not the same numbers as every other replica;
- `distribution_scope(model)`: where the optimizers are made and built;
- `check_optimizer(optimizer, model, name)`: an error for an optimizer made
  outside the model's strategy;
- `check_batches(batches)`: an error for batches that `keras.distribution`
  cannot split evenly across the devices (JAX);
- `check_same_on_workers(model, value, what, fix)`: an error, on every
  worker of a multi-worker strategy, when the workers' values differ (the
  epoch each would resume from).

Everything else in keras-gen uses `keras.ops` and `keras.random` only.
"""

import keras

BACKEND = keras.backend.backend()

if BACKEND == "tensorflow":
    from keras_gen.backend.tensorflow import (
        Model,
        branch,
        check_batches,
        check_optimizer,
        check_same_on_workers,
        distribution_scope,
        gradients,
        minimize,
        per_replica,
        scale_for_replicas,
        training_data,
    )
elif BACKEND in ("torch", "jax"):
    if BACKEND == "torch":
        from keras_gen.backend.torch import (
            Model, branch, gradients, minimize, training_data)
    else:
        from keras_gen.backend.jax import (
            Model, branch, gradients, minimize, training_data)
    from keras_gen.backend.whole_batch import (
        check_batches,
        check_optimizer,
        check_same_on_workers,
        distribution_scope,
        per_replica,
        scale_for_replicas,
    )
else:
    raise ImportError(
        "keras_gen supports the TensorFlow, JAX and PyTorch backends of "
        f"Keras. Received: KERAS_BACKEND={BACKEND!r}. Set KERAS_BACKEND to "
        "'tensorflow', 'jax' or 'torch'."
    )

__all__ = [
    "BACKEND",
    "Model",
    "branch",
    "check_batches",
    "check_optimizer",
    "check_same_on_workers",
    "distribution_scope",
    "gradients",
    "minimize",
    "per_replica",
    "scale_for_replicas",
    "training_data",
]
