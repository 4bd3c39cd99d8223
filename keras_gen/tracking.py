"""Weights & Biases tracking for the examples: runs, metrics, models, run files.

W&B is optional. Every function here works without `wandb` installed (a run
is then simply absent, `None`, and pictures go to PNG files through
`keras_gen.callbacks.ImageSink`), and `wandb` is imported only when a run is
actually started or read.

An example becomes W&B- and sweep-ready with a few lines:

```python
parser = argparse.ArgumentParser()
parser.add_argument("--latent_space", type=int, default=32)
tracking.add_arguments(parser)  # --no-wandb, --log_every_n_batches
run, args = tracking.start_run(parser.parse_args(), job_type="autoencoder")
model.fit(..., callbacks=[callbacks.MetricsLogger(args.log_every_n_batches)])
tracking.save_model(model, "out/autoencoder.keras", run)
tracking.finish_run(run)
```

Keys logged to a run (stable; the W&B UI and `keras-gen sweep` rely on them):

- `epoch`: the 1-based epoch number (as in Keras' progress bar), in every
  row logged at the end of an epoch. Epoch metrics use it as their x axis.
- `<name>`: every entry of Keras' epoch logs under its own, top-level name:
  `loss`, `val_loss`, and model metrics such as `reconstruction_loss`,
  `kl_loss`, `val_reconstruction_loss`, `d_loss`, `g_loss`. `val_loss` is the
  sweep metric of the examples that validate (the validation MSE of the
  autoencoders, reconstruction + KL for the VAE).
- `batch/<name>` and `batch/step`: with `log_every_n_batches=N`, the
  training metrics every N batches (Keras' running means over the epoch so
  far) and the number of batches trained since `fit()` began.
- Pictures, from the picture callbacks: `reconstructions`, `denoised`,
  `latent_space`, `latent_manifold`, `generated_images`, `loss_curves`, each
  in a row of its own together with `epoch`.
"""

import argparse
import glob
import hashlib
import json
import netrc
import os
import shutil
import struct
import sys
import urllib.parse

from keras_gen import files

DEFAULT_PROJECT = "keras-gen"

# The hosts of W&B's cloud, whose `.netrc` entry `wandb login` writes: wandb
# 0.31's default base URL is a CoreWeave Forge alias of api.wandb.ai.
DEFAULT_HOSTS = ("api.wandb.ai", "api.forge.coreweave.com")

# Flags that steer tracking itself; they are not hyperparameters.
_TRACKING_FLAGS = ("no_wandb",)

_said_offline = False


def active_wandb_run():
    """Returns the active W&B run, or None if wandb is not imported or idle.

    Never imports wandb: no run can be active before it is imported.

    Returns:
        `wandb.run` (a `wandb` run object), or None.
    """
    wandb = sys.modules.get("wandb")
    if wandb is None:
        return None
    return getattr(wandb, "run", None)


def add_arguments(parser):
    """Adds the tracking flags shared by every example to `parser`.

    Adds `--no-wandb` (no run; pictures go to PNG files) and
    `--log_every_n_batches` (also log training metrics every N batches).

    Args:
        parser: An `argparse.ArgumentParser`.

    Returns:
        `parser`.
    """
    parser.add_argument(
        "--no-wandb", dest="no_wandb", action="store_true",
        help="Do not start a Weights & Biases run (the pictures and the "
             "model are written under --out either way).",
    )
    parser.add_argument(
        "--log_every_n_batches", type=int, default=None,
        help="Also log training metrics to W&B every this many batches "
             "(None: once per epoch).",
    )
    return parser


def has_credentials(environ=None):
    """Whether W&B credentials are available without asking the user.

    Looks where `wandb login` and the W&B docs put them: the `WANDB_API_KEY`
    or `WANDB_IDENTITY_TOKEN_FILE` variables, or a `.netrc` entry (file
    `$NETRC`, else `~/.netrc`) for the host of `WANDB_BASE_URL`, or for W&B's
    cloud when that is unset. Nothing is sent over the network.

    Args:
        environ: Mapping of environment variables; defaults to `os.environ`.

    Returns:
        True if a key or token was found.
    """
    environ = os.environ if environ is None else environ
    if environ.get("WANDB_API_KEY") or environ.get("WANDB_IDENTITY_TOKEN_FILE"):
        return True
    base_url = environ.get("WANDB_BASE_URL")
    hosts = {urllib.parse.urlsplit(base_url).netloc} if base_url else set()
    if not base_url or hosts & set(DEFAULT_HOSTS):
        hosts.update(DEFAULT_HOSTS)
    path = environ.get("NETRC") or os.path.expanduser("~/.netrc")
    try:
        entries = netrc.netrc(path)
    except (OSError, netrc.NetrcParseError):
        return False
    for host in hosts:
        found = entries.authenticators(host)
        if found and found[2]:
            return True
    return False


def start_run(args, project=None, **init_kwargs):
    """Starts a W&B run for an example and reads its hyperparameters back.

    The run's config starts as `vars(args)`. Under a sweep agent (or
    `keras-gen sweep`) `wandb.init` then applies the values of the file
    named by `WANDB_SWEEP_PARAM_PATH`, so the returned `args` are read back
    from `run.config`: sweep-assigned values win over flags, flags over
    defaults.

    The mode is W&B's own: `WANDB_MODE` is respected when set. When it is
    not set and no credentials are found (see `has_credentials`), the run is
    logged offline, saying so once, instead of failing or prompting. If
    `wandb.init` fails (say, no network), the run falls back to offline.

    No run is started (`run` is None and `args` come back unchanged) with
    `--no-wandb`, on a worker of a multi-worker training that is not the
    chief (`keras_gen.files.is_chief()`), with `WANDB_MODE=disabled`, or when `wandb` is not
    installed; pictures then go to PNG files.

    Args:
        args: The parsed `argparse.Namespace` of the example.
        project: W&B project. Defaults to `$WANDB_PROJECT`, else
            `"keras-gen"`. W&B ignores it inside a sweep.
        **init_kwargs: Other `wandb.init` arguments, e.g. `job_type`.

    Returns:
        `(run, args)`: the run or None, and the hyperparameters as an
        `argparse.Namespace`.
    """
    if not isinstance(args, argparse.Namespace):
        raise ValueError(
            "`args` must be an argparse.Namespace, as returned by "
            f"`parser.parse_args()`. Received: args={args!r}"
        )
    wandb = _wandb_or_none(args)
    if wandb is None:
        return None, args
    config = {k: v for k, v in vars(args).items() if k not in _TRACKING_FLAGS}
    init_kwargs = {
        "config": config,
        "project": project or os.environ.get("WANDB_PROJECT") or DEFAULT_PROJECT,
        **init_kwargs,
    }
    no_credentials = not os.environ.get("WANDB_MODE") and not has_credentials()
    if no_credentials:
        init_kwargs["mode"] = "offline"
    try:
        run = wandb.init(**init_kwargs)
    except Exception as error:  # CommError, UsageError, AuthenticationError...
        if init_kwargs.get("mode") == "offline":
            raise
        print(
            f"wandb: could not start an online run ({type(error).__name__}: "
            f"{str(error).splitlines()[0]}); logging offline instead.",
            file=sys.stderr,
        )
        # A failed init leaves wandb's process-wide state half set up.
        wandb.teardown()
        run = wandb.init(**{**init_kwargs, "mode": "offline"})
    if no_credentials:
        _say_offline_once(run)
    values = {**vars(args), **dict(run.config)}
    return run, argparse.Namespace(**values)


def _wandb_or_none(args):
    """Returns the `wandb` module, or None (with a note) if no run is wanted."""
    if getattr(args, "no_wandb", False):
        return None
    if not files.is_chief():
        # One training, one run: the chief logs it for all workers.
        print("wandb: not the chief worker; the chief logs the run.")
        return None
    mode = os.environ.get("WANDB_MODE", "")
    if mode == "disabled" or _truthy(os.environ.get("WANDB_DISABLED")):
        # A disabled run accepts `log` calls and drops them, so the pictures
        # would vanish: no run at all sends them to PNG files instead.
        print("wandb: disabled by the environment; pictures go to PNG files.")
        return None
    try:
        import wandb
    except ImportError:
        print(
            "wandb is not installed (pip install 'keras-gen[wandb]'); "
            "pictures go to PNG files."
        )
        return None
    return wandb


def _truthy(value):
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def _say_offline_once(run):
    global _said_offline
    if not _said_offline:
        _said_offline = True
        run_dir = os.path.dirname(run.dir)
        print(
            "wandb: no W&B credentials (WANDB_API_KEY or `wandb login`) and no "
            f"WANDB_MODE, so this run is logged offline to {run_dir}. Upload "
            f"it later with `wandb sync {run_dir}`, or every offline run in "
            "the folder with `wandb sync --sync-all`.",
            file=sys.stderr,
        )


def save_model(model, path, run=None):
    """Saves `model` to `path` and, when a run is given, into its files.

    The copy goes to `run.dir` (uploaded with the run, now or at `wandb
    sync`), so that every run of a sweep keeps its own model even when they
    all write the same `path`. Both are written atomically: a kill during
    the save leaves the previous file.

    Args:
        model: A Keras model.
        path: Where to save it, e.g. `"out/autoencoder/autoencoder.keras"`.
        run: A W&B run, or None.

    Returns:
        The list of paths written.
    """
    files.save_model(model, path)  # A kill mid-save keeps the old file.
    paths = [path]
    if run is not None:
        copy = os.path.join(run.dir, os.path.basename(path))
        with files.atomic_path(copy) as temporary:
            shutil.copyfile(path, temporary)
        run.save(copy, base_path=run.dir, policy="now")
        paths.append(copy)
    return paths


def backup_dir(out, args):
    """Where an example backs up its training: a folder per set of arguments.

    `out/backup/<digest of args>`: the same command, started again after a
    kill, resumes from its backup; a run with other arguments (a sweep's
    next run) starts afresh instead of resuming another run's training.

    Args:
        out: The example's output folder.
        args: Its `argparse.Namespace` (after `start_run()`).

    Returns:
        The folder for `keras_gen.callbacks.BackupAndRestore`.
    """
    text = json.dumps(vars(args), sort_keys=True, default=str)
    return os.path.join(out, "backup", hashlib.sha256(text.encode()).hexdigest()[:12])


def print_saved(saved, pictures, run=None):
    """Prints where a script's model and pictures are.

    Args:
        saved: Paths `save_model()` returned.
        pictures: Folder of the PNG pictures.
        run: The W&B run, if one is active (it holds copies of both).
    """
    if not files.is_chief():
        print("Not the chief worker: the chief saved the model and the pictures.")
        return
    print(f"Model saved to {', '.join(map(str, saved))}")
    print(f"Pictures saved under {pictures}" + (" and in the W&B run" if run else ""))


def finish_run(run, summary=None):
    """Adds final values to the run's summary and finishes it.

    Args:
        run: A W&B run, or None (then nothing happens).
        summary: Optional dict of final values, e.g. `{"test_mse": 0.01}`.
    """
    if run is None:
        return
    for key, value in (summary or {}).items():
        run.summary[key] = value
    run.finish()


# Reading runs back -----------------------------------------------------------
#
# An offline run keeps its config, history and summary only in its `.wandb`
# transaction log (online runs write one too). wandb has no Python reader for
# it, so here is a small one: the file is a 7-byte header, then protobuf
# `Record` messages framed as in LevelDB's log format.

_FILE_HEADER = struct.Struct("<4sHB")  # b":W&B", magic, version
_CHUNK_HEADER = struct.Struct("<IHB")  # CRC-32, length, chunk type
_BLOCK_SIZE = 32768
_FULL, _FIRST, _MIDDLE, _LAST = 1, 2, 3, 4


class RunRecord:
    """What a `.wandb` file says about a run.

    Attributes:
        path: The `.wandb` file.
        dir: The run directory (the file's folder); media and saved files
            are under `dir/files`.
        run_id: The run's id.
        sweep_id: The sweep's id, or None.
        config: The run's config, a dict.
        history: The logged rows, a list of dicts in order (nested values,
            such as images, as dicts).
        summary: The final summary, a dict.
        files: The paths (relative to `dir/files`) of the saved files.
        exit_code: The process' exit code, or None if the run did not end
            cleanly.
    """

    def __init__(self, path):
        self.path = os.fspath(path)
        self.dir = os.path.dirname(os.path.abspath(self.path))
        self.run_id = None
        self.sweep_id = None
        self.config = {}
        self.history = []
        self.summary = {}
        self.files = []
        self.exit_code = None

    def metric(self, name):
        """All logged values of one metric, in order."""
        return [row[name] for row in self.history if name in row]

    def rows_with(self, name):
        """The history rows that hold `name`."""
        return [row for row in self.history if name in row]

    def __repr__(self):
        return (
            f"RunRecord(run_id={self.run_id!r}, rows={len(self.history)}, "
            f"exit_code={self.exit_code!r})"
        )


def read_run(path):
    """Reads a run back from its `.wandb` file.

    Call `wandb.teardown()` first when the run was made in this process:
    `run.finish()` can return before the file is complete.

    Args:
        path: The `.wandb` file, or a run directory holding one.

    Returns:
        A `RunRecord`.
    """
    from wandb.proto import wandb_internal_pb2

    path = _run_file(path)
    record = RunRecord(path)
    for payload in _read_chunks(path):
        message = wandb_internal_pb2.Record()
        message.ParseFromString(payload)
        _apply(record, message)
    return record


def _run_file(path):
    path = os.fspath(path)
    if os.path.isdir(path):
        found = sorted(glob.glob(os.path.join(path, "*.wandb")))
        if not found:
            raise ValueError(
                f"`path` must be a .wandb file or a run directory holding one. "
                f"Received: path={path!r} (no .wandb file in it)"
            )
        return found[0]
    if not os.path.isfile(path):
        raise ValueError(
            f"`path` must be an existing .wandb file or run directory. "
            f"Received: path={path!r}"
        )
    return path


def _read_chunks(path):
    """Yields the payload of every complete record in a `.wandb` file."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < _FILE_HEADER.size or data[:4] != b":W&B":
        raise ValueError(
            f"`path` must be a W&B transaction log (.wandb). Received: "
            f"path={path!r}, which starts with {data[:4]!r}"
        )
    position, pieces = _FILE_HEADER.size, []
    while position + _CHUNK_HEADER.size <= len(data):
        left_in_block = _BLOCK_SIZE - position % _BLOCK_SIZE
        if left_in_block < _CHUNK_HEADER.size:
            position += left_in_block  # Zero padding at the end of a block.
            continue
        _, length, kind = _CHUNK_HEADER.unpack_from(data, position)
        start = position + _CHUNK_HEADER.size
        if kind == 0 or start + length > len(data):
            break  # Preallocated zeros, or a record still being written.
        position = start + length
        if kind in (_FULL, _FIRST):
            pieces = []
        pieces.append(data[start:position])
        if kind in (_FULL, _LAST):
            yield b"".join(pieces)


def _apply(record, message):
    kind = message.WhichOneof("record_type")
    if kind == "run":
        record.run_id = message.run.run_id
        record.sweep_id = message.run.sweep_id or None
        _update(record.config, message.run.config.update)
    elif kind == "config":
        _update(record.config, message.config.update)
        _remove(record.config, message.config.remove)
    elif kind == "history":
        row = {}
        _update(row, message.history.item)
        record.history.append(row)
    elif kind == "summary":
        _update(record.summary, message.summary.update)
        _remove(record.summary, message.summary.remove)
    elif kind == "files":
        record.files.extend(f.path for f in message.files.files)
    elif kind == "exit":
        record.exit_code = message.exit.exit_code
    record.config.pop("_wandb", None)


def _update(target, items):
    for item in items:
        keys = list(item.nested_key) or [item.key]
        node = target
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        node[keys[-1]] = _value(item)


def _remove(target, items):
    for item in items:
        keys = list(item.nested_key) or [item.key]
        node = target
        for key in keys[:-1]:
            node = node.get(key, {})
        node.pop(keys[-1], None)


def _value(item):
    if item.value_json:
        return json.loads(item.value_json)
    # Newer wandb versions may store plain values in typed fields.
    for field, value in item.ListFields():
        if field.name == "json":
            return json.loads(value)
        if field.name not in ("key", "nested_key"):
            return None if field.name == "none" else value
    return None


def find_run_file(run_id, wandb_dir=None):
    """Finds the `.wandb` file of a run by its id.

    Args:
        run_id: The run's id (what `WANDB_RUN_ID` was set to).
        wandb_dir: The folder holding `wandb/` run directories. Defaults to
            `$WANDB_DIR`, else the working directory, as for `wandb.init`.

    Returns:
        The path of the newest matching file, or None.
    """
    wandb_dir = wandb_dir or os.environ.get("WANDB_DIR") or os.getcwd()
    pattern = os.path.join(wandb_dir, "wandb", f"*-{run_id}", f"run-{run_id}.wandb")
    found = glob.glob(pattern)
    # An online attempt that fell back to offline leaves two; take the last.
    return max(found, key=os.path.getmtime) if found else None
