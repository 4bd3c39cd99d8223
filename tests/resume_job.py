"""A training job that tests/test_resume.py kills with SIGKILL and restarts.

    python tests/resume_job.py OUT MODEL [KILL]

Trains MODEL (`gan`, `aae` or `semi`: small versions, seed 0, unseeded
dropout) for 3 epochs with `keras_gen.callbacks.BackupAndRestore` in
`OUT/backup`, then writes `OUT/result.npz`: every variable of the model (its
optimizers' and random-number states included) and the loss history.

KILL kills the process with SIGKILL, once (a marker file in OUT remembers):
`batch:E:B` after batch B of epoch E (both from 0), or `save:N` in the
middle of the N-th backup, after its weights file is written and before the
backup is complete.
"""

import os
import signal
import sys

import keras
import numpy as np

import keras_gen
from keras_gen.callbacks import BackupAndRestore

EPOCHS = 3


def build(name):
    """The model and its `fit()` data."""
    rng = np.random.default_rng(0)
    if name == "gan":
        model = keras_gen.GAN(input_shape=(12,), latent_dim=4,
                              generator_units=(16,), discriminator_units=(16,))
        x = rng.uniform(-1, 1, (80, 12)).astype("float32")
        return model, {"x": x, "batch_size": 16}
    if name == "aae":
        model = keras_gen.AdversarialAutoencoder(
            input_shape=(12,), latent_dim=2, hidden_units=(16,),
            discriminator_units=(16,), dropout_rate=0.3,
            discriminator_dropout_rate=0.2)
        x = rng.uniform(0, 1, (80, 12)).astype("float32")
        return model, {"x": x, "batch_size": 16}
    model = keras_gen.SemiSupervisedAdversarialAutoencoder(
        input_shape=(12,), num_classes=3, latent_dim=2, hidden_units=(16,),
        discriminator_units=(16,), dropout_rate=0.3)
    x = rng.uniform(0, 1, (80, 12)).astype("float32")
    labels = np.arange(9) % 3
    batches = keras_gen.make_semi_supervised_dataset(
        x, x[:9], labels, batch_size=16, labelled_batch_size=6,
        num_classes=3, seed=0)
    return model, {"x": batches}


class Kill(keras.callbacks.Callback):
    """SIGKILLs the process after batch `batch` of epoch `epoch`."""

    def __init__(self, epoch, batch, marker):
        super().__init__()
        self.kill_epoch, self.kill_batch, self.marker = epoch, batch, marker
        self.epoch = None

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if (self.epoch, batch) == (self.kill_epoch, self.kill_batch):
            kill(self.marker)


def kill(marker):
    open(marker, "w").close()
    os.kill(os.getpid(), signal.SIGKILL)


def main(out, name, plan=""):
    keras.utils.set_random_seed(0)
    model, data = build(name)
    model.compile()
    marker = os.path.join(out, "killed")
    callbacks = [BackupAndRestore(os.path.join(out, "backup"))]
    if plan and not os.path.exists(marker):
        kind, *numbers = plan.split(":")
        if kind == "batch":
            callbacks.append(Kill(int(numbers[0]), int(numbers[1]), marker))
        else:
            # Kill inside the N-th backup, once its weights file is written.
            saves = [0]
            save_weights = model.save_weights

            def save_weights_then_die(path, *args, **kwargs):
                save_weights(path, *args, **kwargs)
                saves[0] += 1
                if saves[0] == int(numbers[0]):
                    kill(marker)

            model.save_weights = save_weights_then_die
    history = model.fit(**data, epochs=EPOCHS, callbacks=callbacks, verbose=0)
    result = {f"variable_{i}": keras.ops.convert_to_numpy(v)
              for i, v in enumerate(model.variables + model.optimizer.variables)}
    for key, values in history.history.items():
        result[f"history_{key}"] = np.asarray(values)
    result["epochs"] = np.asarray(history.epoch)
    np.savez(os.path.join(out, "result.npz"), **result)


if __name__ == "__main__":
    main(*sys.argv[1:])
