"""Logs Keras metrics to the active Weights & Biases run."""

import keras
import numpy as np

from keras_gen.tracking import active_wandb_run
from keras_gen.validation import check_positive_int


class MetricsLogger(keras.callbacks.Callback):
    """Logs Keras metrics to the active W&B run, on any backend.

    At the end of each epoch it logs one row: `epoch` (1-based) and every
    scalar in Keras' logs under its own name (`loss`, `val_loss`, ...). With
    `log_every_n_batches=N` it also logs, every N training batches, a row of
    `batch/<name>` values (Keras' running means over the epoch so far) and
    `batch/step`, the number of batches since training began. Epoch metrics
    are plotted against `epoch` and batch metrics against `batch/step`.

    Without an active run it does nothing, so examples can always add it.
    It touches `self.model` never and the logs only when it logs, which
    keeps JAX from syncing state off the device on every batch.

    Args:
        log_every_n_batches: Log training metrics every this many batches;
            None (default) logs per epoch only.
        run: The run to log to. Defaults to the active run (`wandb.run`)
            when training begins.
    """

    def __init__(self, log_every_n_batches=None, run=None):
        super().__init__()
        if log_every_n_batches is not None:
            log_every_n_batches = check_positive_int(
                log_every_n_batches, "log_every_n_batches"
            )
        self.log_every_n_batches = log_every_n_batches
        self.run = run
        self._active_run = None
        self._defined = set()
        self._batch_step = 0

    def on_train_begin(self, logs=None):
        self._active_run = self.run if self.run is not None else active_wandb_run()
        self._defined = set()
        self._batch_step = 0
        if self._active_run is not None:
            self._active_run.define_metric("epoch")
            self._active_run.define_metric("batch/step")
            self._active_run.define_metric("batch/*", step_metric="batch/step")

    def on_train_batch_end(self, batch, logs=None):
        self._batch_step += 1
        every = self.log_every_n_batches
        if self._active_run is None or every is None or self._batch_step % every:
            return
        row = {f"batch/{name}": value for name, value in _scalars(logs).items()}
        row["batch/step"] = self._batch_step
        self._active_run.log(row)

    def on_epoch_end(self, epoch, logs=None):
        if self._active_run is None:
            return
        row = _scalars(logs)
        for name in row.keys() - self._defined:
            # Plot against the epoch, not against W&B's row counter, which
            # picture and batch rows also advance.
            self._active_run.define_metric(name, step_metric="epoch")
            self._defined.add(name)
        row["epoch"] = epoch + 1
        self._active_run.log(row)

    def get_config(self):
        return {"log_every_n_batches": self.log_every_n_batches}


def _scalars(logs):
    """The entries of Keras `logs` that are single numbers, as floats."""
    row = {}
    for name, value in (logs or {}).items():
        value = np.asarray(keras.ops.convert_to_numpy(value))
        if value.size == 1 and np.issubdtype(value.dtype, np.number):
            row[name] = float(value.reshape(()))
    return row
