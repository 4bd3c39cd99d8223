"""W&B tracking: real offline runs, read back from their `.wandb` files.

Every run goes to a temporary WANDB_DIR (and data, cache and config dirs),
`wandb.teardown()` separates runs, and assertions are on what a user would
see after `wandb sync`: config, metrics at the right epochs and batches,
pictures whose files exist and are not blank, the saved model.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

wandb = pytest.importorskip("wandb")

import keras_gen  # noqa: E402
from keras_gen import callbacks  # noqa: E402
from keras_gen import tracking  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"

def _read_only_run(wandb_dir):
    files = sorted(Path(wandb_dir).glob("wandb/*run-*/run-*.wandb"))
    assert len(files) == 1, files
    return tracking.read_run(files[0])


def _assert_picture(record, row, key):
    """The picture in `row[key]` is a non-blank image file of the run."""
    entry = row[key]
    assert entry["_type"] == "image-file"
    path = Path(record.dir) / "files" / entry["path"]
    assert path.is_file(), path
    from matplotlib.image import imread

    pixels = imread(path)
    assert pixels.std() > 0.01, f"{key} at epoch {row.get('epoch')} is blank"


def _run_example(script, *flags, env=None, cwd=None):
    completed = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *flags],
        env={**os.environ, **(env or {})},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return completed


# Credentials and modes -----------------------------------------------------


def test_has_credentials(tmp_path):
    netrc = tmp_path / "netrc"
    assert not tracking.has_credentials({"NETRC": str(netrc)})
    assert tracking.has_credentials({"WANDB_API_KEY": "k" * 40})
    netrc.write_text("machine api.wandb.ai\n  login user\n  password " + "k" * 40)
    netrc.chmod(0o600)
    assert tracking.has_credentials({"NETRC": str(netrc)})
    # wandb 0.31 logs in to this alias of api.wandb.ai by default.
    netrc.write_text("machine api.forge.coreweave.com\n  password " + "k" * 40)
    assert tracking.has_credentials({"NETRC": str(netrc)})
    # A key for W&B's cloud is no key for a private server.
    assert not tracking.has_credentials(
        {"NETRC": str(netrc), "WANDB_BASE_URL": "https://wandb.example.com"}
    )


def test_no_run_with_no_wandb_flag_or_disabled_mode(wandb_env, monkeypatch, capsys):
    args = argparse.Namespace(latent_space=4, no_wandb=True)
    assert tracking.start_run(args) == (None, args)
    monkeypatch.setenv("WANDB_MODE", "disabled")
    args = argparse.Namespace(latent_space=4, no_wandb=False)
    run, same = tracking.start_run(args)
    # A disabled run would swallow the pictures: there must be no run at all,
    # so that the ImageSink writes PNG files.
    assert run is None and same is args and wandb.run is None
    assert callbacks.active_wandb_run() is None
    assert "PNG" in capsys.readouterr().out
    assert not list(Path(os.environ["WANDB_DIR"]).glob("wandb/*run-*"))


def test_start_run_offline_and_sweep_values_win(wandb_env, capsys):
    # What a sweep agent hands a run: a parameter file that wandb.init applies.
    params = wandb_env / "params.yaml"
    params.write_text("wandb_version: 1\n\nlatent_space:\n  value: 5\n")
    os.environ["WANDB_SWEEP_PARAM_PATH"] = str(params)
    os.environ["WANDB_SWEEP_ID"] = "localswp"
    try:
        # `latent_space` was given as a flag, `epochs` is a default.
        args = argparse.Namespace(latent_space=7, epochs=3, no_wandb=False)
        run, config = tracking.start_run(args, job_type="test")
        assert run.offline  # No WANDB_MODE and no credentials: offline.
        assert (config.latent_space, config.epochs) == (5, 3)
        run.finish()
    finally:
        del os.environ["WANDB_SWEEP_PARAM_PATH"], os.environ["WANDB_SWEEP_ID"]
    wandb.teardown()
    run2, _ = tracking.start_run(argparse.Namespace(a=1))
    run2.finish()
    wandb.teardown()

    message = capsys.readouterr().err
    assert message.count("logged offline") == 1  # Said once per process.
    assert "wandb sync" in message
    records = [
        tracking.read_run(path)
        for path in Path(os.environ["WANDB_DIR"]).glob("wandb/*/run-*.wandb")
    ]
    swept = next(r for r in records if r.sweep_id == "localswp")
    assert swept.config == {"latent_space": 5, "epochs": 3}  # No `no_wandb`.
    assert swept.exit_code == 0


# Metrics and pictures --------------------------------------------------------


def test_metrics_logger_logs_epochs_and_batches(wandb_env):
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(64, 16)).astype("float32")
    model = keras_gen.Autoencoder(input_shape=(16,), latent_space=2,
                                  intermediate_dim=8)
    model.compile("adam")
    run, _ = tracking.start_run(argparse.Namespace(latent_space=2))
    history = model.fit(
        x, epochs=3, batch_size=16, validation_data=(x[:16],), verbose=0,
        callbacks=[
            callbacks.MetricsLogger(log_every_n_batches=3),
            callbacks.ReconstructionLogger(
                x[:8], num_images=8, directory=wandb_env / "pictures"),
        ],
    )
    # The PNG files as well as the run.
    assert len(list((wandb_env / "pictures" / "reconstructions").glob("*.png"))) == 3
    tracking.save_model(model, str(wandb_env / "out" / "ae.keras"), run)
    tracking.finish_run(run, summary={"test_mse": 0.5})
    wandb.teardown()
    record = _read_only_run(os.environ["WANDB_DIR"])

    epochs = [row for row in record.rows_with("epoch") if "loss" in row]
    assert [row["epoch"] for row in epochs] == [1, 2, 3]
    for row, loss, val_loss in zip(
        epochs, history.history["loss"], history.history["val_loss"]
    ):
        assert row["loss"] == pytest.approx(loss)
        assert row["val_loss"] == pytest.approx(val_loss)
    # 4 batches an epoch, logged every 3rd: steps 3, 6, 9, 12.
    assert [row["batch/step"] for row in record.rows_with("batch/loss")] == [
        3, 6, 9, 12
    ]
    pictures = record.rows_with("reconstructions")
    assert [row["epoch"] for row in pictures] == [1, 2, 3]
    for row in pictures:
        _assert_picture(record, row, "reconstructions")
    assert record.summary["val_loss"] == pytest.approx(history.history["val_loss"][-1])
    assert record.summary["test_mse"] == 0.5
    assert "ae.keras" in record.files
    assert (Path(record.dir) / "files" / "ae.keras").stat().st_size > 1000
    _check_against_wandb_leet(record)


def _check_against_wandb_leet(record):
    """Our reader agrees with W&B's own one, `wandb leet`, where it exists."""
    cli = shutil.which("wandb", path=os.path.dirname(sys.executable))
    if cli is None:
        return
    leet = subprocess.run(
        [cli, "leet", "inspect", "--summary", "--json", record.dir],
        capture_output=True, text=True, timeout=120,
    )
    if leet.returncode != 0:  # wandb before `leet` (0.2x): nothing to compare.
        return
    theirs = json.loads(leet.stdout)
    assert theirs["run_id"] == record.run_id
    assert theirs["config"] == record.config
    assert theirs["exit_code"] == record.exit_code
    def public(summary):  # Without W&B's own `_runtime`, `_step`...
        return {k: v for k, v in summary.items() if not k.startswith("_")}

    assert public(theirs["summary"]) == public(record.summary)


def test_metrics_logger_without_a_run_does_nothing(wandb_env):
    x = np.random.default_rng(0).uniform(size=(32, 4)).astype("float32")
    model = keras_gen.Autoencoder(input_shape=(4,), latent_space=2,
                                  intermediate_dim=4)
    model.compile("adam")
    model.fit(x, epochs=1, batch_size=8, verbose=0,
              callbacks=[callbacks.MetricsLogger(log_every_n_batches=1)])
    with pytest.raises(ValueError, match="log_every_n_batches"):
        callbacks.MetricsLogger(log_every_n_batches=0)


# The examples, end to end ----------------------------------------------------


def test_autoencoder_example_logs_a_sweep_ready_run(wandb_env):
    params = wandb_env / "params.yaml"
    params.write_text("wandb_version: 1\n\nlatent_space:\n  value: 3\n")
    completed = _run_example(
        "autoencoder.py",
        "--latent_space=7", "--epochs=2", "--train_samples=512",
        "--log_every_n_batches=1", f"--out={wandb_env / 'out'}",
        env={
            # As the sweep agent sets them; no WANDB_MODE and no credentials.
            "WANDB_SWEEP_PARAM_PATH": str(params),
            "WANDB_SWEEP_ID": "swp00001",
            "WANDB_RUN_ID": "run00001",
        },
    )
    assert "logged offline" in completed.stderr
    # The model really has the sweep's code size, not the flag's.
    assert "shape (5, 3)" in completed.stdout

    record = tracking.read_run(tracking.find_run_file("run00001"))
    assert record.exit_code == 0 and record.sweep_id == "swp00001"
    assert record.config["latent_space"] == 3  # The sweep wins over the flag,
    assert record.config["epochs"] == 2  # a flag over its default,
    assert record.config["intermediate_dim"] == 128  # and defaults are there.
    assert record.config["train_samples"] == 512
    assert "no_wandb" not in record.config

    epochs = [row for row in record.rows_with("epoch") if "val_loss" in row]
    assert [row["epoch"] for row in epochs] == [1, 2]
    assert all(0 < row["val_loss"] < 0.3 for row in epochs)
    assert record.summary["val_loss"] == epochs[-1]["val_loss"]
    assert record.summary["test_mse"] == pytest.approx(epochs[-1]["val_loss"])
    # 512 digits in batches of 256: two batches an epoch.
    assert record.metric("batch/step") == [1, 2, 3, 4]
    for key in ("reconstructions", "latent_space", "loss_curves"):
        rows = record.rows_with(key)
        assert [row["epoch"] for row in rows] == [1, 2], key
        for row in rows:
            _assert_picture(record, row, key)
    assert "autoencoder.keras" in record.files
    assert (wandb_env / "out" / "autoencoder.keras").is_file()
    # With a run, the pictures went to W&B and to PNG files under --out.
    for key in ("reconstructions", "latent_space", "loss_curves"):
        assert (wandb_env / "out" / "pictures" / key / "epoch_0002.png").is_file(), key


def test_vae_example_logs_its_losses_and_samples(wandb_env):
    _run_example(
        "vae.py", "--epochs=1", "--train_samples=256", "--latent_dim=2",
        f"--out={wandb_env / 'out'}",
        env={"WANDB_MODE": "offline", "WANDB_RUN_ID": "vae00001"},
    )
    record = tracking.read_run(tracking.find_run_file("vae00001"))
    row = next(row for row in record.history if "val_loss" in row)
    assert row["epoch"] == 1
    assert row["val_loss"] == pytest.approx(
        row["val_reconstruction_loss"] + row["val_kl_loss"], rel=1e-4
    )
    for key in ("generated_images", "latent_manifold", "reconstructions"):
        (picture,) = record.rows_with(key)
        _assert_picture(record, picture, key)
    assert "vae.keras" in record.files


def test_example_without_wandb_installed_writes_png_files(tmp_path):
    # A `wandb` package that fails to import, first on the path.
    fake = tmp_path / "fake_site" / "wandb"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text(
        "raise ImportError(\"No module named 'wandb' (simulated)\")\n"
    )
    out = tmp_path / "out"
    completed = _run_example(
        "denoising_autoencoder.py", "--epochs=1", "--train_samples=256",
        f"--out={out}",
        env={"PYTHONPATH": os.pathsep.join(
            [str(fake.parent), os.environ.get("PYTHONPATH", "")]
        ), "WANDB_DIR": str(tmp_path)},
        cwd=tmp_path,
    )
    assert "wandb is not installed" in completed.stdout
    for key in ("denoised", "latent_space", "loss_curves"):
        assert (out / "pictures" / key / "epoch_0001.png").is_file(), key
    assert (out / "denoising_autoencoder.keras").is_file()
    assert not (tmp_path / "wandb").exists()


def test_unreachable_server_falls_back_to_offline(wandb_env, monkeypatch, capsys):
    # Credentials, but no W&B server: the run must go offline, not hang.
    monkeypatch.setenv("WANDB_API_KEY", "k" * 40)
    monkeypatch.setenv("WANDB_BASE_URL", "http://127.0.0.1:9")  # Refused.
    monkeypatch.setenv("WANDB_INIT_TIMEOUT", "2")
    start = time.monotonic()
    run, args = tracking.start_run(argparse.Namespace(latent_space=4))
    assert time.monotonic() - start < 60
    assert run.offline and args.latent_space == 4
    run.finish()
    wandb.teardown()
    assert "logging offline instead" in capsys.readouterr().err
    record = tracking.read_run(tracking.find_run_file(run.id))
    assert record.config == {"latent_space": 4}
