"""`keras-gen sweep`: W&B sweep YAMLs run locally with the `sweeps` engine.

Runs are real offline W&B runs in a temporary WANDB_DIR; most use a small
stub program (no TensorFlow, about a second each) and one sweep trains the
real autoencoder example with tiny settings.
"""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

wandb = pytest.importorskip("wandb")
pytest.importorskip("sweeps")

from keras_gen import cli  # noqa: E402
from keras_gen import sweep  # noqa: E402
from keras_gen import tracking  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SWEEPS = sorted((REPO / "sweeps").glob("*.yaml"))

# A program that logs `score = 10 * x`, fails for x == 2 and sleeps for
# x == 9 (to be interrupted), once it has said so with a file `sleeping`
# next to itself.
STUB = """
import argparse, pathlib, sys, time
import wandb

parser = argparse.ArgumentParser()
parser.add_argument("--x", type=float, default=0.0)
run = wandb.init(config=vars(parser.parse_args()))
x = run.config.x
if x == 2:
    sys.exit("x == 2 is not allowed")
if x == 9:
    pathlib.Path(sys.argv[0]).with_name("sleeping").touch()
    time.sleep(120)
run.log({"score": 10 * x})
run.log({"score": 10 * x + 1})
run.log({"score": 10 * x})
run.finish()
"""

def _stub_sweep(tmp_path, **config):
    program = tmp_path / "stub.py"
    program.write_text(STUB)
    config = {
        "program": str(program),
        "method": "grid",
        "metric": {"name": "score", "goal": "minimize"},
        **config,
    }
    path = tmp_path / "stub.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


# The YAML files --------------------------------------------------------------


@pytest.mark.parametrize("path", SWEEPS, ids=[p.name for p in SWEEPS])
def test_every_sweep_file_is_valid(path):
    config = sweep.load_config(path)
    program = REPO / config["program"]
    assert program.is_file(), f"{path.name}: no program {program}"
    source = program.read_text()
    # Flag names must equal the parameter names, or `${args}` cannot set them.
    usage = subprocess.run(
        [sys.executable, str(program), "--help"], capture_output=True, text=True,
        timeout=60, check=True,
    ).stdout
    for name in config["parameters"]:
        assert f"--{name} " in usage, f"{path.name}: {program.name} has no --{name}"
    # The metric is one the program logs as a top-level key: Keras' `val_loss`,
    # or the sample quality that examples/gan.py adds to its epoch logs.
    logged = {"val_loss"} | ({"fcd"} if "SampleQuality(" in source else set())
    assert config["metric"]["name"] in logged, config["metric"]


def test_latent_sweep_is_the_standard_grid():
    config = yaml.safe_load((REPO / "sweeps" / "latent.yaml").read_text())
    assert config["program"] == "examples/autoencoder.py"
    assert config["method"] == "grid"
    assert config["parameters"] == {"latent_space": {"values": [2, 10, 100]}}
    assert config["metric"] == {"name": "val_loss", "goal": "minimize"}
    assert config["command"] == sweep.DEFAULT_COMMAND


def test_invalid_config_lists_every_violation(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({
        "method": "grud",
        "metrik": {"name": "loss"},
        "parameters": {"lr": {"min": 1.0, "max": 0.1}},
    }))
    with pytest.raises(sweep.SweepConfigError) as error:
        sweep.load_config(path)
    message = str(error.value)
    assert str(path) in message
    assert "'grud'" in message  # Unknown method,
    assert "metrik" in message  # unknown key,
    assert "lr" in message  # and min > max, all at once.
    assert message.count("\n  - ") >= 3


def test_cli_rejects_a_missing_program(tmp_path, capsys):
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump({
        "program": "no/such/program.py", "method": "grid",
        "parameters": {"a": {"values": [1]}},
    }))
    assert cli.main(["sweep", str(path)]) == 2
    assert "no/such/program.py" in capsys.readouterr().err


# Commands --------------------------------------------------------------------


def test_command_expands_like_wandb_agent(tmp_path):
    params = {"latent_space": 10, "learning_rate": 0.001, "flag": False,
              "on": True, "name": None}
    command = sweep.expand_command(None, params, "examples/autoencoder.py",
                                   interpreter="python")
    assert command == [
        "/usr/bin/env", "python", "examples/autoencoder.py",
        "--latent_space=10", "--learning_rate=0.001", "--flag=False",
        "--on=True", "--name=None",
    ]
    # Every `${...}` list is the one wandb agent builds.
    from wandb.sdk.launch.sweeps import utils

    expected = utils.create_sweep_command_args(
        {"args": {name: {"value": value} for name, value in params.items()}}
    )
    for macro in ("args", "args_no_hyphens", "args_no_boolean_flags",
                  "args_json", "args_no_equals", "args_override_hydra"):
        assert sweep.expand_command([f"${{{macro}}}"], params) == expected[macro]
    assert sweep.expand_command(
        ["run-${envvar:WHO}", "${unknown}", "${args_json_file}"], {},
        args_json_file="p.json", environ={"WHO": "me"},
    ) == ["run-me", "p.json"]


# Sweeps ----------------------------------------------------------------------


def test_grid_sweep_of_the_autoencoder(wandb_env, monkeypatch, capsys):
    # sweeps/latent.yaml as it is, made quick from the command line: --quick
    # fixes epochs=1 (and train_samples=2000, which --set overrides).
    monkeypatch.chdir(REPO)  # `program` is relative, as for `wandb agent`.
    assert cli.main([
        "sweep", "sweeps/latent.yaml", "--sweep_id", "grid0001", "--quick",
        "--set", "train_samples=256", "--set", f"out={wandb_env / 'out'}",
    ]) == 0

    output = capsys.readouterr().out
    table = output[output.index("\nrun ") + 1:].splitlines()
    assert table[0].split() == ["run", "state", "latent_space", "val_loss"]
    rows = [line.split() for line in table[1:4]]
    assert [row[-3:-1] for row in rows] == [
        ["finished", "2"], ["finished", "10"], ["finished", "100"]
    ]
    assert table[4] == "* best val_loss (minimize)"
    assert sum(row[1] == "*" for row in rows) == 1

    results = json.loads(
        (wandb_env / "wandb_dir" / "wandb" / "sweep-grid0001" / "results.json")
        .read_text()
    )
    assert [r["params"]["latent_space"] for r in results["runs"]] == [2, 10, 100]
    for result in results["runs"]:
        record = tracking.read_run(result["run_file"])
        assert record.sweep_id == "grid0001"
        assert record.run_id == result["run_id"]
        assert record.config["latent_space"] == result["params"]["latent_space"]
        assert record.config["epochs"] == 1
        assert record.config["train_samples"] == 256
        assert result["metric"] == record.summary["val_loss"] > 0
        assert f"{result['metric']:.6g}" in output


def test_failing_run_is_recorded_and_the_sweep_goes_on(wandb_env, capsys):
    path = _stub_sweep(wandb_env, parameters={"x": {"values": [1, 2, 3]}})
    assert cli.main(["sweep", str(path)]) == 1  # Some run failed.
    output = capsys.readouterr().out
    rows = [line.split() for line in output.splitlines()
            if line.split()[1:2] in (["finished"], ["failed"], ["*"])]
    assert [row[-3:] for row in rows] == [
        ["finished", "1", "10"], ["failed", "2", "-"], ["finished", "3", "30"]
    ]


def test_a_metric_the_runs_never_log_stops_the_sweep_with_an_error(wandb_env, capsys):
    path = _stub_sweep(
        wandb_env, metric={"name": "scor", "goal": "minimize"},
        parameters={"x": {"values": [1, 3, 4]}},
    )
    assert cli.main(["sweep", str(path)]) == 1
    captured = capsys.readouterr()
    assert "without logging the sweep's metric 'scor'; it logged score" in captured.out
    assert captured.out.count("  finished  ") == 1  # Stopped after the first run.


def test_set_fixes_parameters_and_rejects_what_it_cannot_read(wandb_env, capsys):
    path = _stub_sweep(wandb_env, parameters={"x": {"values": [1, 3]}})
    assert cli.main(["sweep", str(path), "--set", "x=4.5"]) == 0
    output = capsys.readouterr().out
    assert "45" in output and output.count("  finished  ") == 1
    assert cli.main(["sweep", str(path), "--set", "x"]) == 2
    assert "--set takes NAME=VALUE" in capsys.readouterr().err
    values = sweep.parse_assignments(["b=true", "a=text", "c=0.5"])
    assert values == {"b": True, "a": "text", "c": 0.5}
    config = sweep.override_parameters({"parameters": {"a": {"values": [1]}}}, values)
    assert config["parameters"] == {
        "a": {"value": "text"}, "b": {"value": True}, "c": {"value": 0.5}}


def test_bayes_search_gets_each_runs_metric(wandb_env):
    path = _stub_sweep(
        wandb_env, method="bayes",
        parameters={"x": {"min": 3.0, "max": 8.0}},
    )
    local = sweep.LocalSweep(sweep.load_config(path))
    results = local.run(count=3, log=lambda line: None)
    assert [r.state for r in results] == ["finished"] * 3
    for result in results:
        x = result.params["x"]
        assert 3.0 <= x <= 8.0
        # Final value and the whole history, as the engine wants them.
        assert result.metric == pytest.approx(10 * x)
        assert result.history == pytest.approx([10 * x, 10 * x + 1, 10 * x])
        sweep_run = result.to_sweep_run("score")
        assert sweep_run.metric_extremum("score", "minimum") == pytest.approx(10 * x)
    assert local.best() is min(results, key=lambda r: r.metric)


def test_ctrl_c_stops_the_sweep_and_keeps_finished_runs(wandb_env):
    path = _stub_sweep(wandb_env, parameters={"x": {"values": [1, 9, 3]}})
    sweep_dir = wandb_env / "wandb_dir" / "wandb" / "sweep-ctrlc001"

    # `keras-gen sweep` in a process of its own, as a user runs it from a
    # shell (the environment set by `wandb_env` goes with it). Ctrl-C's
    # handler is set explicitly: a process inherits an ignored SIGINT, and
    # in a full run pytest's process has it ignored by the time this test
    # runs (some library of an earlier test sets it), so a plain child
    # would ignore Ctrl-C too.
    program = ("import signal, sys; "
               "signal.signal(signal.SIGINT, signal.default_int_handler); "
               "from keras_gen import cli; sys.exit(cli.main(sys.argv[1:]))")
    command = [sys.executable, "-c", program, "sweep", str(path), "--sweep_id", "ctrlc001"]
    sweep_process = subprocess.Popen(command, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
    try:
        # Once the second run (x == 9) has started its W&B run and sleeps,
        # press Ctrl-C. A condition, not a fixed wait: W&B's service can
        # take long to start on a busy machine.
        deadline = time.monotonic() + 240
        while not (wandb_env / "sleeping").exists():
            assert sweep_process.poll() is None, sweep_process.communicate()[0]
            assert time.monotonic() < deadline, "the second run never started"
            time.sleep(0.05)
        sweep_process.send_signal(signal.SIGINT)
        output, _ = sweep_process.communicate(timeout=180)
    finally:
        sweep_process.kill()

    assert sweep_process.returncode == 130, output
    assert "interrupted" in output
    runs = json.loads((sweep_dir / "results.json").read_text())["runs"]
    assert [(r["params"]["x"], r["state"]) for r in runs] == [
        (1, "finished"), (9, "killed")
    ]
    # The finished run is on disk, whole; the stopped one ended its W&B run.
    assert tracking.read_run(runs[0]["run_file"]).summary["score"] == 10
    assert tracking.read_run(runs[1]["run_file"]).exit_code != 0
