"""Keras' own `BackupAndRestore` and `ModelCheckpoint(save_weights_only=True)` resume exactly.

A model's weights files carry its random states (dropout masks, noise), and
`fit()` reads the epoch Keras' backup resumes from before it makes the
shuffled batches. `tests/test_backends.py` runs this module again on JAX.
(On PyTorch, Keras' unseeded `Dropout` draws from torch's global generator,
which no weights file holds: there only models without dropout resume
exactly through Keras' callbacks; keras-gen's own `BackupAndRestore` is
documented for them.)
"""

import json

import keras
import numpy as np
import pytest
from keras import ops

import keras_gen
from keras_gen.callbacks.backup import keras_backup_epoch, random_state_variables

X = np.random.default_rng(0).random((96, 784), dtype="float32")


class Interrupt(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        if epoch == 1:
            raise KeyboardInterrupt


def make():
    # The adversarial autoencoder's default dropout: random masks every step.
    keras.utils.set_random_seed(0)
    model = keras_gen.AdversarialAutoencoder(hidden_units=(32,), discriminator_units=(16,),
                                             seed=1)
    model.compile()
    return model


def assert_same(a, b):
    for u, v in zip(a.variables, b.variables):
        np.testing.assert_array_equal(ops.convert_to_numpy(u), ops.convert_to_numpy(v),
                                      err_msg=u.path)


@pytest.mark.parametrize("shuffle", [False, True], ids=["in_order", "shuffled"])
def test_keras_backup_and_restore_resumes_dropout_and_shuffling_exactly(shuffle, tmp_path):
    if keras.backend.backend() == "torch":
        pytest.skip("Keras' Dropout draws from torch's global generator on PyTorch")

    def train(directory, interrupt=False):
        model = make()
        callbacks = [keras.callbacks.BackupAndRestore(str(directory))]
        model.fit(X, batch_size=16, epochs=3, shuffle=shuffle, verbose=0,
                  callbacks=callbacks + ([Interrupt()] if interrupt else []))
        return model

    uninterrupted = train(tmp_path / "once")
    with pytest.raises(KeyboardInterrupt):
        train(tmp_path / "interrupted", interrupt=True)
    resumed = train(tmp_path / "interrupted")
    assert_same(resumed, uninterrupted)
    assert int(resumed.ae_optimizer.iterations) == 18


def test_weights_files_carry_the_random_states(tmp_path):
    model = make()
    checkpoint = keras.callbacks.ModelCheckpoint(str(tmp_path / "model.weights.h5"),
                                                 save_weights_only=True)
    model.fit(X, batch_size=16, epochs=1, shuffle=False, verbose=0, callbacks=[checkpoint])
    states = random_state_variables(model)
    assert len(states) >= 4  # The dropout layers' and the prior sampler's.
    restored = make()
    assert not all(np.array_equal(ops.convert_to_numpy(a), ops.convert_to_numpy(b))
                   for a, b in zip(random_state_variables(restored), states))
    restored.load_weights(tmp_path / "model.weights.h5")
    assert_same(restored, model)
    if keras.backend.backend() != "torch":
        for m in (model, restored):
            m.fit(X, batch_size=16, epochs=1, shuffle=False, verbose=0)
        assert_same(restored, model)


def test_weights_files_without_random_states_still_load(tmp_path):
    # Files saved before the random states were kept: the weights load, the
    # states stay as they are.
    model = make()
    model.save_weights(tmp_path / "model.weights.h5")
    import h5py

    with h5py.File(tmp_path / "model.weights.h5", "r+") as file:
        group = file["vars"]
        for key in [k for k in group.keys() if k.startswith("random_state_")]:
            del group[key]
    restored = make()
    restored.load_weights(tmp_path / "model.weights.h5")
    for a, b in zip(restored.weights, model.weights):
        np.testing.assert_array_equal(ops.convert_to_numpy(a), ops.convert_to_numpy(b))


def test_keras_backup_metadata_is_what_fit_reads(tmp_path):
    # Fails if Keras changes its private metadata file.
    callback = keras.callbacks.BackupAndRestore(str(tmp_path))
    assert keras_backup_epoch(callback) is None
    with pytest.raises(KeyboardInterrupt):  # After the backup of epoch 0.
        make().fit(X[:32], batch_size=16, epochs=2, verbose=0, callbacks=[callback, Interrupt()])
    with open(callback._training_metadata_path) as file:
        assert json.load(file)["epoch"] == 1
    assert keras_backup_epoch(callback) == 1
