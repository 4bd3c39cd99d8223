"""`BackupAndRestore`: atomic backups from which a killed run resumes exactly."""

import hashlib
import json
import os
import re

import keras
import numpy as np

from keras_gen import backend
from keras_gen import files
from keras_gen.callbacks.nan_guard import first_non_finite
from keras_gen.validation import check_positive_int

_BACKUP = re.compile(r"^backup-(\d{9})$")


class BackupAndRestore(keras.callbacks.Callback):
    """Backs up training as it goes; a restarted `fit()` resumes from the backup.

    The semantics of `keras.callbacks.BackupAndRestore` (same arguments),
    made safe against a kill at any moment and exact on resume:

    - Each backup is a folder `backup-NNNNNNNNN` in `backup_dir`, written
      under a temporary name and renamed once complete; the previous backup
      is deleted only after that. A kill (even SIGKILL, mid-write) leaves
      the last complete backup, which the next `fit()` restores.
    - A backup holds the model's weights, every optimizer's state (all the
      players' of an adversarial model), the epoch, and the state of every
      `keras.random.SeedGenerator` in the model (dropout masks, input noise,
      prior samples), which `.weights.h5` files leave out. It also holds a
      digest of the model's config and compile settings: a backup made by
      another configuration is refused with an error, never mixed in.
    - keras-gen models shuffle in-memory data from a seed and the epoch
      number (see `GenerativeModel.fit()`); the seed is backed up too. So a
      run killed and restarted with the same program gives bit-identical
      weights, optimizer states and losses to an uninterrupted one (same
      backend and thread count), when backups are made at epoch ends.

    - Under a multi-worker strategy every worker restores from
      `backup_dir` (a folder they all see) and makes each backup, but only
      the chief's is kept (`keras_gen.files.is_chief()`); the others write
      to a scratch folder that is deleted.

    A backup is skipped while the logs hold a NaN or an infinity, so the
    last good one stays. With `save_freq=N`, a backup is also made every `N`
    batches (every `N` executions with `steps_per_execution` above 1); as in
    Keras, a resumed run restarts the interrupted epoch from its first batch
    with the weights of the backup, which keeps the work but is not
    bit-identical to an uninterrupted run.

    Args:
        backup_dir: Folder of the backups (created if missing). Use one
            folder per training job.
        save_freq: `"epoch"` to back up at the end of every epoch, or an
            integer `N` to also back up every `N` training batches.
        delete_checkpoint: Whether to delete `backup_dir` when training
            ends normally (as Keras does), so that the next `fit()` starts
            afresh. Set it to False to keep the last backup until you call
            `delete()` (for example once the trained model is saved).
    """

    def __init__(self, backup_dir, save_freq="epoch", delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ValueError(
                "`backup_dir` must be a folder path. Received: "
                f"backup_dir={backup_dir!r}"
            )
        if save_freq != "epoch":
            save_freq = check_positive_int(save_freq, "save_freq")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.delete_checkpoint = bool(delete_checkpoint)
        # Extra state the model's `fit()` keeps here (its data seed).
        self.data_seed = None
        # Whether `restore()` already ran for the `fit()` about to start.
        self._restored_for_fit = False
        self._epoch = 0
        self._batches = 0

    def restore(self, model=None):
        """Loads the newest complete backup into the model.

        `GenerativeModel.fit()` calls it before it builds its data, to learn
        the epoch and the data seed (`on_train_begin()` then does not load
        it again); with another model it runs at `on_train_begin()`.

        Args:
            model: The model; by default the callback's.

        Returns:
            The backup's state (`{"epoch": ..., "data_seed": ...}`), or None
            when there is no backup.
        """
        self._restored_for_fit = True
        model = model or self.model
        for name in os.listdir(self.backup_dir) if os.path.isdir(self.backup_dir) else []:
            if name.startswith(files.INCOMPLETE_PREFIX):  # Left by a kill mid-backup.
                files.remove_tree(os.path.join(self.backup_dir, name))
        folder = self._latest()
        state = None
        if folder is not None:
            with open(os.path.join(folder, "state.json")) as f:
                state = json.load(f)
        # Workers resuming from different epochs would train different steps.
        backend.check_same_on_workers(
            model, -1 if state is None else state["epoch"],
            f"the epoch of the last backup in `backup_dir` ({self.backup_dir!r}; "
            "-1: none)",
            "give every worker the same `backup_dir` on a file system they all see",
        )
        if state is None:
            return None
        if model.optimizer is not None and not model.optimizer.built:
            model.optimizer.build(model.trainable_variables)
        if state.get("fingerprint") not in (None, _fingerprint(model)):
            raise ValueError(
                f"The backup in {folder} was made by a model with another "
                "configuration or other compile() settings, so resuming from "
                "it would mix two trainings. Delete the folder, or pass a "
                "`backup_dir` of its own to each configuration. Received: "
                f"backup_dir={self.backup_dir!r}"
            )
        model.load_weights(os.path.join(folder, "model.weights.h5"))
        seeds = random_state_variables(model)
        if len(seeds) != len(state["random_state"]):
            raise ValueError(
                f"The backup in {folder} holds {len(state['random_state'])} "
                f"random-number states but the model has {len(seeds)}: it was "
                "made by another model. Delete the folder or pass another "
                f"`backup_dir`. Received: backup_dir={self.backup_dir!r}"
            )
        for variable, value in zip(seeds, state["random_state"]):
            variable.assign(np.asarray(value, dtype=variable.dtype))
        self.data_seed = state.get("data_seed")
        self._epoch = state["epoch"]
        return state

    def delete(self):
        """Deletes `backup_dir`, e.g. once the trained model is saved (on the chief)."""
        files.remove_tree(self.backup_dir)

    def on_train_begin(self, logs=None):
        self._batches = 0
        if not self._restored_for_fit:
            state = self.restore()
            if state is not None:
                # What keras.callbacks.BackupAndRestore does for Keras'
                # models; keras-gen models take the epoch in `fit()`.
                self.model._initial_epoch = state["epoch"]
        self._restored_for_fit = False  # The next `fit()` restores afresh.

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        self._batches += 1
        if self._batches >= self.save_freq:
            self._batches = 0
            self._save(self._epoch, logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        self._save(epoch + 1, logs)

    def on_train_end(self, logs=None):
        if self.delete_checkpoint:
            self.delete()

    def _save(self, epoch, logs):
        if first_non_finite(logs) is not None:
            return  # Keep the last good backup rather than a NaN model.
        previous = self._backups()
        number = int(_BACKUP.match(previous[-1]).group(1)) + 1 if previous else 0
        # A folder renamed complete is a backup; anything else is not. (Every
        # worker of a multi-worker strategy saves, as saving may need them
        # all; only the chief's folder is kept.)
        path = os.path.join(self.backup_dir, f"backup-{number:09d}")
        with files.atomic_folder(path) as temporary:
            self.model.save_weights(os.path.join(temporary, "model.weights.h5"))
            state = {
                "epoch": int(epoch),
                "fingerprint": _fingerprint(self.model),
                "data_seed": self.data_seed,
                "random_state": [
                    np.asarray(keras.ops.convert_to_numpy(v)).tolist()
                    for v in random_state_variables(self.model)
                ],
            }
            files.write_json(os.path.join(temporary, "state.json"), state)
        for name in previous:
            files.remove_tree(os.path.join(self.backup_dir, name))

    def _backups(self):
        if not os.path.isdir(self.backup_dir):
            return []
        return sorted(name for name in os.listdir(self.backup_dir) if _BACKUP.match(name))

    def _latest(self):
        backups = self._backups()
        return os.path.join(self.backup_dir, backups[-1]) if backups else None

    def get_config(self):
        return {
            "backup_dir": self.backup_dir,
            "save_freq": self.save_freq,
            "delete_checkpoint": self.delete_checkpoint,
        }


def _fingerprint(model):
    """A digest of what makes two trainings the same one.

    The model's class, its weights' shapes, its own scalar settings and the
    compile settings (optimizers and their learning rates), without names:
    Keras numbers the names of models and layers built in one process
    (`dense_7`), and a notebook's second build must still match.
    """
    try:
        config = model.get_config()
        compile_config = model.get_compile_config()
    except Exception:  # A subclassed model without get_config().
        return None
    settings = {
        key: value for key, value in config.items()
        if key != "name" and isinstance(value, (bool, int, float, str, list, tuple))
    }
    text = json.dumps(
        [
            type(model).__name__,
            [(tuple(v.shape), str(v.dtype)) for v in model.weights],
            settings,
            _without_names(compile_config),
        ],
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(text.encode()).hexdigest()


def _without_names(value):
    if isinstance(value, dict):
        return {k: _without_names(v) for k, v in value.items() if k != "name"}
    if isinstance(value, (list, tuple)):
        return [_without_names(v) for v in value]
    return value


def random_state_variables(model):
    """The model's random-number states: its variables that are no weights or metrics.

    The `keras.random.SeedGenerator` states of its layers (dropout masks,
    noise), which Keras' `.weights.h5` files leave out.
    """
    skip = {id(v) for v in model.weights} | {id(v) for v in model.metrics_variables}
    return [v for v in model.variables if id(v) not in skip]


def keras_backup_epoch(callback):
    """The epoch a `keras.callbacks.BackupAndRestore` will resume from, or None.

    Keras restores it in `on_train_begin()`, after `fit()` has made the
    data; keras-gen's `fit()` reads it first, so its shuffled batches start
    at that epoch as an uninterrupted run's would. Reads Keras' private
    metadata file (`_training_metadata_path`, JSON with `"epoch"`):
    `tests/test_keras_resume.py` fails if Keras changes it.
    """
    path = getattr(callback, "_training_metadata_path", None)
    if path is None or not os.path.exists(path):
        return None
    with open(path) as file:
        return int(json.load(file)["epoch"])
