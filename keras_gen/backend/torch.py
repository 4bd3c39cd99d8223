"""PyTorch: gradients with `torch.autograd.grad`."""

import keras
import torch


def minimize(loss_fn, variables, optimizer):
    """Runs `loss_fn` and applies its gradients to `variables`.

    See `keras_gen.backend.tensorflow.minimize` for the arguments. The loss
    and `aux` come back detached from the autograd graph.
    """
    variables = list(variables)
    # The variables' torch leaves, read outside `loss_fn` so that no autocast
    # scope hands back a cast copy.
    leaves = [variable.value for variable in variables]
    # Grad mode whatever the caller's context (a step run by hand inside
    # `torch.no_grad()`, say).
    with torch.enable_grad():
        loss, aux = loss_fn()
        # `torch.autograd.grad` rather than `loss.backward()`: it returns the
        # gradients of `variables` only and writes no `.grad` anywhere, so
        # nothing accumulates into another player's parameters (the frozen
        # discriminator in the generator step) to leak into a later update.
        gradients = [None] * len(variables)
        wanted = [i for i, leaf in enumerate(leaves) if leaf.requires_grad]
        if wanted and torch.is_tensor(loss) and loss.requires_grad:
            found = torch.autograd.grad(
                loss, [leaves[i] for i in wanted], allow_unused=True
            )
            for index, gradient in zip(wanted, found):
                gradients[index] = gradient
    # `None` where the loss does not depend on a variable, as TensorFlow
    # gives: the optimizer skips it with a warning.
    with torch.no_grad():
        optimizer.apply(gradients, variables)
    return _detach(loss), keras.tree.map_structure(_detach, aux)


def gradients(fn, inputs):
    """Gradients of the scalar `fn(*inputs)` with respect to the tensors `inputs`.

    See `keras_gen.backend.tensorflow.gradients`. The graph of the result is
    kept (`create_graph=True`), so `minimize()` differentiates it again.
    An input that needs no gradient of its own is differentiated as a copy
    cut from its graph.
    """
    single = not isinstance(inputs, (list, tuple))
    inputs = [keras.ops.convert_to_tensor(x) for x in ([inputs] if single else inputs)]
    with torch.enable_grad():
        inputs = [x if x.requires_grad else x.detach().requires_grad_(True)
                  for x in inputs]
        value = fn(*inputs)
        found = torch.autograd.grad(value, inputs, create_graph=True, allow_unused=True)
    found = [torch.zeros_like(x) if g is None else g for g, x in zip(found, inputs)]
    return found[0] if single else found


def branch(pred, then_fn, else_fn):
    """`then_fn()` where the scalar `pred` is true, else `else_fn()`, running only one.

    See `keras_gen.backend.tensorflow.branch`. PyTorch runs eagerly, so a
    Python `if` on the value (one read of a scalar).
    """
    return then_fn() if bool(pred) else else_fn()


def _detach(value):
    return value.detach() if isinstance(value, torch.Tensor) else value


# Keras' own model class: its PyTorch trainer runs a stateful
# `train_step(data)` as it is.
Model = keras.Model


def training_data(batches, steps_per_epoch):
    """Returns `(batches, [])`: Keras' own `PyDataset` route is fast here.

    See `keras_gen.backend.tensorflow.training_data` for the arguments.
    """
    return batches, []
