"""Test setup: an offline Keras cache and shared, load-once datasets.

Keras reads `KERAS_HOME` when it is first imported, so the environment is set
up here, before anything imports keras. When `KERAS_HOME` is not set and the
offline copies in `<repo>/../shared/data` exist, a temporary Keras home is
filled with links to them, so that no test downloads anything and the user's
own `~/.keras` is left alone.
"""

import atexit
import os
import shutil
import sys
import tempfile
import warnings
from pathlib import Path

import pytest

SHARED_DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data"


def _link_or_copy(source, target):
    """Symlinks `source` to `target`, copying where links are unsupported."""
    try:
        os.symlink(source, target)
    except OSError:
        shutil.copyfile(source, target)


def _make_offline_keras_home(data_dir):
    """Creates a temporary Keras home whose cache holds the files in `data_dir`.

    Returns:
        The path of the new Keras home. It is removed when Python exits.
    """
    keras_home = tempfile.mkdtemp(prefix="keras_gen_tests_keras_home_")
    atexit.register(shutil.rmtree, keras_home, ignore_errors=True)
    datasets_dir = Path(keras_home) / "datasets"
    (datasets_dir / "fashion-mnist").mkdir(parents=True)
    if (data_dir / "mnist.npz").is_file():
        _link_or_copy(data_dir / "mnist.npz", datasets_dir / "mnist.npz")
    for source in sorted((data_dir / "fashion-mnist").glob("*.gz")):
        _link_or_copy(source, datasets_dir / "fashion-mnist" / source.name)
    return keras_home


if "KERAS_HOME" not in os.environ and SHARED_DATA_DIR.is_dir():
    if "keras" in sys.modules:
        warnings.warn(
            "keras was imported before tests/conftest.py, so it ignores the "
            "offline Keras home set up here and may try to download datasets.",
            stacklevel=1,
        )
    os.environ["KERAS_HOME"] = _make_offline_keras_home(SHARED_DATA_DIR)
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("MPLBACKEND", "Agg")


def _read_only(arrays):
    """Makes every array in a nested tuple read-only and returns the tuple."""
    for split in arrays:
        for array in split:
            array.flags.writeable = False
    return arrays


@pytest.fixture(scope="session")
def mnist_flat():
    """MNIST as float32 in [0, 1], shape (N, 784), loaded once per session.

    Returns:
        `(x_train, y_train), (x_test, y_test)`. The arrays are shared by every
        test and therefore read-only: copy before changing them.
    """
    from keras_gen import data  # Imports keras, so only once the env is set.

    return _read_only(data.load_mnist(layout="flat", value_range=(0.0, 1.0)))


@pytest.fixture(scope="session")
def mnist_images(mnist_flat):
    """MNIST as float32 in [0, 1], shape (N, 28, 28, 1), once per session.

    A read-only view of `mnist_flat`'s arrays, so it costs no extra memory.

    Returns:
        `(x_train, y_train), (x_test, y_test)`.
    """
    (x_train, y_train), (x_test, y_test) = mnist_flat
    return (
        (x_train.reshape(-1, 28, 28, 1), y_train),
        (x_test.reshape(-1, 28, 28, 1), y_test),
    )


# Variables that would change where or how a W&B run is logged.
_WANDB_VARIABLES = (
    "WANDB_API_KEY", "WANDB_IDENTITY_TOKEN_FILE", "WANDB_BASE_URL",
    "WANDB_MODE", "WANDB_DISABLED", "WANDB_PROJECT", "WANDB_ENTITY",
    "WANDB_RUN_ID", "WANDB_SWEEP_ID", "WANDB_SWEEP_PARAM_PATH", "WANDB_RESUME",
)


@pytest.fixture
def wandb_env(tmp_path, monkeypatch):
    """An isolated, credential-free W&B environment in `tmp_path`."""
    wandb = pytest.importorskip("wandb")
    from keras_gen import tracking

    for name in _WANDB_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name in ("DIR", "DATA_DIR", "CACHE_DIR", "CONFIG_DIR"):
        folder = tmp_path / f"wandb_{name.lower()}"
        folder.mkdir()
        monkeypatch.setenv(f"WANDB_{name}", str(folder))
    monkeypatch.setenv("NETRC", str(tmp_path / "no_netrc"))
    monkeypatch.setenv("WANDB_SILENT", "true")
    # One "running offline" message per process: let each test see its own.
    monkeypatch.setattr(tracking, "_said_offline", False)
    wandb.teardown()  # wandb caches its settings per process.
    yield tmp_path
    wandb.teardown()
