"""Checks shared by the adversarial tests: which variables a phase touched."""

import keras
import numpy as np
from keras import ops


def snapshot(variables):
    """Copies the current values of `variables` to NumPy."""
    return [ops.convert_to_numpy(v).copy() for v in variables]


def assert_unchanged(before, variables):
    """Asserts every variable is bit-identical to its snapshot."""
    assert len(before) == len(variables)
    for value, variable in zip(before, variables):
        np.testing.assert_array_equal(
            ops.convert_to_numpy(variable), value, err_msg=variable.path
        )


def assert_all_changed(before, variables):
    """Asserts every variable moved away from its snapshot."""
    assert variables, "expected some variables"
    for value, variable in zip(before, variables):
        assert not np.array_equal(ops.convert_to_numpy(variable), value), (
            f"{variable.path} did not change"
        )


def bn_moving_statistics(network):
    """The BatchNorm moving statistics of a model, nested models included."""
    statistics = []
    for layer in network.layers:
        if isinstance(layer, keras.Model):
            statistics += bn_moving_statistics(layer)
        elif isinstance(layer, keras.layers.BatchNormalization):
            statistics += [layer.moving_mean, layer.moving_variance]
    return statistics


def run_phase(model, phase, batch, mode):
    """Runs one phase alone, eagerly or as the compiled step of `fit()`."""
    if mode == "eager":
        return getattr(model, phase)(batch)
    model.phases = (phase,)
    return model.fit(batch, batch_size=len(batch), epochs=1, verbose=0)
