"""A folder of your own images: `load_image_folder`, `load_dataset(path)` and `--dataset PATH`.

Folders of generated PNG files: shapes, labels, value range, colour modes,
each error (with the path in its message), and the PyTorch example's DCGAN
trained on RGB images by `examples/dcgan.py`.
"""

import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from keras_gen import console
from keras_gen.data import load_dataset, load_image_folder

ROOT = Path(__file__).resolve().parents[1]


def write_images(folder, count, size=(10, 12), channels=3, seed=0):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (count, *size, channels)).astype("uint8")
    for i, image in enumerate(images):
        keras.utils.save_img(folder / f"{i:03d}.png", image, scale=False)
    return images


def test_subfolders_are_the_classes_in_sorted_order(tmp_path):
    dogs = write_images(tmp_path / "dogs", 2, seed=1)
    cats = write_images(tmp_path / "cats", 3, seed=2)
    write_images(tmp_path, 1, seed=3)  # Beside the class folders: left out.
    (tmp_path / "cats" / "notes.txt").write_text("not an image")
    x, y = load_image_folder(tmp_path)
    assert x.dtype == np.float32 and x.shape == (5, 10, 12, 3)
    np.testing.assert_array_equal(y, [0, 0, 0, 1, 1])  # cats, then dogs
    np.testing.assert_allclose(x[:3], cats / 255.0, atol=1e-6)
    np.testing.assert_allclose(x[3:], dogs / 255.0, atol=1e-6)
    signed, _ = load_image_folder(tmp_path, value_range=(-1, 1))
    np.testing.assert_allclose(signed, x * 2 - 1, atol=1e-6)


def test_images_alone_are_one_class_and_keep_their_channels(tmp_path):
    grey = write_images(tmp_path, 4, size=(6, 6), channels=1)
    x, y = load_image_folder(tmp_path)
    assert x.shape == (4, 6, 6, 1)
    np.testing.assert_array_equal(y, np.zeros(4))
    np.testing.assert_allclose(x, grey / 255.0, atol=1e-6)
    x, _ = load_image_folder(tmp_path, image_size=(3, 5), color_mode="rgb")
    assert x.shape == (4, 3, 5, 3) and 0 <= x.min() and x.max() <= 1


def test_load_dataset_reads_a_folder_as_28x28_grey_with_a_test_split(tmp_path):
    write_images(tmp_path / "a", 12, size=(40, 30))
    write_images(tmp_path / "b", 8, size=(40, 30), seed=4)
    (x_train, y_train), (x_test, y_test) = load_dataset(str(tmp_path), layout="flat")
    assert x_train.shape == (18, 784) and x_test.shape == (2, 784)
    assert sorted(np.concatenate([y_train, y_test]).tolist()) == [0] * 12 + [1] * 8
    (images, _), _ = load_dataset(tmp_path, layout="image", value_range=(-1, 1))
    assert images.shape == (18, 28, 28, 1) and images.min() >= -1 and images.max() <= 1
    again, _ = load_dataset(tmp_path, layout="image", value_range=(-1, 1))
    np.testing.assert_array_equal(again[0], images)  # The split is seeded.


@pytest.mark.parametrize(
    "make, pattern",
    [
        (lambda p: p / "missing", r"`path` must be a folder.*which does not exist"),
        (lambda p: (p / "file.png").write_bytes(b"x") and p / "file.png",
         r"`path` must be a folder.*which is not a folder"),
        (lambda p: (p / "empty").mkdir() or p / "empty", r"No images in it.*\.png.*empty"),
        (lambda p: (p / "c" / "d").mkdir(parents=True) or p / "c", r"No images in its 1 subfolders"),
    ],
)
def test_a_missing_or_empty_folder_is_named(tmp_path, make, pattern):
    path = make(tmp_path)
    with pytest.raises(ValueError, match=pattern):
        load_image_folder(path)
    assert str(path) in str(pytest.raises(ValueError, load_image_folder, path).value)


def test_an_unreadable_file_mixed_colours_or_sizes_are_refused(tmp_path):
    write_images(tmp_path / "a", 2)
    (tmp_path / "a" / "broken.png").write_bytes(b"not a png")
    with pytest.raises(ValueError, match=r"broken\.png cannot be read as an image"):
        load_image_folder(tmp_path)
    (tmp_path / "a" / "broken.png").unlink()
    write_images(tmp_path / "b", 1, channels=1)
    with pytest.raises(ValueError, match=r"mixes grey and colour.*color_mode=\"grayscale\""):
        load_image_folder(tmp_path)
    assert load_image_folder(tmp_path, color_mode="grayscale")[0].shape == (3, 10, 12, 1)
    write_images(tmp_path / "c", 1, size=(5, 5), channels=3)
    with pytest.raises(ValueError, match=r"different sizes.*image_size=\(height, width\)"):
        load_image_folder(tmp_path, color_mode="rgb")
    assert load_image_folder(tmp_path, image_size=(8, 8), color_mode="rgb")[0].shape == (4, 8, 8, 3)
    with pytest.raises(ValueError, match=r"`color_mode`.*Received"):
        load_image_folder(tmp_path, color_mode="cmyk")
    with pytest.raises(ValueError, match=r"`name` must be \"mnist\", \"fashion_mnist\" or a folder"):
        load_dataset(str(tmp_path / "nowhere"))


def test_the_examples_take_a_folder_for_dataset(tmp_path):
    parser = console.training_parser("test", epochs=1, batch_size=8, out="out")
    assert parser.parse_args(["--dataset", str(tmp_path)]).dataset == str(tmp_path)
    assert parser.parse_args(["--dataset", "fashion_mnist"]).dataset == "fashion_mnist"
    with pytest.raises(SystemExit):
        parser.parse_args(["--dataset", str(tmp_path / "nowhere")])


def test_dcgan_example_trains_the_pytorch_pair_on_a_folder_of_rgb_images(tmp_path):
    write_images(tmp_path / "images", 16, size=(40, 40), channels=3)
    env = {**os.environ, "WANDB_MODE": "disabled"}
    job = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "dcgan.py"), "--dataset", str(tmp_path / "images"),
         "--architecture", "pytorch", "--image_size", "32", "--epochs", "1", "--batch_size", "8",
         "--no-wandb", "--out", str(tmp_path / "out")],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600,
    )
    assert job.returncode == 0, job.stderr[-3000:]
    model = keras.saving.load_model(tmp_path / "out" / "dcgan.keras")
    assert tuple(model.input_shape) == (32, 32, 3)
    assert model.generate(2, seed=0).shape == (2, 32, 32, 3)
