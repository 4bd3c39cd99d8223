"""Every import declared: a plain install runs every command.

`pip install -e .` brings `install_requires` only. keras-gen's optional
parts (W&B logging and sweeps, the `wandb` extra; the tests) must import
their packages where they are used and say which extra to install.
"""

import ast
import configparser
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted([*(ROOT / "keras_gen").rglob("*.py"), *(ROOT / "examples").glob("*.py")])

# Import name of each distribution that `install_requires` may name.
IMPORT_NAME = {"tensorflow": "tensorflow", "keras": "keras", "numpy": "numpy",
               "matplotlib": "matplotlib", "tqdm": "tqdm", "scipy": "scipy",
               "pillow": "PIL"}
# The other backends: each imported only by its own module, chosen by KERAS_BACKEND.
BACKENDS = {"jax": "keras_gen/backend/jax.py", "torch": "keras_gen/backend/torch.py"}
# Optional packages -> the extra that brings them.
OPTIONAL = {"wandb": "wandb", "sweeps": "wandb", "yaml": "wandb"}


def setup_cfg():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    return config


def requirement_names(text):
    return {re.split(r"[<>=!~\[; ]", line.strip())[0].lower()
            for line in text.strip().splitlines() if line.strip()}


def third_party_imports(path):
    """`[(module, at_module_level)]` for each non-stdlib, non-keras-gen import."""
    tree = ast.parse(path.read_text())
    top_level = set(map(id, tree.body))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module]
        else:
            continue
        for name in names:
            module = name.split(".")[0]
            if module not in sys.stdlib_module_names and module != "keras_gen":
                found.append((module, id(node) in top_level))
    return found


def test_install_requires_covers_every_unconditional_import():
    required = requirement_names(setup_cfg()["options"]["install_requires"])
    assert set(IMPORT_NAME) == required, "update IMPORT_NAME with setup.cfg"
    declared = set(IMPORT_NAME.values())
    problems = []
    for path in SOURCES:
        relative = path.relative_to(ROOT).as_posix()
        text = path.read_text()
        for module, at_module_level in third_party_imports(path):
            if module in declared:
                continue
            if module in BACKENDS and BACKENDS[module] == relative:
                continue
            if module in OPTIONAL:
                extra = OPTIONAL[module]
                if at_module_level:
                    problems.append(f"{relative}: optional {module!r} imported at module level")
                elif f"keras-gen[{extra}]" not in text:
                    problems.append(f"{relative}: no 'keras-gen[{extra}]' hint for {module!r}")
                continue
            problems.append(f"{relative}: {module!r} is not in install_requires")
    assert problems == []


def test_every_optional_package_is_in_its_extra():
    extras = setup_cfg()["options.extras_require"]
    distribution = {"wandb": "wandb", "sweeps": "sweeps", "yaml": "pyyaml"}
    for module, extra in OPTIONAL.items():
        assert distribution[module] in requirement_names(extras[extra]), module


# Runs a command with the optional packages (and the other backends)
# unimportable, as after a plain `pip install -e .`.
WITHOUT_EXTRAS = textwrap.dedent(
    """
    import runpy, sys
    for name in ("wandb", "sweeps", "yaml", "scipy", "pytest", "jax", "torch"):
        sys.modules[name] = None  # `import name` now raises ImportError.
    sys.argv = sys.argv[1:]
    runpy.run_path(sys.argv[0], run_name="__main__")
    """
)


def run_without_extras(*argv, timeout=300):
    env = {**os.environ, "KERAS_BACKEND": "tensorflow"}
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_EXTRAS, *map(str, argv)],
        capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=env,
    )


@pytest.mark.parametrize(
    "script", [ROOT / "keras_gen" / "cli.py", *sorted((ROOT / "examples").glob("*.py"))],
    ids=lambda p: p.name,
)
def test_help_runs_without_the_extras(script):
    result = run_without_extras(script, "--help")
    assert result.returncode == 0, result.stderr
    assert "usage:" in result.stdout


def test_a_sweep_without_the_extra_names_it(tmp_path):
    result = run_without_extras(ROOT / "keras_gen" / "cli.py", "sweep",
                                ROOT / "sweeps" / "latent.yaml")
    assert result.returncode != 0
    assert "pip install 'keras-gen[wandb]'" in result.stderr


def test_the_main_job_runs_without_the_extras(tmp_path):
    result = run_without_extras(
        ROOT / "examples" / "vae.py", "--epochs", "1", "--train_samples", "256",
        "--out", tmp_path / "vae",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "wandb is not installed (pip install 'keras-gen[wandb]')" in result.stdout
    assert (tmp_path / "vae" / "vae.keras").is_file()


@pytest.mark.slow
def test_a_plain_install_in_a_fresh_virtual_environment(tmp_path):
    # The real thing: `pip install -e .` (from the package registry) in a new
    # environment, then the commands of the README's first set-up line.
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    python = venv / "bin" / "python"
    subprocess.run([python, "-m", "pip", "install", "-q", "-e", ROOT], check=True,
                   timeout=3000)
    listed = subprocess.run([python, "-m", "pip", "list"], capture_output=True,
                            text=True, check=True).stdout.lower()
    assert "wandb" not in listed and "pyyaml" not in listed
    env = {**os.environ, "KERAS_BACKEND": "tensorflow"}
    keras_gen = venv / "bin" / "keras-gen"
    assert subprocess.run([keras_gen, "--help"], env=env, timeout=120).returncode == 0
    for script in sorted((ROOT / "examples").glob("*.py")):
        assert subprocess.run([python, script, "--help"], env=env, cwd=tmp_path,
                              capture_output=True, timeout=120).returncode == 0, script
    job = subprocess.run(
        [python, ROOT / "examples" / "vae.py", "--epochs", "1", "--train_samples",
         "256", "--out", tmp_path / "vae"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=900,
    )
    assert job.returncode == 0, job.stderr[-3000:]
    assert (tmp_path / "vae" / "vae.keras").is_file()


def test_the_version_has_one_source_and_a_changelog():
    # setup.cfg reads `keras_gen.__version__`; the changelog names the release.
    from setuptools.config.setupcfg import read_configuration

    import keras_gen

    root = Path(__file__).resolve().parents[1]
    assert "attr: keras_gen.__version__" in (root / "setup.cfg").read_text()
    metadata = read_configuration(str(root / "setup.cfg"))["metadata"]
    assert metadata["version"] == keras_gen.__version__
    changelog = (root / "CHANGELOG.md").read_text()
    assert f"## {keras_gen.__version__}" in changelog and "## Unreleased" in changelog



def requirement_lines(text):
    """`{name: the line as written}` for each requirement of a setup.cfg list."""
    from packaging.requirements import Requirement

    lines = [line.strip() for line in text.strip().splitlines()]
    return {Requirement(line).name: line for line in lines if line and not line.startswith("#")}


def test_keras_and_tensorflow_are_the_pinned_releases_and_the_docs_say_so():
    from importlib.metadata import version

    from packaging.requirements import Requirement

    config = setup_cfg()
    pinned = requirement_lines(config["options"]["install_requires"])
    pinned["jax"] = requirement_lines(config["options.extras_require"]["test"])["jax"]
    table = (ROOT / "docs" / "backends.md").read_text()
    for name in ("keras", "tensorflow", "jax"):
        specifier = Requirement(pinned[name]).specifier
        # A lower and an upper bound: the range a new release is tested into.
        assert len(specifier) == 2, pinned[name]
        installed = version(name)
        assert specifier.contains(installed), (
            f"{name} {installed} is installed, outside setup.cfg's {pinned[name]}")
        assert f"`{pinned[name]}`" in table, f"docs/backends.md does not state {pinned[name]}"
