"""Tests of the picture callbacks in `keras_gen.callbacks`."""

import os

os.environ.setdefault("MPLBACKEND", "Agg")

import glob
import math
import statistics
import sys

import keras
import numpy as np
import pytest
from keras import layers
from matplotlib.figure import Figure
from PIL import Image

from keras_gen.callbacks import base, latent_space
from keras_gen.callbacks import (
    ImageSink,
    LatentManifold,
    LatentSpacePlot,
    LossCurves,
    PictureCallback,
    ReconstructionLogger,
    SampleGrid,
    as_images,
    figure_to_array,
    present as callbacks_present,
    project,
    tile_images,
    to_uint8,
)

NUM_EXAMPLES = 256


@pytest.fixture(autouse=True)
def pictures_as_drawn(request, monkeypatch):
    """Most tests here check what is drawn: the PNG files hold it unchanged.

    Tests marked `presented` see the pictures as logged (enlarged, titled).
    """
    if "presented" not in request.keywords:
        monkeypatch.setattr(base, "present", lambda image, title, min_width: image)


class TinyAutoencoder(keras.Model):
    """A minimal model implementing the keras_gen NumPy protocol."""

    def __init__(self, data_shape=(784,), latent_dim=2, **kwargs):
        super().__init__(**kwargs)
        self.data_shape = tuple(data_shape)
        self.latent_dim = latent_dim
        self.encoder = keras.Sequential(
            [keras.Input(self.data_shape), layers.Flatten(), layers.Dense(latent_dim)]
        )
        self.decoder = keras.Sequential(
            [
                keras.Input((latent_dim,)),
                layers.Dense(math.prod(self.data_shape), activation="sigmoid"),
                layers.Reshape(self.data_shape),
            ]
        )
        self.sample_prior_calls = 0

    def call(self, x):
        return self.decoder(self.encoder(x))

    def encode(self, x, batch_size=None):
        return keras.ops.convert_to_numpy(self.encoder(np.asarray(x, "float32")))

    def decode(self, z, batch_size=None):
        return keras.ops.convert_to_numpy(self.decoder(np.asarray(z, "float32")))

    def reconstruct(self, x, batch_size=None):
        return self.decode(self.encode(x))

    def sample_prior(self, num_samples, seed=None):
        self.sample_prior_calls += 1
        rng = np.random.default_rng(seed)
        return rng.standard_normal((num_samples, self.latent_dim)).astype("float32")


class RecordingSink:
    """A sink that keeps the pictures in memory."""

    def __init__(self):
        self.pictures = []

    def log(self, key, image, epoch=None):
        self.pictures.append((key, image, epoch))


def make_data(shape=(784,), num_examples=NUM_EXAMPLES, seed=0):
    return np.random.default_rng(seed).random((num_examples,) + shape, "float32")


def make_model(data_shape=(784,), latent_dim=2):
    model = TinyAutoencoder(data_shape, latent_dim)
    model.compile(optimizer="adam", loss="mse")
    return model


def fit(model, x, callbacks, epochs, **kwargs):
    return model.fit(
        x, x, epochs=epochs, batch_size=64, verbose=0, callbacks=callbacks, **kwargs
    )


def read_png(path):
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def epoch_files(directory, key):
    return sorted(os.path.basename(p) for p in glob.glob(f"{directory}/{key}/*.png"))


def padded_size(count, size, padding):
    return count * size + (count - 1) * padding


# Image helpers.


def test_to_uint8_maps_unit_range_exactly():
    values = np.array([0.0, 1.0, 0.5, -0.3, 1.7, 0.25, np.nan], "float32")
    np.testing.assert_array_equal(
        to_uint8(values), np.array([0, 255, 128, 0, 255, 64, 0], np.uint8)
    )
    assert to_uint8(values).dtype == np.uint8


def test_to_uint8_maps_symmetric_range():
    values = np.array([-1.0, 1.0, 0.0, -2.0, 3.0])
    np.testing.assert_array_equal(
        to_uint8(values, value_range=(-1, 1)), np.array([0, 255, 128, 0, 255])
    )


def test_to_uint8_keeps_uint8_and_validates_range():
    pixels = np.array([3, 200], np.uint8)
    assert to_uint8(pixels) is pixels
    for bad in [(1, 0), (0,), "01", (0, np.inf), None]:
        with pytest.raises(ValueError, match="value_range"):
            to_uint8(np.zeros(3), value_range=bad)


def test_as_images_shapes():
    assert as_images(np.zeros((4, 784))).shape == (4, 28, 28, 1)
    assert as_images(np.zeros((4, 28, 28))).shape == (4, 28, 28, 1)
    assert as_images(np.zeros((4, 8, 8, 3))).shape == (4, 8, 8, 3)
    assert as_images(np.zeros((4, 3072)), (32, 32, 3)).shape == (4, 32, 32, 3)
    with pytest.raises(ValueError, match="image_shape"):
        as_images(np.zeros((4, 3072)))
    with pytest.raises(ValueError, match="image_shape"):
        as_images(np.zeros((4, 784)), (32, 32))
    with pytest.raises(ValueError, match="x.shape"):
        as_images(np.zeros(784))


def test_tile_images_size_and_layout():
    images = np.arange(7, dtype=np.uint8)[:, None, None, None] * np.ones(
        (1, 4, 3, 1), np.uint8
    )
    grid = tile_images(images, rows=2, columns=4, padding=1, pad_value=250)
    assert grid.shape == (2 * 4 + 1, 4 * 3 + 3, 1)
    assert grid.dtype == np.uint8
    assert (grid[5:9, 8:11] == 6).all()  # Seventh tile: row 1, column 2.
    assert (grid[5:9, 12:15] == 250).all()  # Empty eighth cell.
    assert (grid[4] == 250).all()  # Padding row.
    assert tile_images(images, 1, 7, padding=0).shape == (4, 21, 1)
    with pytest.raises(ValueError, match="do not fit"):
        tile_images(images, 2, 3)
    with pytest.raises(ValueError, match="uint8"):
        tile_images(images.astype("float32"), 2, 4)
    with pytest.raises(ValueError, match="padding"):
        tile_images(images, 2, 4, padding=-1)


def test_figure_to_array_gives_exact_pixel_size():
    figure = Figure(figsize=(2, 1), dpi=50)
    figure.add_subplot().plot([0, 1], [1, 0])
    array = figure_to_array(figure)
    assert array.shape == (50, 100, 3)
    assert array.dtype == np.uint8
    assert array.std() > 0


# The sink.


def test_sink_writes_exact_png_files(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "wandb", None)  # As if not installed.
    sink = ImageSink(tmp_path)
    gray = np.arange(12 * 16, dtype=np.uint8).reshape(12, 16, 1)
    path = sink.log("nested/gray", gray, epoch=3)
    assert path == os.path.join(tmp_path, "nested", "gray", "epoch_0003.png")
    written = read_png(path)
    np.testing.assert_array_equal(written, np.repeat(gray, 3, axis=-1))
    rgb = np.random.default_rng(0).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    path = sink.log("rgb", rgb)
    assert path == os.path.join(tmp_path, "rgb.png")
    np.testing.assert_array_equal(read_png(path), rgb)
    with pytest.raises(ValueError, match="uint8"):
        sink.log("bad", gray.astype("float32"))
    with pytest.raises(ValueError, match="key"):
        sink.log("../outside", gray)


def test_sink_default_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = ImageSink().log("picture", np.full((2, 2), 9, np.uint8), epoch=1)
    assert os.path.isfile(tmp_path / "pictures" / "picture" / "epoch_0001.png")
    assert path == os.path.join("pictures", "picture", "epoch_0001.png")


def test_sink_writes_pngs_and_logs_to_active_offline_wandb_run(tmp_path, monkeypatch):
    wandb = pytest.importorskip("wandb")
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    for name in ["WANDB_DIR", "WANDB_DATA_DIR", "WANDB_CACHE_DIR", "WANDB_CONFIG_DIR"]:
        folder = tmp_path / name.lower()
        folder.mkdir()
        monkeypatch.setenv(name, str(folder))
    wandb.teardown()
    sink = ImageSink(tmp_path / "pngs")
    image = to_uint8(np.linspace(0, 1, 20 * 30).reshape(20, 30, 1))
    x = make_data()
    try:
        run = wandb.init(project="keras-gen-tests")
        media = os.path.join(run.dir, "media", "images")
        direct_png = sink.log("direct", image, epoch=1)
        fit(make_model(), x, [ReconstructionLogger(x, sink=sink)], epochs=2)
        run.finish()
    finally:
        wandb.teardown()
    (direct,) = glob.glob(os.path.join(media, "direct_*.png"))
    logged = read_png(direct)
    assert logged.max() == 255 and logged.std() > 0  # Not cast to black.
    np.testing.assert_array_equal(logged[..., 0], image[..., 0])
    reconstructions = glob.glob(os.path.join(media, "reconstructions_*.png"))
    assert len(reconstructions) == 2
    assert read_png(reconstructions[0]).shape[:2] == (58, 298)
    # The PNG files are written as well, the same pictures.
    np.testing.assert_array_equal(read_png(direct_png)[..., 0], image[..., 0])
    assert len(glob.glob(str(tmp_path / "pngs" / "reconstructions" / "*.png"))) == 2
    # With the run finished, pictures still go to files.
    assert os.path.isfile(sink.log("after", image))


# The base class.


def test_picture_callback_fires_on_the_right_epochs():
    class Counter(PictureCallback):
        def make_picture(self):
            return np.zeros((2, 2), np.uint8)

    x = make_data(num_examples=64)
    model = make_model()
    cases = [(5, 2, [2, 4, 5]), (4, 2, [2, 4]), (3, 1, [1, 2, 3])]
    for epochs, every, expected in cases:
        sink = RecordingSink()
        fit(model, x, [Counter("count", every_n_epochs=every, sink=sink)], epochs)
        assert [epoch for _, _, epoch in sink.pictures] == expected


@pytest.mark.parametrize("every", [0, -1, 1.5, True, "2"])
def test_every_n_epochs_is_validated(every):
    with pytest.raises(ValueError, match="every_n_epochs"):
        LossCurves(every_n_epochs=every)


def test_sink_and_directory_are_exclusive(tmp_path):
    with pytest.raises(ValueError, match="either `sink` or `directory`"):
        LossCurves(directory=tmp_path, sink=ImageSink(tmp_path))
    with pytest.raises(ValueError, match="sink"):
        LossCurves(sink="pictures")


# ReconstructionLogger.


def test_reconstruction_logger_writes_expected_pngs(tmp_path):
    x = make_data()
    callback = ReconstructionLogger(x, num_images=10, directory=tmp_path)
    fit(make_model(), x, [callback], epochs=3)
    files = epoch_files(tmp_path, "reconstructions")
    assert files == ["epoch_0001.png", "epoch_0002.png", "epoch_0003.png"]
    picture = read_png(tmp_path / "reconstructions" / files[-1])
    assert picture.shape == (padded_size(2, 28, 2), padded_size(10, 28, 2), 3)
    assert picture.std() > 0
    # The top row holds the first ten inputs.
    for column in range(10):
        tile = picture[:28, column * 30 : column * 30 + 28, 0]
        np.testing.assert_array_equal(tile, to_uint8(x[column].reshape(28, 28)))


def test_reconstruction_logger_every_n_epochs_and_image_inputs(tmp_path):
    x = make_data((28, 28, 1), num_examples=128)
    callback = ReconstructionLogger(
        x, num_images=4, every_n_epochs=2, padding=0, directory=tmp_path, key="rec"
    )
    fit(make_model((28, 28, 1)), x, [callback], epochs=3)
    assert epoch_files(tmp_path, "rec") == ["epoch_0002.png", "epoch_0003.png"]
    assert read_png(tmp_path / "rec" / "epoch_0003.png").shape == (56, 112, 3)
    assert callback.picture().shape == (56, 112, 1)


def test_reconstruction_logger_validates_inputs():
    x = make_data(num_examples=5)
    with pytest.raises(ValueError, match="at least 10 examples"):
        ReconstructionLogger(x)
    with pytest.raises(ValueError, match="num_images"):
        ReconstructionLogger(x, num_images=0)
    with pytest.raises(ValueError, match="`x` must be an array"):
        ReconstructionLogger([[0.0] * 784] * 10)
    with pytest.raises(ValueError, match="image_shape"):
        ReconstructionLogger(make_data((3072,), 5), num_images=5)
    with pytest.raises(ValueError, match="value_range"):
        ReconstructionLogger(x, num_images=5, value_range=(1, 1))
    with pytest.raises(ValueError, match="no model yet"):
        ReconstructionLogger(x, num_images=5).picture()
    with pytest.raises(ValueError, match="reconstruct"):
        ReconstructionLogger(x, num_images=5).set_model(keras.Sequential())


# SampleGrid.


def test_sample_grid_reuses_fixed_latent_samples(tmp_path):
    x = make_data()
    model = make_model()
    seen = []
    decode = model.decode

    def recording_decode(z, batch_size=None):
        seen.append(np.array(z))
        return decode(z, batch_size)

    model.decode = recording_decode
    callback = SampleGrid(num_samples=12, columns=5, seed=3, directory=tmp_path)
    fit(model, x, [callback], epochs=3)
    assert model.sample_prior_calls == 1
    assert len(seen) == 3
    for z in seen:
        np.testing.assert_array_equal(z, seen[0])
    np.testing.assert_array_equal(seen[0], model.sample_prior(12, seed=3))
    files = epoch_files(tmp_path, "generated_images")
    assert len(files) == 3
    picture = read_png(tmp_path / "generated_images" / files[0])
    assert picture.shape == (padded_size(3, 28, 2), padded_size(5, 28, 2), 3)
    assert picture.std() > 0
    np.testing.assert_array_equal(callback.picture(), callback.picture())


def test_sample_grid_needs_a_prior():
    with pytest.raises(ValueError, match="sample_prior"):
        SampleGrid().set_model(keras.Sequential())
    with pytest.raises(ValueError, match="num_samples"):
        SampleGrid(num_samples=0)


# LatentSpacePlot.


def test_latent_space_plot_in_fit(tmp_path):
    x = make_data()
    y = np.arange(NUM_EXAMPLES) % 10
    callback = LatentSpacePlot(x, y, every_n_epochs=2, directory=tmp_path)
    fit(make_model(), x, [callback], epochs=2)
    (name,) = epoch_files(tmp_path, "latent_space")
    picture = read_png(tmp_path / "latent_space" / name)
    assert picture.shape == (500, 600, 3)
    assert picture.std() > 0


@pytest.mark.parametrize("projection", ["pca", "first_two"])
def test_latent_space_plot_projects_larger_latent_spaces(projection):
    x = make_data(num_examples=64)
    model = make_model(latent_dim=5)
    callback = LatentSpacePlot(
        x, np.linspace(0, 1, 64), projection=projection, figure_size=(3, 2), dpi=50
    )
    callback.set_model(model)
    picture = callback.picture()
    assert picture.shape == (100, 150, 3)
    assert picture.std() > 0


def test_latent_space_plot_validates_inputs():
    x = make_data(num_examples=8)
    with pytest.raises(ValueError, match="projection"):
        LatentSpacePlot(x, projection="tsne")
    with pytest.raises(ValueError, match="one numeric label per example"):
        LatentSpacePlot(x, y=np.zeros(7))
    with pytest.raises(ValueError, match="batch_size"):
        LatentSpacePlot(x, batch_size=0)


def test_pca_projection_has_a_deterministic_sign():
    rng = np.random.default_rng(0)
    t = rng.standard_normal(200)
    codes = np.outer(t, [3.0, -4.0, 0.0]) + 0.01 * rng.standard_normal((200, 3))
    points, labels = project(codes, "pca")
    # The first component is (-0.6, 0.8) up to sign; the largest coefficient
    # is made positive, so points grow with -t.
    assert np.corrcoef(points[:, 0], -t)[0, 1] > 0.999
    assert labels[0].startswith("PCA component 1 (100%")
    np.testing.assert_allclose(project(codes[::-1], "pca")[0], points[::-1])
    first_two, labels = project(codes, "first_two")
    np.testing.assert_array_equal(first_two, codes[:, :2])
    assert labels == ("z[0]", "z[1]")


def test_latent_space_progress_bar_only_for_many_batches(capsys, monkeypatch):
    monkeypatch.setattr(latent_space, "PROGRESS_BAR_DELAY_SECONDS", 0)
    model = make_model()
    for num_examples, shown in [(2000, True), (300, False)]:
        callback = LatentSpacePlot(make_data(num_examples=num_examples), batch_size=100)
        callback.set_model(model)
        assert callback.encode().shape == (num_examples, 2)
        assert ("latent_space: encoding" in capsys.readouterr().err) == shown


# LatentManifold.


def test_latent_manifold_in_fit(tmp_path):
    x = make_data()
    callback = LatentManifold(grid_size=5, latent_range=(-10, 10), directory=tmp_path)
    fit(make_model(), x, [callback], epochs=1)
    (name,) = epoch_files(tmp_path, "latent_manifold")
    picture = read_png(tmp_path / "latent_manifold" / name)
    assert picture.shape == (140, 140, 3)
    assert picture.std() > 0


def test_latent_manifold_grids():
    linear = LatentManifold(grid_size=3, latent_range=(-10, 10))
    assert linear.grid == "linear"
    # Row by row: second dimension decreasing, first dimension increasing.
    np.testing.assert_array_equal(
        linear.latent_grid(),
        [[x, y] for y in (10, 0, -10) for x in (-10, 0, 10)],
    )
    normal = LatentManifold(grid_size=3)
    assert normal.grid == "normal"
    expected = [statistics.NormalDist().inv_cdf(q) for q in (0.05, 0.5, 0.95)]
    np.testing.assert_allclose(normal.grid_values(), expected, atol=1e-12)
    np.testing.assert_allclose(normal.grid_values()[0], -1.6448536, rtol=1e-6)


def test_latent_manifold_validates_grid_and_model():
    with pytest.raises(ValueError, match="only applies to grid='linear'"):
        LatentManifold(grid="normal", latent_range=(-1, 1))
    with pytest.raises(ValueError, match="needs `latent_range`"):
        LatentManifold(grid="linear")
    with pytest.raises(ValueError, match="grid"):
        LatentManifold(grid="cubic")
    with pytest.raises(ValueError, match="latent_range"):
        LatentManifold(latent_range=(5, -5))
    model = make_model(latent_dim=3)
    with pytest.raises(ValueError, match="latent_dim == 2"):
        LatentManifold().set_model(model)
    with pytest.raises(ValueError, match="latent_dim == 2"):
        fit(model, make_data(num_examples=64), [LatentManifold()], epochs=1)


# LossCurves.


def test_loss_curves_collect_and_plot_losses(tmp_path):
    x = make_data()
    callback = LossCurves(every_n_epochs=3, directory=tmp_path)
    fit(make_model(), x, [callback], epochs=3, validation_data=(x[:64], x[:64]))
    assert sorted(callback.history) == ["loss", "val_loss"]
    assert callback.epochs == [1, 2, 3]
    assert all(len(v) == 3 and np.isfinite(v).all() for v in callback.history.values())
    assert epoch_files(tmp_path, "loss_curves") == ["epoch_0003.png"]
    picture = read_png(tmp_path / "loss_curves" / "epoch_0003.png")
    assert picture.shape == (400, 600, 3)
    assert picture.std() > 0


def test_loss_curves_warn_about_missing_keys():
    callback = LossCurves(keys=["d_loss", "g_loss"], sink=RecordingSink())
    callback.on_train_begin()
    with pytest.warns(UserWarning, match="g_loss"):
        callback.on_epoch_end(0, {"d_loss": 0.7})
    callback.on_epoch_end(1, {"d_loss": 0.6, "g_loss": 1.2})
    np.testing.assert_array_equal(callback.history["g_loss"], [np.nan, 1.2])
    assert callback.picture().shape == (400, 600, 3)
    with pytest.raises(ValueError, match="keys"):
        LossCurves(keys=[])


# The real keras_gen models, when they exist.


def test_callbacks_with_keras_gen_models(tmp_path):
    import keras_gen

    if not hasattr(keras_gen, "VariationalAutoencoder"):
        pytest.skip("keras_gen.VariationalAutoencoder is not available")
    x = make_data()
    y = np.arange(NUM_EXAMPLES) % 10
    vae = keras_gen.VariationalAutoencoder(intermediate_dim=16, latent_dim=2, seed=0)
    vae.compile("adam")
    callbacks = [
        ReconstructionLogger(x, directory=tmp_path),
        LatentSpacePlot(x, y, directory=tmp_path),
        LatentManifold(grid_size=4, directory=tmp_path),
        SampleGrid(num_samples=8, columns=4, every_n_epochs=2, directory=tmp_path),
        LossCurves(directory=tmp_path),
    ]
    vae.fit(x, epochs=2, batch_size=64, verbose=0, callbacks=callbacks)
    expected_shapes = {
        "reconstructions": (58, 298, 3),
        "latent_space": (500, 600, 3),
        "latent_manifold": (112, 112, 3),
        "generated_images": (58, 118, 3),
        "loss_curves": (400, 600, 3),
    }
    for key, shape in expected_shapes.items():
        files = epoch_files(tmp_path, key)
        assert len(files) == (1 if key == "generated_images" else 2), key
        picture = read_png(tmp_path / key / files[-1])
        assert picture.shape == shape, key
        assert picture.std() > 0, key
    assert sorted(callbacks[-1].history) == ["kl_loss", "loss", "reconstruction_loss"]

    autoencoder = keras_gen.Autoencoder(latent_space=4, intermediate_dim=16)
    autoencoder.compile(optimizer="adam", loss="binary_crossentropy")
    plot = LatentSpacePlot(x, y, projection="pca", sink=RecordingSink())
    autoencoder.fit(x, x, epochs=1, batch_size=64, verbose=0, callbacks=[plot])
    ((_, picture, epoch),) = plot.sink.pictures
    assert epoch == 1 and picture.shape == (500, 600, 3)
    with pytest.raises(ValueError, match="latent_dim == 2"):
        LatentManifold().set_model(autoencoder)


# Pictures as they are logged: enlarged and titled -----------------------------


@pytest.mark.presented
def test_small_grids_are_enlarged_to_400_pixels_and_titled_with_the_epoch(tmp_path):
    model = make_model()
    x = np.random.default_rng(0).uniform(0, 1, (64, 784)).astype("float32")
    grid = SampleGrid(num_samples=25, columns=5, directory=tmp_path)
    fit(model, x, [grid], epochs=2)
    drawn = grid.picture()  # 5 x 28 + 4 x 2 = 148 pixels square.
    assert drawn.shape[:2] == (148, 148)
    logged = read_png(tmp_path / "generated_images" / "epoch_0002.png")
    # Enlarged 3 times (444 >= 400), each pixel a sharp 3 x 3 square.
    band = logged.shape[0] - 444
    assert logged.shape == (band + 444, 444, 3) and band > 0
    np.testing.assert_array_equal(
        logged[band:][::3, ::3, 0], np.repeat(drawn, 1, axis=-1)[..., 0])
    np.testing.assert_array_equal(logged[band:][1::3, 2::3], logged[band:][::3, ::3])
    # The band above it holds dark text on white.
    assert logged[:band].max() == 255 and logged[:band].min() < 100


@pytest.mark.presented
def test_present_keeps_wide_pictures_and_leaves_out_an_empty_title():
    picture = np.full((50, 500, 3), 7, dtype="uint8")
    # Wide enough already and untitled: unchanged.
    np.testing.assert_array_equal(callbacks_present(picture, None, 400), picture)
    np.testing.assert_array_equal(callbacks_present(picture, "", 400), picture)
    titled = callbacks_present(picture, "Loss curves, epoch 3", 400)
    assert titled.shape[1] == 500 and titled.shape[0] > 50
    np.testing.assert_array_equal(titled[-50:], picture)
    gray = np.zeros((10, 10), dtype="uint8")
    assert callbacks_present(gray, None, 95).shape == (100, 100, 1)
    with pytest.raises(ValueError, match="min_width"):
        callbacks_present(gray, None, -1)


@pytest.mark.presented
def test_titles_come_from_the_key_unless_the_callback_names_itself(monkeypatch):
    seen = []
    monkeypatch.setattr(base, "present", lambda image, title, width: seen.append(
        (title, width)) or image)
    drawn = np.zeros((8, 8), dtype="uint8")
    SampleGrid(key="val/generated_images").presented(drawn, "epoch 4")
    ReconstructionLogger(np.zeros((10, 784), "float32")).presented(drawn, "epoch 1")
    quiet = SampleGrid()
    quiet.title, quiet.min_width = "", None
    quiet.presented(drawn, "iteration 50")
    assert seen == [
        ("Generated images, epoch 4", 400),
        ("Test images (top) and their reconstructions, epoch 1", 400),
        (None, None),
    ]
