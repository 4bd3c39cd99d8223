"""The tutorials' own calls: `build_model()` and Keras-GAN's `train()`."""

import keras
import numpy as np
import pytest

import keras_gen
from keras_gen import callbacks
from keras_gen.data import SampledBatches


@pytest.fixture
def digits():
    rng = np.random.default_rng(0)
    return rng.uniform(-1, 1, (64, 784)).astype("float32")


@pytest.mark.parametrize(
    "model_class", [keras_gen.Autoencoder, keras_gen.VariationalAutoencoder]
)
def test_build_model_returns_the_model_to_compile_and_fit(model_class):
    model = model_class(input_shape=(16,), intermediate_dim=8).build_model()
    assert isinstance(model, model_class)
    model.compile("adam")
    x = np.random.default_rng(0).uniform(0, 1, (32, 16)).astype("float32")
    history = model.fit(x, x, epochs=1, batch_size=16, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_train_runs_that_many_iterations_and_saves_every_interval(tmp_path, digits):
    keras.utils.set_random_seed(0)
    gan = keras_gen.GAN(generator_units=(16,), discriminator_units=(16,))
    history = gan.train(
        epochs=7, batch_size=8, save_interval=3, x=digits,
        directory=tmp_path, verbose=0,
    )
    # One discriminator and one generator update per iteration.
    assert int(gan.d_optimizer.iterations) == 7
    assert int(gan.g_optimizer.iterations) == 7
    saved = sorted(p.name for p in (tmp_path / "generated_images").iterdir())
    assert saved == [
        "iteration_000000.png", "iteration_000003.png", "iteration_000006.png"
    ]
    assert set(history.history) == {"d_loss", "g_loss", "d_acc", "d_x", "d_g_z1", "d_g_z2"}


def test_train_takes_keras_gans_gan_py_name_and_compiles_once(tmp_path, digits):
    gan = keras_gen.GAN(generator_units=(16,), discriminator_units=(16,))
    optimizer = keras.optimizers.SGD(0.01)
    gan.compile(d_optimizer=optimizer)
    gan.train(epochs=4, batch_size=8, sample_interval=2, x=digits,
              directory=tmp_path, verbose=0)
    assert gan.d_optimizer is optimizer  # Not recompiled.
    names = sorted(p.name for p in (tmp_path / "generated_images").iterdir())
    assert names == ["iteration_000000.png", "iteration_000002.png"]


def test_train_defaults_to_mnist_in_minus_one_one(tmp_path):
    dcgan = keras_gen.DCGAN()
    seen = []
    dcgan.fit = lambda batches, **kwargs: seen.append(batches)  # Data only.
    dcgan.train(epochs=3, batch_size=4, directory=tmp_path, verbose=0)
    (batches,) = seen
    assert len(batches) == 3 and batches.x.shape == (60000, 28, 28, 1)
    assert batches.x.min() == -1.0 and batches.x.max() == 1.0


def test_train_refuses_bad_input_before_training(tmp_path, digits):
    gan = keras_gen.GAN(generator_units=(16,), discriminator_units=(16,))
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        gan.train(epochs=2, x=(digits + 1) / 2 * 255, directory=tmp_path)
    with pytest.raises(ValueError, match="epochs"):
        gan.train(epochs=0, x=digits, directory=tmp_path)
    with pytest.raises(ValueError, match="save_interval|every_n_batches"):
        gan.train(epochs=2, save_interval=0, x=digits, directory=tmp_path)
    small = keras_gen.GAN(input_shape=(16,))
    with pytest.raises(ValueError, match=r"pass your images .* as `x=`"):
        small.train(epochs=2, directory=tmp_path)
    assert not gan.compiled or int(gan.d_optimizer.iterations) == 0


def test_sampled_batches_are_a_pure_function_of_seed_epoch_and_index():
    x = np.arange(100, dtype="float32")[:, None]
    batches = SampledBatches(x, batch_size=10, num_batches=5, seed=3)
    again = SampledBatches(x, batch_size=10, num_batches=5, seed=3)
    other = SampledBatches(x, batch_size=10, num_batches=5, seed=4)
    assert len(batches) == 5
    np.testing.assert_array_equal(batches[2][0], again[2][0])
    assert not np.array_equal(batches[2][0], batches[3][0])
    assert not np.array_equal(batches[2][0], other[2][0])
    first = batches[0][0]
    batches.on_epoch_end()
    assert not np.array_equal(first, batches[0][0])  # A new epoch, new draws.
    assert set(np.concatenate([batches[i][0] for i in range(5)]).ravel()) <= set(range(100))


def test_every_n_batches_counts_iterations_across_epochs_and_executions(tmp_path):
    model = keras_gen.VariationalAutoencoder(input_shape=(16,), intermediate_dim=8)
    model.compile("adam", steps_per_execution=2)
    pictures = callbacks.EveryNBatches(
        callbacks.SampleGrid(num_samples=4, columns=2, directory=tmp_path,
                             image_shape=(4, 4)),
        every_n_batches=3,
    )
    x = np.random.default_rng(0).uniform(0, 1, (40, 16)).astype("float32")
    # 5 batches an epoch run as 3 whole executions of 2 steps: Keras reports
    # iterations 1, 3, 5 | 7, 9, 11; a picture follows each execution that
    # reached a multiple of 3 (0, 3, 6, 9).
    model.fit(x, epochs=2, batch_size=8, shuffle=False, callbacks=[pictures], verbose=0)
    names = [p.rsplit("/", 1)[-1] for p in pictures.paths]
    assert names == [f"iteration_{i:06d}.png" for i in (1, 3, 7, 9)]
    assert all((tmp_path / "generated_images" / name).is_file() for name in names)


def test_every_n_batches_checks_its_arguments():
    with pytest.raises(ValueError, match="picture callback"):
        callbacks.EveryNBatches(object(), every_n_batches=2)
    with pytest.raises(ValueError, match="every_n_batches"):
        callbacks.EveryNBatches(callbacks.SampleGrid(), every_n_batches=0)


def test_the_sink_names_iteration_pictures_and_refuses_both_numbers(tmp_path):
    sink = callbacks.ImageSink(tmp_path)
    image = np.zeros((4, 4), dtype="uint8")
    path = sink.log("grid", image, iteration=50)
    assert path == str(tmp_path / "grid" / "iteration_000050.png")
    with pytest.raises(ValueError, match="`epoch` or `iteration`, not both"):
        sink.log("grid", image, epoch=1, iteration=1)
    with pytest.raises(ValueError, match="iteration"):
        sink.log("grid", image, iteration=-1)


def test_train_without_epochs_says_what_it_needs():
    gan = keras_gen.GAN(generator_units=(16,), discriminator_units=(16,))
    with pytest.raises(TypeError, match=r"train\(\) needs `epochs`"):
        gan.train()


TRAIN_SCRIPT = """
import sys
import numpy as np
import keras_gen
directory = sys.argv[1]
x = np.random.default_rng(0).uniform(-1, 1, (64, 784)).astype("float32")
gan = keras_gen.GAN(generator_units=(16,), discriminator_units=(16,))
gan.train(epochs=3, batch_size=8, save_interval=2, x=x, directory=directory, verbose=0)
assert int(gan.d_optimizer.iterations) == 3 and int(gan.g_optimizer.iterations) == 3
if keras_gen.backend.BACKEND == "torch":  # torch.nn.Module.train(mode) still works.
    gan.train(False)
    assert gan.training is False
    gan.train()
    assert gan.training is True
print("ok")
"""


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_train_on_the_other_backends(backend, tmp_path):
    import importlib.util
    import os
    import subprocess
    import sys

    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} is not installed")
    result = subprocess.run(
        [sys.executable, "-c", TRAIN_SCRIPT, str(tmp_path)],
        env={**os.environ, "KERAS_BACKEND": backend}, capture_output=True,
        text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("ok")
    names = sorted(p.name for p in (tmp_path / "generated_images").iterdir())
    assert names == ["iteration_000000.png", "iteration_000002.png"]
