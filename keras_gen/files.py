"""Writing files so that a kill at any moment never leaves a broken one.

Every file keras-gen writes (models, backups, pictures, sweep records) goes
through `atomic_path()` (a backup's folder through `atomic_folder()`): it is written to a temporary file in the same folder
and renamed into place once complete. A rename within one file system is
atomic, so a reader (or a restarted run) sees either the old file or the new
one, never a half-written one.

When several processes train one model (TensorFlow's
`MultiWorkerMirroredStrategy`), they all run the same program, but only the
chief keeps what it writes: on the other workers `atomic_path()` and
`atomic_folder()` hand out scratch space that is deleted afterwards, and
`remove_tree()` deletes nothing, so every worker still runs the
same code (saving a model may need all of them) and none overwrites the
chief's files.
"""

import contextlib
import json
import os
import shutil
import tempfile


@contextlib.contextmanager
def atomic_path(path):
    """Yields a temporary path to write; moves it to `path` when the block ends.

    The temporary file sits next to `path` (same folder, same suffix, so
    writers that pick a format from the name keep working). If the block
    raises, the temporary file is removed and `path` is left as it was.

    On a worker that is not the chief (see `is_chief()`), the temporary
    file is in a scratch folder and is deleted instead of moved: `path` and
    its folder are left alone.

    Args:
        path: The final path. Its folder is created if missing.

    Yields:
        The temporary path to write.
    """
    path = os.fspath(path)
    if not is_chief():
        with tempfile.TemporaryDirectory(prefix="keras-gen-worker-") as scratch:
            yield os.path.join(scratch, os.path.basename(path))
        return
    folder, name = os.path.split(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    # `.keras`, `.weights.h5`, `.png`: keep the whole suffix after the stem.
    stem, dot, suffix = name.partition(".")
    handle, temporary = tempfile.mkstemp(
        prefix=f".{stem}.", suffix=f".tmp{dot}{suffix}", dir=folder
    )
    os.close(handle)
    # `mkstemp` makes the file private (0600): give it the mode the old file
    # had, or what `open()` would have given a new one.
    os.chmod(temporary, _mode_for(path))
    try:
        yield temporary
        _fsync(temporary)
        os.replace(temporary, path)
        _fsync_folder(folder)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


# The name a folder of `atomic_folder()` has until it is complete.
INCOMPLETE_PREFIX = ".incomplete-"


@contextlib.contextmanager
def atomic_folder(path):
    """Yields a temporary folder to fill; renames it to `path` when the block ends.

    The folder of `atomic_path()`: it sits next to `path`, named
    `INCOMPLETE_PREFIX...`, so a kill mid-write leaves no folder named
    `path`, only a leftover a later run can recognise and remove. If the
    block raises, the temporary folder is removed. On a worker that is not
    the chief (see `is_chief()`), it is a scratch folder, deleted after the
    block.

    Args:
        path: The final path, which must not exist yet. Its parent is
            created if missing.

    Yields:
        The temporary folder's path.
    """
    path = os.fspath(path)
    chief = is_chief()
    parent = os.path.dirname(os.path.abspath(path))
    if chief:
        os.makedirs(parent, exist_ok=True)
    temporary = tempfile.mkdtemp(prefix=INCOMPLETE_PREFIX, dir=parent if chief else None)
    try:
        yield temporary
        if chief:
            os.rename(temporary, path)
            _fsync_folder(parent)
    finally:
        if os.path.isdir(temporary):
            shutil.rmtree(temporary, ignore_errors=True)


def remove_tree(path):
    """Deletes the folder `path` and everything in it, on the chief only.

    Nothing happens if it is missing, or on another worker of a multi-worker
    training (see `is_chief()`): the files are the chief's.
    """
    if is_chief():
        shutil.rmtree(path, ignore_errors=True)


def is_chief():
    """Whether this process is the one that writes files (True unless told otherwise).

    `TF_CONFIG`, which `tf.distribute.MultiWorkerMirroredStrategy` reads,
    names the process's task, and TensorFlow's rule decides: the task of
    type `"chief"` is the chief, or worker 0 when the cluster has no chief;
    an `"evaluator"` runs apart from the training cluster and is its own
    chief. Without `TF_CONFIG` (one process) this is True. (A strategy whose
    cluster is described otherwise, say by a Slurm resolver, is refused by
    keras-gen's models at `fit()`: see `keras_gen.backend.tensorflow`.)
    """
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        return True
    try:
        config = json.loads(raw)
        task = config.get("task") or {}
        kind, index = task.get("type"), int(task.get("index", 0))
        has_chief = "chief" in (config.get("cluster") or {})
    except (ValueError, TypeError, AttributeError):
        raise ValueError(
            "TF_CONFIG must be JSON like {\"cluster\": {\"worker\": [...]}, "
            "\"task\": {\"type\": \"worker\", \"index\": 0}}. Received: "
            f"TF_CONFIG={raw!r}"
        ) from None
    if kind in (None, "chief", "evaluator"):
        return True
    return kind == "worker" and index == 0 and not has_chief


def write_text(path, text):
    """Writes `text` to `path` atomically."""
    with atomic_path(path) as temporary:
        with open(temporary, "w") as f:
            f.write(text)


def write_json(path, value, **kwargs):
    """Writes `value` as JSON to `path` atomically (`kwargs` go to `json.dump`)."""
    write_text(path, json.dumps(value, **kwargs))


def save_model(model, path):
    """Saves `model` to `path` (`.keras`) atomically; returns `path`."""
    with atomic_path(path) as temporary:
        model.save(temporary)
    return path


def check_writable(folder, name="out"):
    """Checks that files can be written in `folder`, creating it if missing.

    Called before training, so that a missing permission is found before
    hours of work rather than when the model is saved. Only the chief
    checks (see `is_chief()`): the other workers keep no files.

    Args:
        folder: The output folder.
        name: The argument name used in the error message.

    Returns:
        `folder`.
    """
    if not is_chief():
        return folder  # Another worker of a cluster writes nothing there.
    try:
        os.makedirs(folder, exist_ok=True)
        handle, probe = tempfile.mkstemp(prefix=".write-test-", dir=folder)
        os.close(handle)
        os.remove(probe)
    except OSError as error:
        raise ValueError(
            f"`{name}` must be a folder keras-gen can write to (the model, "
            "pictures and backups go there); pass another one, or fix its "
            f"permissions. Received: {name}={os.fspath(folder)!r} ({error})"
        ) from None
    return folder


def _mode_for(path):
    try:
        return os.stat(path).st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _fsync(path):
    # Flush the file's data to disk before the rename makes it visible
    # (opened for writing: Windows refuses to flush a read-only handle).
    with open(path, "r+b") as f:
        os.fsync(f.fileno())


def _fsync_folder(folder):
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:  # Not possible on every system (e.g. Windows).
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)
