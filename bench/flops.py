"""Floating-point operations of a training step, counted from layer shapes.

Counting rules (used by `bench/adversarial.py`):

- Only the layers that multiply by weights count: `Dense`
  (`2 * in * out` per example and per position), `Conv2D`
  (`2 * kh * kw * cin/groups * cout * H_out * W_out` per example) and
  `Conv2DTranspose` (`2 * kh * kw * cin * cout * H_in * W_in` per example).
  Elementwise work (bias adds, activations, BatchNorm, dropout, losses, the
  optimizer's per-parameter update, random numbers) is ignored: it is
  O(activations) or O(parameters), not O(activations x fan-in), and a few
  percent of the total here.
- A forward pass costs F, the sum above. Its backward pass costs, per layer,
  F for the gradient with respect to the layer's input (only when something
  upstream is being trained, so it is needed) plus F for the gradient with
  respect to its weights (only when the layer's network is being trained).
  So a trained network that is first in the chain costs 3F - F(first layer),
  a frozen network downstream of a trained one 2F (forward + input
  gradients), and a network run without gradients F. TensorFlow prunes the
  gradients nobody asked for, so this is the work actually done (`min`).
  The brief's cruder rule, "training = 3 x forward" for every network on a
  differentiated path, is reported next to it (`3x`).
- A step is a list of phases; a phase is a list of chains run on some number
  of batches; a chain is a list of `(network, trained)` pairs applied in
  order. For the GAN game:
  D step = G forward (fakes, no gradient) + D forward and backward on the real
  batch and on the fake batch; G step = G forward + D forward + backward
  through D (input gradients only) and G (weights and inputs).
"""

import math

import keras

WEIGHT_LAYERS = (
    keras.layers.Dense,
    keras.layers.Conv2D,
    keras.layers.Conv2DTranspose,
)


def _output_shape(layer):
    try:
        return tuple(layer.output.shape)
    except (AttributeError, ValueError):
        # A layer called several times: its first call.
        return tuple(layer._inbound_nodes[0].output_tensors[0].shape)


def _input_shape(layer):
    try:
        return tuple(layer.input.shape)
    except (AttributeError, ValueError):
        return tuple(layer._inbound_nodes[0].input_tensors[0].shape)


def weight_layers(network):
    """The weight-multiplying layers of a (nested) functional model, in order.

    Returns:
        A list of dicts with `layer`, `kind`, `flops` (forward, per example)
        and the shapes needed to rebuild the same kernels
        (`input_shape`, `output_shape`, `kernel_shape`).
    """
    found = []
    for layer in network.layers:
        if isinstance(layer, keras.Model) or (
            not isinstance(layer, WEIGHT_LAYERS) and getattr(layer, "layers", None)
        ):
            found += weight_layers(layer)
            continue
        if not isinstance(layer, WEIGHT_LAYERS):
            continue
        kernel_shape = tuple(layer.kernel.shape)
        in_shape = _input_shape(layer)[1:]
        out_shape = _output_shape(layer)[1:]
        if isinstance(layer, keras.layers.Conv2DTranspose):
            kind = "conv2d_transpose"
            kh, kw, cout, cin = kernel_shape
            flops = 2 * kh * kw * cin * cout * in_shape[0] * in_shape[1]
        elif isinstance(layer, keras.layers.Conv2D):
            kind = "conv2d"
            kh, kw, cin_per_group, cout = kernel_shape
            flops = 2 * kh * kw * cin_per_group * cout * out_shape[0] * out_shape[1]
        else:
            kind = "dense"
            fan_in, units = kernel_shape
            flops = 2 * fan_in * units * math.prod(out_shape[:-1])
        found.append({
            "layer": layer, "kind": kind, "flops": int(flops),
            "input_shape": in_shape, "output_shape": out_shape,
            "kernel_shape": kernel_shape,
        })
    return found


def chain_work(chain):
    """Per-example work of one chain `[(network, trained), ...]`.

    Returns:
        `(forward, backward, kernels)`: forward and backward FLOPs per example
        (the `min` rule above) and, per weight layer, a dict with its
        description plus `input_grad` and `weight_grad` flags (what its
        backward pass computes).
    """
    forward = backward = 0
    upstream_trained = False
    kernels = []
    for network, trained in chain:
        for entry in weight_layers(network):
            forward += entry["flops"]
            backward += entry["flops"] * (int(trained) + int(upstream_trained))
            kernels.append({
                **entry, "weight_grad": bool(trained),
                "input_grad": upstream_trained,
            })
            upstream_trained = upstream_trained or trained
    return forward, backward, kernels


def step_work(phases, batch_size):
    """FLOPs of one training step.

    Args:
        phases: `[(phase_name, [(chain, number_of_batches), ...]), ...]`.
        batch_size: Examples per batch.

    Returns:
        A dict: `flops` (min rule), `flops_3x` (3 x forward rule),
        `forward_flops`, `per_phase` (`{name: flops}`) and `kernels`
        (`[(kernel description, number_of_batches)]`, for timing the kernels
        alone).
    """
    total = total_3x = total_forward = 0
    per_phase = {}
    kernels = []
    for name, runs in phases:
        phase_flops = 0
        for chain, batches in runs:
            forward, backward, chain_kernels = chain_work(chain)
            trained = any(flag for _, flag in chain)
            phase_flops += (forward + backward) * batches * batch_size
            total_3x += (3 if trained else 1) * forward * batches * batch_size
            total_forward += forward * batches * batch_size
            kernels += [(kernel, batches) for kernel in chain_kernels]
        per_phase[name] = phase_flops
        total += phase_flops
    return {
        "flops": total, "flops_3x": total_3x, "forward_flops": total_forward,
        "per_phase": per_phase, "kernels": kernels,
    }
