"""Tests for `keras_gen.data`: loading, scaling, splitting, offline errors."""

import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import keras
import numpy as np
import pytest

from keras_gen import data

REPO_ROOT = Path(__file__).resolve().parents[1]
FASHION_FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)
# 30 examples of every class but class 3, which has 10.
SHORT_OF_CLASS_3 = np.repeat(
    np.arange(10), [30, 30, 30, 10, 30, 30, 30, 30, 30, 30]
)


@pytest.fixture(scope="module")
def raw_datasets():
    """The uint8 arrays straight from `keras.datasets`, keyed by name."""
    return {
        "mnist": keras.datasets.mnist.load_data(),
        "fashion_mnist": keras.datasets.fashion_mnist.load_data(),
    }


# Loading and scaling.


def test_mnist_flat_fixture(mnist_flat):
    (x_train, y_train), (x_test, y_test) = mnist_flat
    assert x_train.shape == (60000, 784) and x_test.shape == (10000, 784)
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    assert x_train.dtype == np.float32 and y_train.dtype == np.int32
    assert x_train.min() == 0.0 and x_train.max() == 1.0
    assert set(np.unique(y_train)) == set(range(10))
    with pytest.raises(ValueError, match="read-only"):
        x_train[0, 0] = 0.5


def test_mnist_images_fixture_is_flat_data_as_images(mnist_images, mnist_flat):
    (x_train, y_train), (x_test, _) = mnist_images
    assert x_train.shape == (60000, 28, 28, 1) and x_test.shape == (
        10000,
        28,
        28,
        1,
    )
    # Exact equality: `np.testing.assert_array_equal` is 40x slower here.
    assert np.array_equal(x_train.reshape(-1, 784), mnist_flat[0][0])
    assert np.array_equal(y_train, mnist_flat[0][1])


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist"])
@pytest.mark.parametrize("layout", ["flat", "image"])
@pytest.mark.parametrize("value_range", [(0.0, 1.0), [-1, 1]])
def test_load_dataset_shapes_dtypes_and_exact_pixel_mapping(
    raw_datasets, name, layout, value_range
):
    low, high = value_range
    example_shape = (784,) if layout == "flat" else (28, 28, 1)
    splits = data.load_dataset(name, layout=layout, value_range=value_range)
    for (x, y), (raw_x, raw_y), size in zip(
        splits, raw_datasets[name], (60000, 10000)
    ):
        assert x.shape == (size,) + example_shape
        assert x.dtype == np.float32
        assert y.shape == (size,) and y.dtype == np.int32
        np.testing.assert_array_equal(y, raw_y)
        assert set(np.unique(y)) == set(range(10))
        assert x.min() == low and x.max() == high
        # The mapping itself, checked on a slice to keep the test fast.
        x, pixels = x[:2000], raw_x[:2000].reshape((2000,) + example_shape)
        assert np.all(x[pixels == 0] == low) and np.all(
            x[pixels == 255] == high
        )
        expected = low + pixels * ((high - low) / 255.0)
        np.testing.assert_allclose(x, expected, rtol=0, atol=1e-6)


def test_load_mnist_and_load_fashion_mnist_wrap_load_dataset(mnist_flat):
    (x_train, y_train), _ = data.load_mnist()
    assert np.array_equal(x_train, mnist_flat[0][0])
    assert np.array_equal(y_train, mnist_flat[0][1])
    (x_fashion, _), _ = data.load_fashion_mnist(
        layout="image", value_range=(-1, 1)
    )
    (x_expected, _), _ = data.load_dataset(
        "fashion_mnist", "image", (-1.0, 1.0)
    )
    assert np.array_equal(x_fashion, x_expected)


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"name": "cifar10"}, "name"),
        ({"name": "fashion-mnist"}, "name"),
        ({"layout": "channels_first"}, "layout"),
        ({"value_range": (0, 255)}, "value_range"),
        ({"value_range": (1.0, 0.0)}, "value_range"),
        ({"value_range": (0.0, 1.0, 2.0)}, "value_range"),
        ({"value_range": "01"}, "value_range"),
        ({"value_range": None}, "value_range"),
    ],
)
def test_load_dataset_rejects_bad_arguments(kwargs, argument):
    with pytest.raises(
        ValueError, match=f"`{argument}`.*Received: {argument}="
    ):
        data.load_dataset(**kwargs)


# Labelled split.


def test_labelled_split_is_class_balanced_and_keeps_pairs(mnist_flat):
    x, y = mnist_flat[0]
    (x_labelled, y_labelled), (x_unlabelled, y_unlabelled) = (
        data.labelled_split(x, y, num_labels=100)
    )
    assert x_labelled.shape == (100, 784) and y_labelled.shape == (100,)
    assert x_unlabelled.shape == (59900, 784) and y_unlabelled.shape == (59900,)
    np.testing.assert_array_equal(
        np.bincount(y_labelled, minlength=10), [10] * 10
    )
    # Each labelled image must still carry its own label.
    rows = {x[i].tobytes(): y[i] for i in range(len(x))}
    assert [rows[image.tobytes()] for image in x_labelled] == list(y_labelled)


def test_labelled_split_is_disjoint_and_complete(mnist_flat):
    y = mnist_flat[0][1]
    indices = np.arange(len(y))
    (labelled, y_labelled), (unlabelled, y_unlabelled) = data.labelled_split(
        indices, y, num_labels=1000, seed=3
    )
    assert not set(labelled) & set(unlabelled)
    np.testing.assert_array_equal(
        np.sort(np.concatenate([labelled, unlabelled])), indices
    )
    np.testing.assert_array_equal(y[labelled], y_labelled)
    np.testing.assert_array_equal(y[unlabelled], y_unlabelled)
    np.testing.assert_array_equal(np.bincount(y_labelled), [100] * 10)


def test_labelled_split_is_deterministic_per_seed(mnist_flat):
    y = mnist_flat[0][1]
    indices = np.arange(len(y))
    first = data.labelled_split(indices, y, seed=7)
    again = data.labelled_split(indices, y, seed=7)
    other = data.labelled_split(indices, y, seed=8)
    for split, split_again in zip(first, again):
        for array, array_again in zip(split, split_again):
            np.testing.assert_array_equal(array, array_again)
    assert set(first[0][0]) != set(other[0][0])


def test_labelled_split_can_label_everything():
    y = np.repeat(np.arange(10), 2)
    (x_labelled, _), (x_unlabelled, y_unlabelled) = data.labelled_split(
        np.arange(20), y, num_labels=20
    )
    assert sorted(x_labelled) == list(range(20))
    assert x_unlabelled.shape == (0,) and y_unlabelled.shape == (0,)


@pytest.mark.parametrize(
    "x, y, kwargs, message",
    [
        (
            np.zeros(100),
            np.arange(100) % 10,
            {"num_labels": 25},
            "`num_labels`",
        ),
        (np.zeros(100), np.arange(100) % 10, {"num_labels": 0}, "`num_labels`"),
        (
            np.zeros(100),
            np.arange(100) % 10,
            {"num_classes": 0},
            "`num_classes`",
        ),
        (np.zeros(100), np.arange(100) % 10, {"seed": -1}, "`seed`"),
        (np.zeros(100), np.arange(100) % 10, {"seed": 1.5}, "`seed`"),
        (np.zeros(100), np.arange(99) % 10, {"num_labels": 10}, "`y`.*shape"),
        (
            np.zeros(100),
            np.zeros((100, 1), int),
            {"num_labels": 10},
            "`y`.*shape",
        ),
        (np.zeros(100), np.zeros(100), {"num_labels": 10}, "`y`.*dtype"),
        (
            np.zeros(100),
            np.arange(100) % 11,
            {"num_labels": 10},
            r"`y`.*\[0, 10\)",
        ),
        (
            np.zeros(280),
            SHORT_OF_CLASS_3,
            {"num_labels": 200},
            "class 3 has only 10",
        ),
    ],
)
def test_labelled_split_rejects_bad_arguments(x, y, kwargs, message):
    with pytest.raises(ValueError, match=message):
        data.labelled_split(x, y, **kwargs)


# Where Keras caches datasets.


def test_datasets_dir_is_where_keras_caches_mnist(mnist_flat):
    datasets_dir, _ = data._keras_datasets_dir()
    assert os.path.isfile(os.path.join(datasets_dir, "mnist.npz"))
    if "KERAS_HOME" in os.environ:
        expected = os.path.join(
            os.path.expanduser(os.environ["KERAS_HOME"]), "datasets"
        )
        assert datasets_dir == expected


def test_datasets_dir_falls_back_like_get_file(monkeypatch, tmp_path):
    # `get_file()` replaces a missing or read-only Keras home with a temp dir.
    missing = str(tmp_path / "no-such-keras-home")
    monkeypatch.setattr(data, "_keras_home", lambda: missing)
    datasets_dir, keras_home = data._keras_datasets_dir()
    assert keras_home == missing
    temp_root = "/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir()
    assert datasets_dir == os.path.join(temp_root, ".keras", "datasets")


# Offline failures. KERAS_HOME is read when keras is imported, so each run
# happens in a fresh interpreter with an empty Keras home and a fake download.

_OFFLINE_SCRIPT = textwrap.dedent("""
    import json, os, shutil, sys, urllib.error

    import keras.src.utils.file_utils as file_utils

    from keras_gen import data

    datasets_dir = os.path.join(os.environ["KERAS_HOME"], "datasets")
    calls = []

    def fail_midway(url, filename, reporthook=None):
        calls.append(os.path.basename(filename))
        with open(filename, "wb") as f:
            f.write(b"first bytes of a download")
        raise urllib.error.URLError("simulated: no network")

    def junk_download(url, filename, reporthook=None):
        calls.append(os.path.basename(filename))
        with open(filename, "wb") as f:
            f.write(b"<html>captive portal</html>")

    def first_file_then_fail(url, filename, reporthook=None):
        if calls:
            return fail_midway(url, filename, reporthook)
        junk_download(url, filename, reporthook)

    def write(path, content):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(content)

    def leftovers():
        found = []
        for root, dirs, files in os.walk(datasets_dir):
            for name in dirs + files:
                path = os.path.join(root, name)
                found.append(os.path.relpath(path, datasets_dir))
        return sorted(found)

    def run(name, download, cached=()):
        shutil.rmtree(datasets_dir, ignore_errors=True)
        for relative_path in cached:
            path = os.path.join(datasets_dir, relative_path)
            write(path, b"not a dataset file")
        calls.clear()
        file_utils.urlretrieve = download
        result = {"calls": list(calls)}
        try:
            data.load_dataset(name)
            result["error"] = None
        except BaseException as error:
            result.update(
                error=type(error).__name__,
                is_os_error=isinstance(error, OSError),
                cause=type(error.__cause__).__name__,
                cause_message=str(error.__cause__),
                message=str(error),
            )
        result.update(calls=list(calls), leftovers=leftovers())
        return result

    fashion = ["fashion-mnist/" + n for n in %(fashion_files)r]
    results = {
        "mnist_fails_midway": run("mnist", fail_midway),
        "mnist_junk_download": run("mnist", junk_download),
        "mnist_bad_cached_file": run("mnist", fail_midway, ["mnist.npz"]),
        "fashion_second_file_fails": run("fashion_mnist", first_file_then_fail),
        "fashion_corrupt_cache": run("fashion_mnist", fail_midway, fashion),
        "datasets_dir": datasets_dir,
    }
    with open(sys.argv[1], "w") as f:
        json.dump(results, f)
    """) % {"fashion_files": FASHION_FILES}


@pytest.fixture(scope="module")
def offline_results(tmp_path_factory):
    """Runs every offline scenario in one fresh interpreter; returns results."""
    keras_home = tmp_path_factory.mktemp("empty_keras_home")
    output = keras_home.parent / "offline_results.json"
    env = dict(
        os.environ,
        KERAS_HOME=str(keras_home),
        KERAS_BACKEND=os.environ.get("KERAS_BACKEND", "tensorflow"),
        TF_CPP_MIN_LOG_LEVEL="3",
        PYTHONPATH=os.pathsep.join(
            [str(REPO_ROOT)] + [p for p in [os.environ.get("PYTHONPATH")] if p]
        ),
    )
    completed = subprocess.run(
        [sys.executable, "-c", _OFFLINE_SCRIPT, str(output)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(output.read_text())


def test_offline_mnist_names_file_directory_and_hash(offline_results):
    result = offline_results["mnist_fails_midway"]
    assert (
        result["error"] == "DatasetUnavailableError" and result["is_os_error"]
    )
    assert "URL fetch failure" in result["cause_message"]  # Chained from Keras.
    message = result["message"]
    assert "mnist.npz" in message
    assert (
        f"in this directory:\n    {offline_results['datasets_dir']}\n"
        in message
    )
    assert data.MNIST_SHA256 in message
    assert result["calls"] == ["mnist.npz"]
    assert result["leftovers"] == []


def test_offline_mnist_removes_a_download_that_fails_the_hash(offline_results):
    # Keras raises on the hash mismatch but keeps the bad file; we remove it.
    result = offline_results["mnist_junk_download"]
    assert result["error"] == "DatasetUnavailableError"
    assert result["cause"] == "ValueError"
    assert result["leftovers"] == []


def test_offline_mnist_explains_a_deleted_bad_cached_file(offline_results):
    result = offline_results["mnist_bad_cached_file"]
    assert result["error"] == "DatasetUnavailableError"
    assert "found but failed that check" in result["message"]
    assert result["leftovers"] == []


def test_offline_fashion_mnist_lists_every_file_and_leaves_nothing(
    offline_results,
):
    # The first file downloads, the second fails halfway: no file may remain,
    # not even the complete first one, which Keras keeps.
    result = offline_results["fashion_second_file_fails"]
    assert (
        result["error"] == "DatasetUnavailableError" and result["is_os_error"]
    )
    assert result["calls"] == [
        "train-labels-idx1-ubyte.gz",
        "train-images-idx3-ubyte.gz",
    ]
    fashion_dir = os.path.join(offline_results["datasets_dir"], "fashion-mnist")
    assert f"in this directory:\n    {fashion_dir}\n" in result["message"]
    for file_name in FASHION_FILES:
        assert file_name in result["message"]
    assert result["leftovers"] == []


def test_damaged_cached_files_are_moved_aside_with_a_clear_error(offline_results):
    # Every file is cached, so nothing downloads: the damaged files are
    # renamed (never deleted) and the error names each, so the next call
    # downloads them afresh instead of failing the same way.
    result = offline_results["fashion_corrupt_cache"]
    assert result["error"] == "DatasetUnavailableError"
    assert result["calls"] == []
    assert "cached files are damaged" in result["message"]
    for name in FASHION_FILES:
        assert f"fashion-mnist/{name} -> " in result["message"]
    assert result["leftovers"] == ["fashion-mnist"] + [
        "fashion-mnist/" + name + ".damaged" for name in sorted(FASHION_FILES)
    ]