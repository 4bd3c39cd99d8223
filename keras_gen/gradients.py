"""The one backend-specific piece of keras-gen: taking and applying gradients.

Keras 3 has no backend-agnostic gradient API (see the field notes), so a
`train_step` that updates several players, each with its own optimizer, has
to take gradients itself. Everything else in keras-gen uses `keras.ops` only;
supporting a new backend means adding a branch here and nothing else.
"""

import keras


def minimize(loss_fn, variables, optimizer):
    """Runs `loss_fn` and applies its gradients to `variables`.

    Only `variables` are updated: anything else that `loss_fn` touches (another
    player's weights) gets no gradient and keeps its value.

    Args:
        loss_fn: A function without arguments returning `(loss, aux)`: a scalar
            loss tensor and any auxiliary outputs (a tensor, a nested structure
            of tensors, or `None`) that the caller wants back, such as scores
            for metrics, so the forward pass runs only once.
        variables: The list of variables to differentiate and update.
        optimizer: A built `keras.optimizers.Optimizer`.

    Returns:
        `(loss, aux)`, as returned by `loss_fn`, computed before the update.

    Raises:
        NotImplementedError: On a backend other than TensorFlow.
    """
    check_backend()
    return _minimize_tensorflow(loss_fn, variables, optimizer)


def check_backend():
    """Raises `NotImplementedError` unless `minimize()` supports the backend.

    Models call it before training, so the error comes before any backend
    trainer code fails in a less clear way.
    """
    backend = keras.backend.backend()
    if backend == "tensorflow":
        return
    raise NotImplementedError(
        "keras_gen.gradients.minimize() supports the TensorFlow backend only. "
        f"Received: KERAS_BACKEND={backend!r}. JAX needs a stateless version "
        "(`stateless_call` inside `jax.value_and_grad`, then "
        "`optimizer.stateless_apply`, threading the variable values through "
        "`train_step`); PyTorch needs `loss.backward()` on the variables' "
        "`.value`, then `optimizer.apply(gradients, variables)` and zeroed "
        "gradients. Use KERAS_BACKEND=tensorflow to train the adversarial "
        "models; building, sampling and save/load work on every backend."
    )


def _minimize_tensorflow(loss_fn, variables, optimizer):
    import tensorflow as tf  # Imported here: the other backends lack it.

    with tf.GradientTape() as tape:
        loss, aux = loss_fn()
    gradients = tape.gradient(loss, variables)
    optimizer.apply_gradients(zip(gradients, variables))
    return loss, aux
