"""Data-parallel training: tf.distribute.MirroredStrategy and keras.distribution.

Each backend runs `tests/distribution_job.py` in a fresh process on two
simulated devices (two logical CPUs for TensorFlow, two host devices for
JAX, both set before the backend starts), training every model there and
comparing models against the same training on one device.
"""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import zoo

JOB = Path(__file__).with_name("distribution_job.py")
ENVIRONMENTS = {
    "mirrored": {"KERAS_BACKEND": "tensorflow"},
    "data_parallel": {"KERAS_BACKEND": "jax",
                      "XLA_FLAGS": "--xla_force_host_platform_device_count=2"},
}
# Models trained on two devices that must match one device (global batch 16,
# 3 SGD steps): the deterministic autoencoder, and the models that sample
# through keras-gen's own layers and priors, which draw the one device's
# noise on two devices too. BatchNorm and Keras' Dropout layers differ
# under tf.distribute (per-replica statistics and masks); JAX computes them
# over the global batch, so there the GAN with BatchNorm matches as well.
MATCHING = {
    "mirrored": {"autoencoder", "vae", "gan_without_batchnorm", "aae_without_dropout"},
    "data_parallel": {"autoencoder", "vae", "gan_without_batchnorm",
                      "gan_with_batchnorm", "aae_without_dropout"},
}
# Every model of the zoo trains for two epochs with finite metrics.
SMOKE = set(zoo.MODELS)


@pytest.fixture(scope="module", params=sorted(ENVIRONMENTS))
def job(request):
    mode = request.param
    backend = ENVIRONMENTS[mode]["KERAS_BACKEND"]
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} is not installed")
    result = subprocess.run(
        [sys.executable, str(JOB), mode], capture_output=True, text=True,
        timeout=600, env={**os.environ, **ENVIRONMENTS[mode]},
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    assert result.stdout.rstrip().endswith("done")
    lines = [json.loads(line[len("RESULT "):]) for line in result.stdout.splitlines()
             if line.startswith("RESULT ")]
    return mode, lines


def test_two_devices_train_as_one_device_does(job):
    mode, lines = job
    found = {line["model"]: line for line in lines if line["check"] == "same_as_one_device"}
    assert set(found) == MATCHING[mode]
    for name, line in found.items():
        assert line["replicas"] == 2, name
        # Float rounding only: a loss not scaled to its replica's share, or
        # the same noise on both replicas, moves weights by 1e-3 and more.
        assert line["max_weight_difference"] < 1e-6 * max(1.0, line["weight_scale"]), name
        assert line["history_one"].keys() == line["history_two"].keys(), name
        for key, value in line["history_one"].items():
            # The history holds global-batch values on both.
            assert line["history_two"][key] == pytest.approx(value, rel=1e-5, abs=1e-6), (
                name, key)


def test_every_model_trains_data_parallel(job):
    _, lines = job
    smoke = {line["model"]: line for line in lines if line["check"] == "smoke"}
    assert set(smoke) == SMOKE
    for name, line in smoke.items():
        assert line["finite"] and line["epochs"] == 2, name


def test_each_replica_draws_its_own_noise(job):
    mode, lines = job
    if mode != "mirrored":
        pytest.skip("JAX draws once for the global batch: nothing per replica")
    (noise,) = [line for line in lines if line["check"] == "noise"]
    assert noise["replicas_differ"]  # Not the same stream twice.
    assert noise["same_as_one_device"]  # Together, the one device's rows.


def test_an_optimizer_made_outside_the_strategy_is_refused(job):
    mode, lines = job
    if mode != "mirrored":
        pytest.skip("only tf.distribute has a scope for optimizers")
    (line,) = [line for line in lines if line["check"] == "optimizer_outside_scope"]
    assert "`d_optimizer` was created outside the scope" in line["message"]
    assert "MirroredStrategy" in line["message"]
