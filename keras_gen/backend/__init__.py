"""The backend-specific code of keras-gen, chosen once when it is imported.

Keras 3 has no backend-agnostic way to take gradients, so a training step
that updates several players, each with its own optimizer, needs a little
code per backend. All of it lives in this package, one module per backend
(`tensorflow`, `torch`, `jax`), each giving the same three names:

- `minimize(loss_fn, variables, optimizer)`: runs `loss_fn`, applies its
  gradients to `variables` with `optimizer`, and returns `(loss, aux)`;
- `Trainer`: a base class of the adversarial models that lets Keras' trainer
  of the backend run their stateful `train_step(data)` (on JAX it threads the
  state Keras passes through a `keras.StatelessScope`; elsewhere it adds
  nothing);
- `training_data(batches, steps_per_epoch)`: the fastest way to feed
  indexed batches (`keras_gen.data.ArrayBatches`,
  `keras_gen.SemiSupervisedBatches`) to `fit()` on this backend:
  `(data, callbacks)` for `fit()`.

Everything else in keras-gen uses `keras.ops` and `keras.random` only.
"""

import keras

BACKEND = keras.backend.backend()

if BACKEND == "tensorflow":
    from keras_gen.backend.tensorflow import Trainer, minimize, training_data
elif BACKEND == "torch":
    from keras_gen.backend.torch import Trainer, minimize, training_data
elif BACKEND == "jax":
    from keras_gen.backend.jax import Trainer, minimize, training_data
else:
    raise ImportError(
        "keras_gen supports the TensorFlow, JAX and PyTorch backends of "
        f"Keras. Received: KERAS_BACKEND={BACKEND!r}. Set KERAS_BACKEND to "
        "'tensorflow', 'jax' or 'torch'."
    )

__all__ = ["BACKEND", "Trainer", "minimize", "training_data"]
