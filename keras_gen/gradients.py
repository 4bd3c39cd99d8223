"""The one backend-specific piece of keras-gen: taking and applying gradients.

Keras 3 has no backend-agnostic gradient API (see the field notes), so a
`train_step` that updates several players, each with its own optimizer, has
to take gradients itself. Everything else in keras-gen uses `keras.ops` only;
supporting a new backend means adding a branch here and nothing else.

Supported backends: TensorFlow (`tf.GradientTape`) and PyTorch
(`torch.autograd.grad`). JAX is not: its trainer needs a stateless
`train_step` that threads the variable values through (see `check_backend`).
"""

import keras

# The backends `minimize()` can train on.
SUPPORTED_BACKENDS = ("tensorflow", "torch")


def minimize(loss_fn, variables, optimizer):
    """Runs `loss_fn` and applies its gradients to `variables`.

    Only `variables` are updated: anything else that `loss_fn` touches (another
    player's weights) gets no gradient and keeps its value. A variable that
    the loss does not depend on gets no gradient (`None`), which the optimizer
    skips with a warning, on every backend alike.

    Args:
        loss_fn: A function without arguments returning `(loss, aux)`: a scalar
            loss tensor and any auxiliary outputs (a tensor, a nested structure
            of tensors, or `None`) that the caller wants back, such as scores
            for metrics, so the forward pass runs only once.
        variables: The list of variables to differentiate and update.
        optimizer: A built `keras.optimizers.Optimizer`.

    Returns:
        `(loss, aux)`, as returned by `loss_fn`, computed before the update
        (on PyTorch, detached from the autograd graph).

    Raises:
        NotImplementedError: On a backend other than TensorFlow and PyTorch.
    """
    backend = check_backend()
    if backend == "torch":
        return _minimize_torch(loss_fn, variables, optimizer)
    return _minimize_tensorflow(loss_fn, variables, optimizer)


def check_backend():
    """Raises `NotImplementedError` unless `minimize()` supports the backend.

    Models call it before training, so the error comes before any backend
    trainer code fails in a less clear way.

    Returns:
        The name of the backend, one of `SUPPORTED_BACKENDS`.
    """
    backend = keras.backend.backend()
    if backend in SUPPORTED_BACKENDS:
        return backend
    raise NotImplementedError(
        "keras_gen.gradients.minimize() supports the TensorFlow and PyTorch "
        f"backends only. Received: KERAS_BACKEND={backend!r}. JAX would need a "
        "stateless version (`stateless_call` inside `jax.value_and_grad`, "
        "then `optimizer.stateless_apply`, threading the variable values "
        "through `train_step`). Use KERAS_BACKEND=tensorflow or "
        "KERAS_BACKEND=torch to train the adversarial models; building, "
        "sampling and save/load work on every backend."
    )


def _minimize_tensorflow(loss_fn, variables, optimizer):
    import tensorflow as tf  # Imported here: the other backends lack it.

    with tf.GradientTape() as tape:
        loss, aux = loss_fn()
    gradients = tape.gradient(loss, variables)
    optimizer.apply_gradients(zip(gradients, variables))
    return loss, aux


def _minimize_torch(loss_fn, variables, optimizer):
    import torch  # Imported here: the other backends may lack it.

    variables = list(variables)
    # The variables' torch leaves (`torch.nn.Parameter`s); read outside
    # `loss_fn`, so no autocast scope hands back a cast copy.
    leaves = [variable.value for variable in variables]
    # Grad mode on whatever the caller's context, e.g. a phase run by hand
    # inside `torch.no_grad()`.
    with torch.enable_grad():
        loss, aux = loss_fn()
        # `torch.autograd.grad` rather than `loss.backward()`: it returns the
        # gradients of `variables` only and writes no `.grad` anywhere, so
        # nothing accumulates into another player's parameters (the frozen
        # discriminator in the generator step) to leak into a later update,
        # and the backward pass skips the other players' weight gradients.
        gradients = [None] * len(variables)
        wanted = [
            index for index, leaf in enumerate(leaves) if leaf.requires_grad
        ]
        if wanted and torch.is_tensor(loss) and loss.requires_grad:
            found = torch.autograd.grad(
                loss, [leaves[index] for index in wanted], allow_unused=True
            )
            for index, gradient in zip(wanted, found):
                gradients[index] = gradient
    # `None` where the loss does not depend on a variable, as
    # `tf.GradientTape` gives: the optimizer skips it with a warning (or
    # raises if no variable has a gradient), as on TensorFlow. Keras' torch
    # trainer applies its updates under `no_grad` too.
    with torch.no_grad():
        optimizer.apply(gradients, variables)
    return _detach(loss), keras.tree.map_structure(_detach, aux)


def _detach(value):
    """Detaches a torch tensor from the autograd graph; other values as is."""
    import torch

    return value.detach() if isinstance(value, torch.Tensor) else value
