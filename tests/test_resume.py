"""A run killed with SIGKILL and restarted ends bit-identical to an uninterrupted one.

Each job is tests/resume_job.py in a fresh interpreter (the same thread
count): once uninterrupted, and once killed and restarted until it finishes.
"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

JOB = Path(__file__).with_name("resume_job.py")


def run_job(out, name, plan=""):
    """Runs the job until it finishes; returns how many times it was killed."""
    out.mkdir(exist_ok=True)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1",
           "TF_NUM_INTRAOP_THREADS": "1"}
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

    def get(name):
        if name not in results:
            out = tmp_path_factory.mktemp(f"uninterrupted_{name}")
            run_job(out, name)
            results[name] = dict(np.load(out / "result.npz"))
        return results[name]

    return get


@pytest.mark.parametrize(
    "name, plan",
    [
        ("gan", "batch:1:2"),  # Mid-epoch: epoch 1 reruns from its backup.
        ("aae", "save:2"),  # Mid-backup: the half-written one is ignored.
        ("semi", "batch:2:0"),
    ],
)
def test_killed_run_resumes_bit_identical(name, plan, tmp_path, uninterrupted):
    assert run_job(tmp_path, name, plan) == 1
    resumed = dict(np.load(tmp_path / "result.npz"))
    expected = uninterrupted(name)
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
