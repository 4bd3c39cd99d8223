"""A run killed with SIGKILL and restarted ends bit-identical to an uninterrupted one.

Each job is tests/resume_job.py in a fresh interpreter (the same thread
count): once uninterrupted, and once killed and restarted until it finishes.
TensorFlow for the three models; JAX for the semi-supervised one, whose
batches go through Keras' `PyDataset` route there.
"""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

JOB = Path(__file__).with_name("resume_job.py")


def run_job(out, name, plan="", backend="tensorflow"):
    """Runs the job until it finishes; returns how many times it was killed."""
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} is not installed")
    out.mkdir(exist_ok=True)
    env = {**os.environ, "KERAS_BACKEND": backend, "OMP_NUM_THREADS": "1",
           "TF_NUM_INTEROP_THREADS": "1", "TF_NUM_INTRAOP_THREADS": "1"}
    kills = 0
    while True:
        result = subprocess.run(
            [sys.executable, str(JOB), str(out), name, plan],
            env=env, capture_output=True, text=True, timeout=300,
        )
        if result.returncode == 0:
            return kills
        assert result.returncode == -9 and kills == 0, result.stderr[-3000:]
        kills += 1


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    results = {}

    def get(name, backend):
        if (name, backend) not in results:
            out = tmp_path_factory.mktemp(f"uninterrupted_{name}_{backend}")
            run_job(out, name, backend=backend)
            results[name, backend] = dict(np.load(out / "result.npz"))
        return results[name, backend]

    return get


@pytest.mark.parametrize(
    "name, plan, backend",
    [
        ("gan", "batch:1:2", "tensorflow"),  # Mid-epoch: epoch 1 reruns.
        ("aae", "save:2", "tensorflow"),  # Mid-backup: that one is ignored.
        ("semi", "batch:2:0", "tensorflow"),
        # Keras' PyDataset route, not tf.data: its epochs must line up too.
        ("semi", "batch:1:3", "jax"),
    ],
)
def test_killed_run_resumes_bit_identical(name, plan, backend, tmp_path, uninterrupted):
    assert run_job(tmp_path, name, plan, backend) == 1
    resumed = dict(np.load(tmp_path / "result.npz"))
    expected = uninterrupted(name, backend)
    variables = [key for key in expected if key.startswith("variable_")]
    assert variables and set(variables) == {
        key for key in resumed if key.startswith("variable_")
    }
    for key in variables:
        np.testing.assert_array_equal(resumed[key], expected[key], err_msg=key)
    # The resumed process trained the last epochs only; their losses match.
    epochs = resumed["epochs"]
    assert 0 < len(epochs) < 3 and epochs[-1] == 2
    for key in (k for k in expected if k.startswith("history_")):
        np.testing.assert_array_equal(resumed[key], expected[key][epochs], err_msg=key)
    # No backup is left once training ends; nor a half-written one.
    assert not (tmp_path / "backup").exists()
