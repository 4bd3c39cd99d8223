"""What happens when things go wrong: each probe of the table in docs/reliability.md.

Kills during saves, bad inputs of every kind on every model, NaN in streamed
data, damaged dataset files and unwritable output folders: each gets a clear
error before the first step, or leaves the last good file.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_gen
from keras_gen import files, tracking
from keras_gen.callbacks import BackupAndRestore, NonFiniteLossError
from keras_gen.data import ArrayBatches

REPO = Path(__file__).resolve().parents[1]
SHAPE = (12,)

# name: (factory, value range of its inputs)
MODELS = {
    "autoencoder": (lambda: keras_gen.Autoencoder(SHAPE, latent_space=3, intermediate_dim=8), (0, 1)),
    "denoising": (lambda: keras_gen.DenoisingAutoencoder(SHAPE, latent_space=3, intermediate_dim=8), (0, 1)),
    "vae": (lambda: keras_gen.VariationalAutoencoder(SHAPE, intermediate_dim=8, latent_dim=2), (0, 1)),
    "gan": (lambda: keras_gen.GAN(SHAPE, latent_dim=4, generator_units=(8,), discriminator_units=(8,)), (-1, 1)),
    "ebgan": (lambda: keras_gen.EBGAN(SHAPE, latent_dim=4, generator_units=(8,), cost_units=(8,), embedding_dim=4), (-1, 1)),
    "aae": (lambda: keras_gen.AdversarialAutoencoder(SHAPE, hidden_units=(8,), discriminator_units=(8,)), (0, 1)),
    "supervised": (lambda: keras_gen.SupervisedAdversarialAutoencoder(SHAPE, num_classes=3, hidden_units=(8,), discriminator_units=(8,)), (0, 1)),
}
SUPERVISED = {"supervised"}


def make(name):
    factory, value_range = MODELS[name]
    model = factory()
    trained_by_loss = (keras_gen.Autoencoder, keras_gen.VariationalAutoencoder)
    model.compile("adam") if isinstance(model, trained_by_loss) else model.compile()
    return model, value_range


def data(value_range, n=32, seed=0):
    low, high = value_range
    x = np.random.default_rng(seed).uniform(low, high, (n, *SHAPE)).astype("float32")
    return x, np.arange(n) % 3


def fit_args(name, x, y):
    return (x, y) if name in SUPERVISED else (x, None)


def weights_of(model):
    return [np.array(w) for w in model.get_weights()]


def assert_untouched(model, before):
    for a, b in zip(weights_of(model), before):
        np.testing.assert_array_equal(a, b)


# Bad inputs: each model refuses them before its first step.


@pytest.mark.parametrize("name", sorted(MODELS))
def test_raw_pixels_are_refused_with_the_fix(name):
    model, value_range = make(name)
    x, y = data(value_range)
    raw = np.round((x - value_range[0]) / (value_range[1] - value_range[0]) * 255)
    raw[0, :2] = 0, 255  # Black and white pixels.
    before = weights_of(model)
    fix = "x / 255" if value_range[0] == 0 else "x / 127.5 - 1"
    with pytest.raises(ValueError, match=rf"`x` must hold values in \[{value_range[0]}, 1\].*{fix}.*Received: x with values from 0 to 255"):
        model.fit(*fit_args(name, raw.astype("float32"), y), verbose=0)
    assert_untouched(model, before)


@pytest.mark.parametrize("name", ["gan", "ebgan"])
def test_gans_refuse_data_scaled_to_unit_interval(name):
    model, _ = make(name)
    x, _ = data((0, 1))
    x[:, 0] = 0.0  # Black pixels.
    with pytest.raises(ValueError, match=r"\[-1, 1\].*tanh.*2 \* x - 1"):
        model.fit(x, verbose=0)


@pytest.mark.parametrize("batch_size", [0, -5, 2.5])
@pytest.mark.parametrize("method", ["fit", "evaluate", "predict"])
def test_batch_size_must_be_positive(method, batch_size):
    model, value_range = make("autoencoder")
    x, _ = data(value_range)
    with pytest.raises(ValueError, match=rf"`batch_size` must be a positive integer. Received: batch_size={batch_size}"):
        getattr(model, method)(x, batch_size=batch_size, verbose=0)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_first_batch_of_a_tf_dataset_is_checked(name):
    model, value_range = make(name)
    x, y = data(value_range)
    x[3, 2] = np.nan
    dataset = tf.data.Dataset.from_tensor_slices(fit_args(name, x, y)[: 2 if name in SUPERVISED else 1]).batch(8)
    before = weights_of(model)
    with pytest.raises(ValueError, match=r"first batch of `x` \(.*Dataset.*\).*finite.*row 3"):
        model.fit(dataset, verbose=0)
    assert_untouched(model, before)


def test_labels_in_a_tf_dataset_are_checked_against_num_classes():
    model, value_range = make("supervised")
    x, y = data(value_range)
    y[0] = 42
    with pytest.raises(ValueError, match=r"first batch.*`y`.*\[0, 3\).*42"):
        model.fit(tf.data.Dataset.from_tensor_slices((x, y)).batch(8), verbose=0)


def test_first_batch_of_a_py_dataset_is_checked():
    model, value_range = make("vae")
    x, _ = data(value_range)

    class Batches(keras.utils.PyDataset):
        def __len__(self):
            return 2

        def __getitem__(self, index):
            return (x[index * 16 : (index + 1) * 16] * 255,)

    with pytest.raises(ValueError, match=r"first batch of `x` \(Batches\).*\[0, 1\]"):
        model.fit(Batches(), verbose=0)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_nan_later_in_a_stream_stops_training_with_epoch_and_batch(name):
    model, value_range = make(name)
    x, y = data(value_range)
    x[20, 0] = np.nan  # Batch 3 of 4 (batch_size 8), after a clean first one.
    dataset = tf.data.Dataset.from_tensor_slices(fit_args(name, x, y)[: 2 if name in SUPERVISED else 1]).batch(8)
    with pytest.raises(NonFiniteLossError, match=r"became nan in epoch 1, batch 3.*stop_on_nan=False"):
        model.fit(dataset, epochs=2, verbose=0)
    # The guard can be turned off: training goes on, into NaN.
    history = model.fit(dataset, epochs=1, verbose=0, stop_on_nan=False)
    assert any(np.isnan(values[-1]) for values in history.history.values())


def test_semi_supervised_dataset_must_match_the_model():
    model = keras_gen.SemiSupervisedAdversarialAutoencoder(
        SHAPE, num_classes=5, hidden_units=(8,), discriminator_units=(8,))
    model.compile()
    x, y = data((0, 1))
    ten_classes = keras_gen.make_semi_supervised_dataset(x, x[:10], np.arange(10), batch_size=8)
    with pytest.raises(ValueError, match=r"10 classes but the model has num_classes=5.*num_classes=5"):
        model.fit(ten_classes, verbose=0)
    images = keras_gen.make_semi_supervised_dataset(
        x.reshape(32, 3, 4), x[:5].reshape(5, 3, 4), np.arange(5), batch_size=8, num_classes=5)
    with pytest.raises(ValueError, match=r"inputs have shape \(3, 4\).*input_shape=\(12,\).*reshape"):
        model.fit(images, verbose=0)
    with pytest.raises(ValueError, match=r"`y_labelled` must hold one integer class label per example"):
        keras_gen.make_semi_supervised_dataset(x, x[:5], np.arange(4), batch_size=8, num_classes=5)


def test_first_batch_of_a_semi_supervised_stream_is_checked():
    model = keras_gen.SemiSupervisedAdversarialAutoencoder(
        SHAPE, num_classes=3, hidden_units=(8,), discriminator_units=(8,))
    model.compile()
    x, y = data((0, 1))
    stream = tf.data.Dataset.from_tensors(
        {"x": x, "x_labelled": x[:6], "y_labelled": (y[:6] + 5).astype("int32")})
    with pytest.raises(ValueError, match=r"first batch.*`y_labelled` must hold labels in \[0, 3\)"):
        model.fit(stream, verbose=0)


@pytest.mark.parametrize("method", ["encode", "reconstruct"])
def test_gans_say_they_cannot_encode(method):
    model, value_range = make("gan")
    x, _ = data(value_range)
    with pytest.raises(NotImplementedError, match="A GAN has no encoder.*generate"):
        getattr(model, method)(x)


# Files: written whole or not at all.


def test_atomic_path_keeps_the_old_file_when_writing_fails(tmp_path):
    path = tmp_path / "results.json"
    files.write_json(path, {"version": 1})
    with pytest.raises(RuntimeError):
        with files.atomic_path(path) as temporary:
            Path(temporary).write_text('{"version": 2, "trunc')
            raise RuntimeError("killed")
    assert json.loads(path.read_text()) == {"version": 1}
    assert os.listdir(tmp_path) == ["results.json"]


SAVE_THEN_DIE = """
import os, signal, sys
import keras, numpy as np
import keras_gen
from keras_gen import tracking
model = keras_gen.Autoencoder((12,), latent_space=3, intermediate_dim=8)
model.compile("adam")
path = sys.argv[1]
if sys.argv[2] == "first":
    tracking.save_model(model, path)
    sys.exit(0)
model.fit(np.full((8, 12), 0.5, "float32"), verbose=0)
save = keras.Model.save
def save_half_then_die(self, filepath, *args, **kwargs):
    save(self, filepath, *args, **kwargs)
    with open(filepath, "r+b") as f:
        f.truncate(os.path.getsize(filepath) // 2)  # Half written...
    os.kill(os.getpid(), signal.SIGKILL)  # ...when the process is killed.
keras.Model.save = save_half_then_die
tracking.save_model(model, path)
"""


def test_a_kill_while_saving_keeps_the_last_good_model(tmp_path):
    path = tmp_path / "model.keras"
    for step, code in (("first", 0), ("second", -9)):
        result = subprocess.run(
            [sys.executable, "-c", SAVE_THEN_DIE, str(path), step],
            capture_output=True, text=True, timeout=300,
        )
        assert result.returncode == code, result.stderr[-2000:]
    model = keras.saving.load_model(path)  # The first, untrained model.
    assert int(model.optimizer.iterations) == 0


def test_image_sink_writes_whole_pngs(tmp_path):
    from keras_gen.callbacks import ImageSink

    sink = ImageSink(directory=tmp_path)
    path = sink.log("samples", np.zeros((4, 4), "uint8"), epoch=1)
    assert Path(path).is_file() and os.listdir(Path(path).parent) == ["epoch_0001.png"]


# Backups.


def test_backup_refuses_another_configuration(tmp_path):
    model, value_range = make("autoencoder")
    x, _ = data(value_range)
    backup = BackupAndRestore(tmp_path, delete_checkpoint=False)
    model.fit(x, epochs=1, verbose=0, callbacks=[backup])
    other = keras_gen.Autoencoder(SHAPE, latent_space=3, intermediate_dim=8)
    other.compile(keras.optimizers.Adam(0.1))  # Another learning rate.
    with pytest.raises(ValueError, match="another configuration or other compile"):
        other.fit(x, epochs=2, verbose=0, callbacks=[BackupAndRestore(tmp_path)])


def test_backup_resumes_at_its_epoch_and_ignores_half_written_ones(tmp_path):
    model, value_range = make("vae")
    x, _ = data(value_range)
    model.fit(x, epochs=2, verbose=0, callbacks=[BackupAndRestore(tmp_path, delete_checkpoint=False)])
    assert sorted(os.listdir(tmp_path)) == ["backup-000000001"]
    (tmp_path / ".incomplete-xyz").mkdir()  # As a kill mid-backup leaves it.
    history = model.fit(x, epochs=3, verbose=0, callbacks=[BackupAndRestore(tmp_path)])
    assert history.epoch == [2]
    assert not tmp_path.exists()


def test_backup_every_n_batches(tmp_path):
    model, value_range = make("autoencoder")
    x, _ = data(value_range)
    backup = BackupAndRestore(tmp_path, save_freq=3, delete_checkpoint=False)
    saved = []
    backup_save = backup._save
    backup._save = lambda epoch, logs: (saved.append(epoch), backup_save(epoch, logs))
    model.fit(x, epochs=2, batch_size=8, verbose=0, callbacks=[backup])
    # 4 batches an epoch: after batches 3, 6 (epoch 1, in progress) and at
    # each epoch's end.
    assert saved == [0, 1, 1, 2]
    with pytest.raises(ValueError, match="`save_freq` must be a positive integer"):
        BackupAndRestore(tmp_path, save_freq=0)


# Data order: a new shuffle every epoch, the same in every process.


def test_array_batches_reshuffle_each_epoch_reproducibly():
    x = np.arange(40, dtype="float32")[:, None] / 40
    batches = ArrayBatches(x, batch_size=40, seed=3)
    first, second = batches.batch(1, 0)[0], batches.batch(2, 0)[0]
    assert not np.array_equal(first, second)
    assert np.array_equal(np.sort(first, axis=0), x)
    again = ArrayBatches(x, batch_size=40, seed=3)
    np.testing.assert_array_equal(again.batch(2, 0)[0], second)


def test_fit_shuffles_arrays_anew_every_epoch():
    # Keras' own array route (TensorFlow, seeded) repeats one order.
    model, _ = make("autoencoder")
    x = np.linspace(0, 1, 16, dtype="float32")[:, None] * np.ones(SHAPE, "float32")
    orders = []
    original = ArrayBatches.batch

    def recording_batch(self, epoch, index):
        batch = original(self, epoch, index)
        orders.append((epoch, tuple(np.round(batch[0][:, 0] * 15).astype(int))))
        return batch

    ArrayBatches.batch = recording_batch
    try:
        model.fit(x, epochs=2, batch_size=16, verbose=0)
    finally:
        ArrayBatches.batch = original
    epochs = {}
    for epoch, order in orders:
        epochs.setdefault(epoch, order)
    assert len(epochs) >= 2
    first, second = list(epochs.values())[:2]
    assert sorted(first) == sorted(second) == list(range(16)) and first != second


# Datasets and output folders.


DAMAGED_DATASET = """
import sys
from keras_gen.data import DatasetUnavailableError, load_dataset
try:
    load_dataset("fashion_mnist")
except DatasetUnavailableError as error:
    print(error)
"""


def test_a_damaged_dataset_file_is_moved_aside_with_a_clear_error(tmp_path):
    source = REPO.parent / "shared" / "data" / "fashion-mnist"
    if not source.is_dir():
        pytest.skip("no offline Fashion-MNIST copy")
    cache = tmp_path / "datasets" / "fashion-mnist"
    cache.mkdir(parents=True)
    for file in source.glob("*.gz"):
        (cache / file.name).write_bytes(file.read_bytes())
    damaged = cache / "train-labels-idx1-ubyte.gz"
    damaged.write_bytes(damaged.read_bytes()[:100])  # Truncated.
    result = subprocess.run(
        [sys.executable, "-c", DAMAGED_DATASET],
        env={**os.environ, "KERAS_HOME": str(tmp_path)},
        capture_output=True, text=True, timeout=300,
    )
    assert "cached files are damaged" in result.stdout, result.stderr[-2000:]
    assert f"{damaged} -> {damaged}.damaged" in result.stdout
    assert not damaged.exists() and Path(f"{damaged}.damaged").is_file()
    assert (cache / "train-images-idx3-ubyte.gz").is_file()  # Good files stay.


def test_unwritable_out_is_found_before_training(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    with pytest.raises(ValueError, match=r"`--out` must be a folder keras-gen can write to.*a_file/out"):
        files.check_writable(blocker / "out", "--out")
    result = subprocess.run(
        [sys.executable, str(REPO / "examples" / "gan.py"), "--no-wandb",
         "--out", str(blocker / "out")],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )
    assert result.returncode != 0
    assert "`--out` must be a folder keras-gen can write to" in result.stderr
    assert "Epoch" not in result.stdout  # Not one step was trained.


def test_examples_back_up_per_set_of_arguments(tmp_path):
    class Args:
        pass

    one, two = Args(), Args()
    one.lr, two.lr = 1e-3, 2e-3
    assert tracking.backup_dir(tmp_path, one) != tracking.backup_dir(tmp_path, two)
    assert tracking.backup_dir(tmp_path, one) == tracking.backup_dir(tmp_path, one)


# Review probes: modes, retries, odd arguments.


def test_atomic_files_keep_the_usual_permissions(tmp_path):
    path = tmp_path / "new.json"
    files.write_json(path, {})
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
    path.chmod(0o640)
    files.write_json(path, {"again": True})
    assert path.stat().st_mode & 0o777 == 0o640


def test_a_backup_of_the_same_configuration_built_again_is_accepted(tmp_path):
    # A notebook's second build numbers its layers anew (dense_7, ...).
    model, value_range = make("autoencoder")
    x, _ = data(value_range)
    model.fit(x, epochs=1, verbose=0, callbacks=[BackupAndRestore(tmp_path, delete_checkpoint=False)])
    again, _ = make("autoencoder")
    assert again.name != model.name
    history = again.fit(x, epochs=2, verbose=0, callbacks=[BackupAndRestore(tmp_path)])
    assert history.epoch == [1]


def test_no_backup_of_a_nan_epoch_and_a_retry_restores_from_disk(tmp_path):
    model, value_range = make("vae")
    x, _ = data(value_range)
    backup = BackupAndRestore(tmp_path, delete_checkpoint=False)
    model.fit(x, epochs=1, verbose=0, callbacks=[backup])
    bad = x.copy()
    bad[5:, :] = np.nan
    dataset = tf.data.Dataset.from_tensor_slices((bad,)).batch(32)
    # The first batch is checked, so NaN comes in a second dataset element.
    stream = tf.data.Dataset.from_tensor_slices((x,)).batch(32).concatenate(dataset)
    with pytest.raises(NonFiniteLossError):
        model.fit(stream, epochs=2, verbose=0, callbacks=[backup])
    assert sorted(os.listdir(tmp_path)) == ["backup-000000000"]  # Still epoch 1's.
    history = model.fit(x, epochs=2, verbose=0, callbacks=[backup])  # The retry.
    assert history.epoch == [1]


def test_fit_takes_a_callback_list_and_checks_validation_split():
    model, value_range = make("autoencoder")
    x, _ = data(value_range)
    logged = []

    class Record(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            logged.append(sorted(logs))

    model.fit(x, epochs=1, verbose=0, validation_split=0.25,
              callbacks=keras.callbacks.CallbackList([Record()], add_history=True, model=model))
    assert "val_loss" in logged[0]
    with pytest.raises(ValueError, match=r"`validation_split` must be a number >= 0 and below 1.0.*1.0"):
        model.fit(x, validation_split=1.0, verbose=0)
    with pytest.raises(ValueError, match=r"`validation_split` must leave examples.*give 0 and 32.*0.99"):
        model.fit(x, validation_split=0.99, verbose=0)


def test_atomic_folder_appears_whole_or_not_at_all(tmp_path):
    from keras_gen import files

    target = tmp_path / "backups" / "backup-000000000"
    with pytest.raises(RuntimeError):
        with files.atomic_folder(target) as folder:
            (Path(folder) / "half.bin").write_bytes(b"x")
            raise RuntimeError("killed mid-write")
    assert list((tmp_path / "backups").iterdir()) == []  # Nothing, not half.
    with files.atomic_folder(target) as folder:
        assert Path(folder).name.startswith(files.INCOMPLETE_PREFIX)
        (Path(folder) / "whole.bin").write_bytes(b"x")
    assert [p.name for p in target.iterdir()] == ["whole.bin"]
    files.remove_tree(target)
    assert not target.exists()
