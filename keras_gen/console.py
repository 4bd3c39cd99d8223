"""What the example scripts share: their common flags, and a quiet start-up.

`training_parser()` makes an `argparse` parser with the flags every example
takes (`--dataset`, `--epochs`, `--batch_size`, `--train_samples`, `--seed`,
`--out`, `--distribute` and the W&B flags), each with help text and its
default shown; `add_gan_arguments()` adds the GAN examples' shared flags;
`distribution()` turns `--distribute` into the scope the model is made in.

TensorFlow writes a dozen lines to stderr when it loads (oneDNN, CPU
instructions, "Could not find cuda drivers", a `cuInit` failure on machines
without a GPU, absl's "All log messages before absl::InitializeLog()"
notice), most of them before its log level is read, so
`TF_CPP_MIN_LOG_LEVEL` alone cannot hide them. `import_keras()` loads Keras
and its backend with stderr captured at the file-descriptor level, then
writes back everything except those C++ log lines: Python warnings and
errors raised while loading still show.

This module imports nothing heavy, so scripts can parse their flags (and
answer `--help`) before calling it.
"""

import argparse
import contextlib
import os
import re
import sys
import tempfile

from keras_gen import tracking

# A C++ log line of absl/TensorFlow: severity letter, date or zeros, time,
# thread id, `file:line]`.
_CPP_LOG_LINE = re.compile(rb"^[IWE]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ [\w.\-/]+:\d+\]")
_NOTICES = (
    b"WARNING: All log messages before absl::InitializeLog() is called",
    b"To enable the following instructions:",  # The CPU-feature line's tail.
)


DATASETS = ("mnist", "fashion_mnist")
DISTRIBUTIONS = ("none", "mirrored", "multi_worker", "data_parallel")


def dataset_argument(value):
    """`--dataset`: one of `DATASETS`, or the path of an existing folder of images."""
    if value in DATASETS or os.path.isdir(value):
        return value
    raise argparse.ArgumentTypeError(
        f"must be {' or '.join(DATASETS)}, or a folder of images: {value!r} is neither "
        "(no such folder)")


def training_parser(description, epochs, batch_size, out, out_help=None):
    """An `argparse` parser holding the flags every example script takes.

    Flag names are the W&B config keys and the sweep parameter names. Every
    flag's help shows its default (`ArgumentDefaultsHelpFormatter`), so add
    yours with a `help=` too.

    Args:
        description: What the script trains, for `--help`.
        epochs: Default of `--epochs`.
        batch_size: Default of `--batch_size`.
        out: Default of `--out`, the folder of the model, pictures and backup.
        out_help: Help of `--out`, if the default needs explaining.

    Returns:
        An `argparse.ArgumentParser` with `--dataset`, `--epochs`,
        `--batch_size`, `--train_samples`, `--seed`, `--out`, `--no-wandb`
        and `--log_every_n_batches`.
    """
    parser = argparse.ArgumentParser(
        description=description,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--dataset", default="mnist", type=dataset_argument,
                        help="Training (and test) images: mnist, fashion_mnist, or "
                             "the path of a folder of your own (one subfolder per "
                             "class, or images alone), read as 28x28 grey images.")
    parser.add_argument("--epochs", type=int, default=epochs,
                        help="Passes over the training images.")
    parser.add_argument("--batch_size", type=int, default=batch_size,
                        help="Images per training step.")
    parser.add_argument("--train_samples", type=int, default=None,
                        help="Train on the first N images only (quick runs); "
                             "None: all 60,000.")
    parser.add_argument("--seed", type=int, default=0,
                        help="Seed of the weights, the noise and the shuffling.")
    parser.add_argument("--out", default=out,
                        help=out_help or "Folder of the model, its pictures "
                                         "and its backup.")
    parser.add_argument("--distribute", default="none", choices=DISTRIBUTIONS,
                        help="Data-parallel training: mirrored (this "
                             "machine's devices, TensorFlow's "
                             "MirroredStrategy), multi_worker (one process "
                             "per worker, each with TF_CONFIG; "
                             "MultiWorkerMirroredStrategy) or data_parallel "
                             "(JAX, keras.distribution.DataParallel).")
    tracking.add_arguments(parser)  # --no-wandb, --log_every_n_batches
    return parser


def add_gan_arguments(parser, d_learning_rate=2e-4, g_learning_rate=2e-4,
                      rate_help="Adam learning rate (beta_1 0.5)"):
    """Adds the flags the GAN examples share to `parser`.

    `--latent_dim`, `--gen_interval` and each player's learning rate
    (`--d_learning_rate`, `--g_learning_rate`; Adam with beta_1 0.5, as
    Keras-GAN, unless `rate_help` says otherwise).

    Args:
        parser: A parser from `training_parser()`.
        d_learning_rate: Default of `--d_learning_rate`.
        g_learning_rate: Default of `--g_learning_rate`.
        rate_help: What the rates are, for `--help`.

    Returns:
        `parser`.
    """
    parser.add_argument("--latent_dim", type=int, default=100,
                        help="Size of the generator's noise vector.")
    parser.add_argument("--gen_interval", type=int, default=1,
                        help="Draw generated images every N epochs.")
    parser.add_argument("--d_learning_rate", type=float, default=d_learning_rate,
                        help=f"Discriminator's {rate_help}.")
    parser.add_argument("--g_learning_rate", type=float, default=g_learning_rate,
                        help=f"Generator's {rate_help}.")
    return parser


def distribution(name):
    """The scope to build and compile a model in, for `--distribute name`.

    `"mirrored"` makes a `tf.distribute.MirroredStrategy` over the local
    GPUs (or the CPU) and returns its scope; `"multi_worker"` makes a
    `tf.distribute.MultiWorkerMirroredStrategy` over the workers `TF_CONFIG`
    names (every worker runs the same command) and returns its scope;
    `"data_parallel"` sets `keras.distribution.DataParallel()` over the local
    devices (JAX) and returns an empty scope; `"none"` changes nothing. Call
    it before the backend computes anything (seeding and loading data are
    fine): TensorFlow sets up a multi-worker strategy's collectives then.

    Args:
        name: One of `DISTRIBUTIONS`.

    Returns:
        A context manager.
    """
    if name == "none":
        return contextlib.nullcontext()
    import keras

    backend = keras.backend.backend()
    needs = {"mirrored": "tensorflow", "multi_worker": "tensorflow",
             "data_parallel": "jax"}.get(name)
    if needs is None or backend != needs:
        raise ValueError(
            f"--distribute must be one of {', '.join(DISTRIBUTIONS)}, with "
            "mirrored and multi_worker on the TensorFlow backend and "
            "data_parallel on JAX (set KERAS_BACKEND). Received: "
            f"--distribute {name} on {backend}"
        )
    if name == "data_parallel":
        devices = keras.distribution.list_devices()
        keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
        print(f"Training on {len(devices)} devices (keras.distribution.DataParallel)")
        return contextlib.nullcontext()
    import tensorflow as tf

    if name == "mirrored":
        strategy = tf.distribute.MirroredStrategy()
    else:
        if not os.environ.get("TF_CONFIG"):
            raise ValueError(
                "--distribute multi_worker needs TF_CONFIG in each worker's "
                "environment, naming the cluster and this worker, e.g. "
                '{"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
                '"task": {"type": "worker", "index": 0}} (see README, '
                '"Scaling out"). Received: TF_CONFIG unset'
            )
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
    print(f"Training on {strategy.num_replicas_in_sync} replicas "
          f"({type(strategy).__name__})")
    return strategy.scope()


def import_keras():
    """Imports Keras and its backend, without the backend's start-up banners.

    Also sets `TF_CPP_MIN_LOG_LEVEL=3` unless it is set: TensorFlow's later
    C++ log lines off, errors included, since during training they are its
    graph optimizer's notes ("remapper failed", "oneDNN supports DT_INT32
    only on ...") while a real error reaches Python as an exception. Set the
    variable yourself (e.g. to 0) to see them. On the TensorFlow backend the
    devices are listed inside the quiet window, which is when TensorFlow
    probes for CUDA.

    Returns:
        The `keras` module.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with _stderr_filtered():
        import keras

        if keras.backend.backend() == "tensorflow":
            import tensorflow as tf

            tf.config.list_physical_devices()
    return keras


@contextlib.contextmanager
def _stderr_filtered():
    """Captures file descriptor 2; writes back all but the C++ log lines."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            kept = [
                line for line in captured.read().splitlines(keepends=True)
                if not (_CPP_LOG_LINE.match(line) or line.startswith(_NOTICES))
            ]
            if kept:
                sys.stderr.flush()
                os.write(2, b"".join(kept))
