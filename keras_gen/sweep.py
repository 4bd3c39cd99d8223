"""Runs a W&B sweep on this machine, without a W&B server.

`wandb sweep` + `wandb agent` need W&B's sweep service. This module drives
the same sweep YAML with W&B's own open-source sweep engine, the `sweeps`
package, and launches each run as `wandb agent` does:

1. The YAML is checked against the engine's schema.
2. The engine proposes the next run's parameters (grid, random or bayes).
3. The YAML's `command` (default `${env} ${interpreter} ${program} ${args}`)
   is expanded as the agent expands it: `${args}` to `--name=value` flags,
   `${args_no_hyphens}` to `name=value`, `${args_json}` to one JSON object,
   `${args_no_boolean_flags}`, `${args_json_file}`, and `${envvar:NAME}`
   inside any element to that environment variable. `${interpreter}` is the
   Python running keras-gen (the agent uses `python` from `PATH`: the same
   interpreter in an activated environment).
4. The run gets the agent's environment: `WANDB_SWEEP_ID`, `WANDB_RUN_ID`,
   and `WANDB_SWEEP_PARAM_PATH`, a YAML file of `{name: {value: v}}` that
   `wandb.init` applies to `run.config`. Runs are offline (`WANDB_MODE` is
   set to `offline` unless you set it): the W&B server does not know a local
   sweep.
5. When the run ends, its metric is read back from its `.wandb` file
   (`$WANDB_DIR/wandb/*-RUN_ID/run-RUN_ID.wandb`): the summary value, and the
   logged history for bayes search. That works for any program that logs
   the metric with `wandb.log`, needs no cooperation from it, and is what
   W&B itself would upload.

A run that exits with an error is recorded as failed and the sweep goes on.
Ctrl-C stops the current run (SIGINT, then SIGTERM) and the sweep; the runs
already done stay on disk. The sweep's files are in
`$WANDB_DIR/wandb/sweep-SWEEP_ID/`: the config, one parameter file per run,
and `results.json`.
"""

import argparse
import json
import math
import os
import secrets
import signal
import string
import subprocess
import sys
import time
import warnings

from keras_gen import files
from keras_gen import tracking

DEFAULT_COMMAND = ["${env}", "${interpreter}", "${program}", "${args}"]

# Give a stopped run time to finish its W&B run before it is terminated.
STOP_TIMEOUT_S = 30

# Like `wandb agent`: give up on a program that fails this many times in a
# row (it is broken, and a random or bayes sweep would never end).
MAX_CONSECUTIVE_FAILURES = 5

_ID_ALPHABET = string.ascii_lowercase + string.digits

# `--quick`: one epoch on 2,000 images, flags every example takes.
QUICK = {"epochs": 1, "train_samples": 2000}


class SweepConfigError(ValueError):
    """A sweep YAML that cannot be run; the message lists every problem."""


class RunResult:
    """One run of a local sweep.

    Attributes:
        run_id: The W&B run id (`WANDB_RUN_ID`).
        params: `{name: value}` proposed by the sweep engine.
        state: `"finished"`, `"failed"` or `"killed"` (the engine's states).
        exit_code: The program's exit code (negative: killed by a signal).
        metric: The final value of the sweep metric, or None.
        history: Every logged value of the sweep metric, in order.
        run_file: The run's `.wandb` file, or None if none was found.
        logged: Names of the values the run logged (history and summary),
            read from its run file.
        seconds: Wall-clock duration.
    """

    def __init__(self, run_id, params):
        self.run_id = run_id
        self.params = params
        self.state = "running"
        self.exit_code = None
        self.metric = None
        self.history = []
        self.run_file = None
        self.logged = []
        self.seconds = None

    def missed_metric(self):
        """Whether the run finished and logged values, none of them the metric."""
        return self.state == "finished" and self.metric is None and bool(self.logged)

    def to_sweep_run(self, metric_name):
        """This run as the engine's `SweepRun`, for its next proposal."""
        import sweeps

        summary = {} if self.metric is None else {metric_name: self.metric}
        # By alias: under pydantic 2, sweeps 0.2 silently drops these fields
        # when they are passed by their Python names.
        return sweeps.SweepRun(
            name=self.run_id,
            state=self.state,
            config={name: {"value": value} for name, value in self.params.items()},
            summaryMetrics=summary,
            sampledHistory=[{metric_name: value} for value in self.history],
        )

    def to_dict(self):
        return {
            "run_id": self.run_id,
            "params": self.params,
            "state": self.state,
            "exit_code": self.exit_code,
            "metric": self.metric,
            "run_file": self.run_file,
            "logged": self.logged,
            "seconds": self.seconds,
        }


def _needs_the_extra(error):
    return ImportError(
        "`keras-gen sweep` needs W&B's sweep engine, wandb and PyYAML: "
        "pip install 'keras-gen[wandb]' (or: pip install 'sweeps==0.2.*' "
        f"wandb pyyaml). Import failed with: {error}"
    )


def _import_sweeps():
    try:
        with warnings.catch_warnings():
            # sweeps 0.2 declares a pydantic-v1 style config: harmless.
            warnings.simplefilter("ignore")
            import sweeps
    except ImportError as error:
        raise _needs_the_extra(error) from error
    return sweeps


def _import_yaml():
    # Imported on use: a plain install (no `wandb` extra) runs `--help`.
    try:
        import yaml
    except ImportError as error:
        raise _needs_the_extra(error) from error
    return yaml


def load_config(path):
    """Reads a sweep YAML and checks it with the sweep engine's schema.

    Args:
        path: The YAML file, e.g. `"sweeps/latent.yaml"`.

    Returns:
        The config as a `sweeps.SweepConfig` (a dict with defaults filled in).

    Raises:
        SweepConfigError: listing every violation found.
    """
    sweeps = _import_sweeps()
    yaml = _import_yaml()
    try:
        with open(path) as f:
            config = yaml.safe_load(f)
    except (OSError, yaml.YAMLError) as error:
        raise SweepConfigError(f"Cannot read sweep config {path}: {error}") from None
    if not isinstance(config, dict):
        raise SweepConfigError(
            f"Sweep config {path} must be a YAML mapping with `method` and "
            f"`parameters`. Received: {type(config).__name__}"
        )
    try:
        problems = sweeps.schema_violations_from_proposed_config(config)
    except ValueError as error:  # Raised for shapes the schema cannot walk.
        problems = [str(error)]
    # The engine can report one problem twice (schema and its own check).
    problems = list(dict.fromkeys(problems + _other_problems(config)))
    if problems:
        raise SweepConfigError(
            f"Sweep config {path} is not valid:\n"
            + "\n".join(f"  - {problem}" for problem in problems)
        )
    return sweeps.SweepConfig(config)


def _other_problems(config):
    """What the schema allows but a run of the sweep would trip over."""
    problems = []
    command = config.get("command", DEFAULT_COMMAND)
    if isinstance(command, list):
        uses_program = any("${program}" in str(part) for part in command)
        if uses_program and not config.get("program"):
            problems.append(
                "'program' is required: the command uses ${program}"
            )
    if config.get("method") == "bayes" and "metric" not in config:
        problems.append("'metric' is required for bayes search")
    return problems


def expand_command(command, params, program=None, interpreter=None,
                   args_json_file=None, environ=None):
    """Expands a sweep `command` exactly as `wandb agent` does.

    Args:
        command: The YAML's `command` list, or None for the default
            `${env} ${interpreter} ${program} ${args}`.
        params: `{name: value}` of the run.
        program: The YAML's `program`.
        interpreter: What `${interpreter}` becomes; defaults to this Python.
        args_json_file: What `${args_json_file}` becomes.
        environ: Environment for `${envvar:NAME}`; defaults to `os.environ`.

    Returns:
        The argument list to execute.
    """
    environ = os.environ if environ is None else environ
    flags = [f"--{name}={value}" for name, value in params.items()]
    macros = {
        "args": flags,
        "args_no_equals": [
            part for name, value in params.items() for part in (f"--{name}", str(value))
        ],
        "args_no_hyphens": [flag[2:] for flag in flags],
        # Booleans become bare flags, and False ones disappear.
        "args_no_boolean_flags": [
            f"--{name}" if value is True else f"--{name}={value}"
            for name, value in params.items()
            if value is not False
        ],
        "args_json": [json.dumps(params)],
        "args_append_hydra": ["+" + flag[2:] for flag in flags],
        "args_override_hydra": ["++" + flag[2:] for flag in flags],
        "interpreter": [interpreter or sys.executable],
        "program": [program] if program is not None else [],
        "args_json_file": [args_json_file] if args_json_file else [],
    }
    if os.name != "nt":
        macros["env"] = ["/usr/bin/env"]
    expanded = []
    for part in command or DEFAULT_COMMAND:
        part = _expand_envvars(str(part), environ)
        if part.startswith("${") and part.endswith("}"):
            # An unknown macro expands to nothing, as in the agent.
            expanded += macros.get(part[2:-1]) or []
        else:
            expanded.append(part)
    return expanded


def _expand_envvars(part, environ):
    """Replaces `${envvar:NAME}` (left as NAME when unset, like the agent)."""
    while "${envvar:" in part:
        start = part.index("${envvar:")
        end = part.find("}", start)
        if end < 0:
            break
        name = part[start + len("${envvar:"):end]
        part = part[:start] + environ.get(name, name) + part[end + 1:]
    return part


def new_id():
    """A random 8-character id in W&B's style."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(8))


class LocalSweep:
    """A sweep run on this machine with the `sweeps` engine.

    Args:
        config: A sweep config dict or `sweeps.SweepConfig` (see
            `load_config`).
        sweep_id: Id of the sweep; a new random one by default.
        wandb_dir: The folder that gets `wandb/` (runs and the sweep's
            files). Defaults to `$WANDB_DIR`, else the working directory.
        interpreter: What `${interpreter}` expands to; defaults to the
            Python running this code.
        stop_timeout: Seconds a run gets after Ctrl-C (SIGINT) before it is
            terminated.
    """

    def __init__(self, config, sweep_id=None, wandb_dir=None, interpreter=None,
                 stop_timeout=STOP_TIMEOUT_S):
        sweeps = _import_sweeps()
        self.config = sweeps.SweepConfig(config)
        self.sweep_id = sweep_id or new_id()
        self.wandb_dir = os.path.abspath(
            wandb_dir or os.environ.get("WANDB_DIR") or os.getcwd()
        )
        self.interpreter = interpreter or sys.executable
        self.stop_timeout = stop_timeout
        self.directory = os.path.join(
            self.wandb_dir, "wandb", f"sweep-{self.sweep_id}"
        )
        self.results = []
        metric = self.config.get("metric") or {}
        self.metric_name = metric.get("name")
        self.goal = metric.get("goal", "minimize")

    def next_params(self):
        """The engine's next proposal as `{name: value}`, or None when done."""
        sweeps = _import_sweeps()
        runs = [result.to_sweep_run(self.metric_name) for result in self.results]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # sklearn chatter in bayes search.
            proposal = sweeps.next_run(self.config, runs)
        if proposal is None:
            return None
        # Plain Python values, as the W&B server would send them: the engine
        # proposes NumPy scalars, which YAML and JSON cannot write.
        return {
            name: _plain(spec["value"]) for name, spec in proposal.config.items()
        }

    def run(self, count=None, log=print):
        """Runs the sweep until the grid is done or `count` runs have run.

        Args:
            count: Maximum number of runs; None runs until the engine stops
                proposing (random and bayes search never do: use Ctrl-C).
            log: Where progress lines go.

        Returns:
            The list of `RunResult`, also in `self.results`.

        Raises:
            KeyboardInterrupt: after stopping the current run and recording
                it as killed.
        """
        os.makedirs(self.directory, exist_ok=True)
        files.write_text(
            os.path.join(self.directory, "config.yaml"),
            _import_yaml().safe_dump(dict(self.config), sort_keys=False),
        )
        failures = 0
        while count is None or len(self.results) < count:
            params = self.next_params()
            if params is None:
                log(f"Sweep {self.sweep_id}: the search space is exhausted.")
                break
            result = self.run_one(params, log=log)
            if result.missed_metric():
                # Every later run would miss it too, and the search is blind.
                log(self.missing_metric_message(result))
                break
            failures = failures + 1 if result.state == "failed" else 0
            if failures >= MAX_CONSECUTIVE_FAILURES:
                log(
                    f"Sweep {self.sweep_id}: stopping after {failures} failed "
                    "runs in a row; fix the program and start again."
                )
                break
        return self.results

    def run_one(self, params, log=print):
        """Launches one run with `params` and records its result."""
        result = RunResult(new_id(), params)
        self.results.append(result)
        param_path = os.path.join(self.directory, f"config-{result.run_id}.yaml")
        json_path = os.path.join(self.directory, f"config-{result.run_id}.json")
        _write_param_file(param_path, params)
        command = self.config.get("command") or DEFAULT_COMMAND
        if any("${args_json_file}" in str(part) for part in command):
            files.write_json(json_path, params)  # Only when used, as the agent.
        env = self._run_env(result.run_id, param_path)
        command = expand_command(
            command, params, self.config.get("program"), self.interpreter,
            json_path, env,
        )
        log(
            f"Sweep {self.sweep_id}: run {len(self.results)} ({result.run_id}): "
            + " ".join(command)
        )
        start = time.monotonic()
        try:
            process = _start(command, env)
        except OSError as error:  # The command itself cannot run.
            log(f"Sweep {self.sweep_id}: cannot run {command[0]!r}: {error}")
            process = None
            result.state = "failed"
        try:
            if process is not None:
                result.exit_code = self._wait(process)
                result.state = "finished" if result.exit_code == 0 else "failed"
        except KeyboardInterrupt:
            result.state = "killed"
            raise
        finally:
            result.seconds = round(time.monotonic() - start, 1)
            self._read_metric(result, log)
            self._save_results()
        return result

    def _run_env(self, run_id, param_path):
        env = dict(os.environ)
        env.update({
            "WANDB_SWEEP_ID": self.sweep_id,
            "WANDB_RUN_ID": run_id,
            "WANDB_SWEEP_PARAM_PATH": param_path,
            "WANDB_DIR": self.wandb_dir,
        })
        # W&B's server does not know a local sweep: log offline unless told.
        env.setdefault("WANDB_MODE", "offline")
        for key, variable in (("project", "WANDB_PROJECT"), ("entity", "WANDB_ENTITY")):
            if self.config.get(key):
                env.setdefault(variable, str(self.config[key]))
        return env

    def _wait(self, process):
        """Waits for a run; on Ctrl-C stops it gently, then less gently."""
        try:
            return process.wait()
        except KeyboardInterrupt:
            _stop(process, self.stop_timeout)
            raise

    def _read_metric(self, result, log):
        result.run_file = tracking.find_run_file(result.run_id, self.wandb_dir)
        if result.run_file is None or self.metric_name is None:
            return
        try:
            record = tracking.read_run(result.run_file)
        except Exception as error:  # A damaged file must not end the sweep.
            log(f"Sweep {self.sweep_id}: cannot read {result.run_file}: {error}")
            return
        result.logged = sorted({
            name for row in [*record.history, record.summary] for name in row
            if not name.startswith("_")  # W&B's own: _step, _runtime, ...
        })
        result.history = [v for v in record.metric(self.metric_name) if _is_number(v)]
        final = record.summary.get(self.metric_name)
        result.metric = final if _is_number(final) else (
            result.history[-1] if result.history else None
        )

    def missing_metric_message(self, result):
        """Says that `result` never logged the sweep's metric, and what it did log."""
        return (
            f"Sweep {self.sweep_id}: stopped. Run {result.run_id} finished "
            f"without logging the sweep's metric {self.metric_name!r}; it logged "
            f"{', '.join(result.logged)}. Set `metric: name:` in the sweep YAML "
            "to one of these."
        )

    def _save_results(self):
        files.write_json(
            os.path.join(self.directory, "results.json"),
            {
                "sweep_id": self.sweep_id,
                "method": self.config.get("method"),
                "metric": self.config.get("metric"),
                "runs": [result.to_dict() for result in self.results],
            },
            indent=2,
        )

    def best(self):
        """The finished run with the best metric, or None."""
        scored = [
            r for r in self.results if r.state == "finished" and r.metric is not None
        ]
        if not scored:
            return None
        pick = max if self.goal == "maximize" else min
        return pick(scored, key=lambda r: r.metric)

    def table(self):
        """The runs as a text table: id, state, parameters, metric."""
        names = self._varied_params()
        metric = self.metric_name or "metric"
        header = ["run", "state", *names, metric]
        best = self.best()
        rows = [
            [
                result.run_id + (" *" if result is best else ""),
                result.state,
                *(_format(result.params.get(name)) for name in names),
                _format(result.metric),
            ]
            for result in self.results
        ]
        widths = [max(len(str(cell)) for cell in column)
                  for column in zip(header, *rows)]
        lines = [
            "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths))
            .rstrip()
            for row in [header, *rows]
        ]
        if best is not None:
            lines.append(f"* best {metric} ({self.goal})")
        return "\n".join(lines)

    def _varied_params(self):
        """Parameter names that the sweep searches over (not constants)."""
        spec = self.config.get("parameters", {})
        names = [name for name, p in spec.items() if "value" not in p]
        return names or list(spec)


def _write_param_file(path, params):
    """Writes `{name: {value: v}}` in the format of the agent's file."""
    body = _import_yaml().safe_dump(
        {name: {"value": value} for name, value in params.items()},
        default_flow_style=False, sort_keys=False,
    )
    files.write_text(path, "wandb_version: 1\n\n" + body)


def _start(command, env):
    """Starts a run in its own process group, as `wandb agent` does.

    Ctrl-C in the terminal then reaches keras-gen only, which stops the run
    in its own time (see `_stop`). The run's stdin is closed, so a program
    that reads it gets EOF instead of hanging in the background.
    """
    if os.name == "nt":
        options = {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
    else:
        options = {"process_group": 0}
    process = subprocess.Popen(command, env=env, stdin=subprocess.PIPE, **options)
    process.stdin.close()
    return process


def _stop(process, timeout):
    """Stops a run: SIGINT (a Ctrl-C of its own), then SIGTERM, then SIGKILL.

    The run gets `timeout` seconds to finish its W&B run after SIGINT and 10
    after SIGTERM; another Ctrl-C skips to the next step.
    """
    steps = [(process.terminate, 10), (process.kill, None)]
    if os.name != "nt":
        steps.insert(0, (lambda: process.send_signal(signal.SIGINT), timeout))
    for send, wait_s in steps:
        if process.poll() is not None:
            return
        try:
            send()
            process.wait(timeout=wait_s)
        except (subprocess.TimeoutExpired, KeyboardInterrupt):
            continue
        except OSError:  # It ended on its own meanwhile.
            return


def _plain(value):
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value.item() if hasattr(value, "item") and hasattr(value, "dtype") else value


def _is_number(value):
    return (
        isinstance(value, (int, float)) and not isinstance(value, bool)
        and math.isfinite(value)
    )


def _format(value):
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def build_parser(parser=None):
    """The arguments of `keras-gen sweep`."""
    parser = parser or argparse.ArgumentParser(prog="keras-gen sweep")
    parser.description = (
        "Run a W&B sweep YAML locally with W&B's sweep engine (no W&B server "
        "or account needed); runs are logged offline."
    )
    parser.add_argument("config", help="Sweep YAML, e.g. sweeps/latent.yaml.")
    parser.add_argument(
        "--count", type=int, default=None,
        help="Maximum number of runs (default: the whole grid; random and "
        "bayes search run until Ctrl-C).",
    )
    parser.add_argument("--sweep_id", default=None,
                        help="Id of the sweep (default: a new random one).")
    parser.add_argument(
        "--set", action="append", default=[], metavar="NAME=VALUE",
        help="Fix a parameter of every run, replacing the YAML's entry for it "
        "(VALUE is read as YAML: 1, 0.5, true, text); repeatable.",
    )
    parser.add_argument(
        "--quick", action="store_true",
        help="A fast try of the sweep: --set "
        + " --set ".join(f"{k}={v}" for k, v in QUICK.items())
        + " (the examples' flags), unless --set says otherwise.",
    )
    return parser


def parse_assignments(assignments):
    """`{name: value}` from `NAME=VALUE` strings, values read as YAML.

    Raises:
        SweepConfigError: for a string without `=` or with an empty name.
    """
    values = {}
    for assignment in assignments:
        name, equals, text = assignment.partition("=")
        if not equals or not name.strip():
            raise SweepConfigError(
                "--set takes NAME=VALUE, e.g. --set epochs=1. Received: "
                f"{assignment!r}"
            )
        values[name.strip()] = _import_yaml().safe_load(text)
    return values


def override_parameters(config, values):
    """The sweep config with parameters fixed to `values`.

    Args:
        config: The sweep config (a dict).
        values: `{name: value}`; each replaces `parameters[name]` with
            `{"value": value}`.

    Returns:
        A new config.
    """
    parameters = dict(config.get("parameters") or {})
    parameters.update({name: {"value": value} for name, value in values.items()})
    return {**config, "parameters": parameters}


def main(args):
    """Runs `keras-gen sweep` with parsed `args`; returns the exit status."""
    if args.count is not None and args.count < 1:
        print(f"--count must be a positive integer. Received: {args.count}",
              file=sys.stderr)
        return 2
    try:
        config = load_config(args.config)
        # `--set` wins over `--quick`.
        values = {**(QUICK if args.quick else {}), **parse_assignments(args.set)}
        if values:
            config = override_parameters(config, values)
    except (SweepConfigError, ImportError) as error:
        print(error, file=sys.stderr)
        return 2
    program = config.get("program")
    if program and not os.path.exists(program):
        print(
            f"The sweep's program {program!r} does not exist here; `wandb "
            "agent` runs it relative to the working directory, and so does "
            f"keras-gen sweep. Run from the folder it is relative to "
            f"(working directory: {os.getcwd()}).",
            file=sys.stderr,
        )
        return 2
    sweep = LocalSweep(config, sweep_id=args.sweep_id)
    if "early_terminate" in config:
        print("Note: early_terminate needs W&B's server; locally every run "
              "trains to the end.")
    if args.count is None and config["method"] != "grid":
        print(f"{config['method']} search has no end: stop it with Ctrl-C, or "
              "pass --count.")
    status = 0
    try:
        sweep.run(count=args.count)
    except KeyboardInterrupt:
        print(f"\nSweep {sweep.sweep_id} interrupted; the runs already done "
              "are kept.")
        status = 130
    print()
    print(f"Sweep {sweep.sweep_id} ({config['method']}), {len(sweep.results)} "
          f"runs; files in {sweep.directory}")
    print(sweep.table())
    if any(result.state == "failed" for result in sweep.results):
        status = status or 1
    if any(result.missed_metric() for result in sweep.results):
        status = status or 1  # `run()` said why it stopped.
    return status
