"""Quiet, fast commands: `--help` without a backend, no start-up banners."""

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from keras_gen import console

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
BACKENDS = ("keras", "tensorflow", "jax", "torch")

# Runs a script as `python <script> --help` would, then lists the backends
# (and Keras) that were imported.
HELP_PROBE = textwrap.dedent(
    """
    import runpy, sys
    sys.argv = [*sys.argv[1:], "--help"]
    try:
        runpy.run_path(sys.argv[0], run_name="__main__")
    except SystemExit:
        pass
    print("IMPORTED", sorted(set(sys.modules) & set({backends!r})))
    """
).format(backends=BACKENDS)


def probe(*argv):
    result = subprocess.run(
        [sys.executable, "-c", HELP_PROBE, *map(str, argv)],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.name)
def test_example_help_shows_every_default_without_loading_a_backend(script):
    output = probe(script)
    assert "IMPORTED []" in output
    # Every flag has help text, and the formatter shows its default.
    options = output.split("options:", 1)[1].split("IMPORTED", 1)[0]
    flags = [line.split()[0] for line in options.splitlines()
             if line.startswith("  -")]
    assert len(flags) > 8
    for flag in flags[1:]:  # After -h.
        entry = options.split(flag, 1)[1].split("\n  -", 1)[0]
        assert "(default:" in entry, (flag, entry)


def test_cli_help_loads_no_backend():
    output = probe(ROOT / "keras_gen" / "cli.py", "sweep")
    assert "--count" in output
    assert "IMPORTED []" in output


def test_import_keras_drops_cpp_log_lines_and_keeps_the_rest(capfd):
    with console._stderr_filtered():
        os.write(2, b"WARNING: All log messages before absl::InitializeLog() "
                    b"is called are written to STDERR\n")
        os.write(2, b"I0000 00:00:1796160486.729926   14668 port.cc:153] "
                    b"oneDNN custom operations are on.\n")
        os.write(2, b"E0000 00:00:1796160591.489220   15272 cuda_platform.cc:52]"
                    b" failed call to cuInit\n")
        os.write(2, b"To enable the following instructions: AVX2 FMA\n")
        os.write(2, b"UserWarning: a real warning\n")
        os.write(2, b"Traceback: a real error\n")
    captured = capfd.readouterr()
    assert captured.err == "UserWarning: a real warning\nTraceback: a real error\n"


def test_the_filter_restores_stderr_after_an_error(capfd):
    with pytest.raises(RuntimeError), console._stderr_filtered():
        raise RuntimeError("boom")
    os.write(2, b"I0000 00:00:1.5 1 x.cc:1] after the window\n")
    assert "after the window" in capfd.readouterr().err


def test_an_example_prints_no_backend_banner(tmp_path):
    script = textwrap.dedent(
        """
        from keras_gen import console
        keras = console.import_keras()
        print(keras.ops.convert_to_numpy(keras.ops.ones(2)).sum())
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True,
        timeout=120, env={k: v for k, v in os.environ.items()
                          if k != "TF_CPP_MIN_LOG_LEVEL"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "2.0"
    assert result.stderr == "", result.stderr


def test_load_model_registers_the_classes_in_a_fresh_process(tmp_path):
    import keras_gen

    path = tmp_path / "ae.keras"
    keras_gen.Autoencoder(input_shape=(4,), latent_space=2, intermediate_dim=3).save(path)
    script = textwrap.dedent(
        f"""
        import sys
        import keras_gen
        assert "keras_gen.models" not in sys.modules  # import keras_gen is light
        model = keras_gen.load_model({str(path)!r})
        print(type(model).__name__)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Autoencoder"


COMMON_FLAGS = {
    "-h", "--dataset", "--epochs", "--batch_size", "--train_samples", "--seed",
    "--out", "--no-wandb", "--log_every_n_batches", "--distribute",
}


def parser_flags(script):
    """`{flag: (default, choices)}` as the script's `--help` lists them."""
    options = probe(script).split("options:", 1)[1].split("IMPORTED", 1)[0]
    flags = {}
    for entry in re.split(r"\n  (?=-)", "\n" + options):
        words = " ".join(entry.split())
        if not words:
            continue
        default = re.search(r"\(default: ([^)]*)\)", words)
        choices = re.match(r"\S+ \{([^}]*)\}", words)
        flags[words.split()[0].rstrip(",")] = (
            default and default.group(1),
            choices and set(choices.group(1).split(",")),
        )
    return flags


def example_rows():
    # The flag table of the Examples page (the README points at it).
    page = (ROOT / "docs" / "examples.md").read_text()
    assert page.startswith("# Examples\n")
    section = page.split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        match = re.match(r"\| `examples/(\w+\.py)` \| `([^`]*)` \| (\d+) \| (\d+) \|", line)
        if match:
            rows[match.group(1)] = match.groups()[1:]
    return rows


def test_the_examples_flag_table_matches_every_parser():
    rows = example_rows()
    assert sorted(rows) == [script.name for script in EXAMPLES]
    for script in EXAMPLES:
        text, epochs, batch_size = rows[script.name]
        flags = parser_flags(script)
        listed, choices = [], {}
        for word in text.replace("\\|", "|").split():
            if word.startswith("--"):
                listed.append(word)
            else:
                choices[listed[-1]] = set(word.split("|"))
        assert set(listed) == set(flags) - COMMON_FLAGS, script.name
        assert COMMON_FLAGS <= set(flags), script.name
        for flag, values in choices.items():
            assert values == flags[flag][1], (script.name, flag)
        assert (epochs, batch_size) == (
            flags["--epochs"][0], flags["--batch_size"][0]), script.name


@pytest.fixture
def tensorflow_backend():
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "tensorflow":
        pytest.skip("checks the TensorFlow backend's answers")
    return keras


def test_distribution_none_changes_nothing(tensorflow_backend):
    import tensorflow as tf

    with console.distribution("none"):
        assert not tf.distribute.has_strategy()
        assert tensorflow_backend.distribution.distribution() is None


@pytest.mark.parametrize("name", ["data_parallel", "ring"])
def test_distribution_names_the_backend_it_needs(tensorflow_backend, name):
    # On TensorFlow, data_parallel (JAX's) and unknown names are refused.
    with pytest.raises(ValueError, match="--distribute must be one of none, mirrored, "
                                         "multi_worker, data_parallel.*Received: "
                                         f"--distribute {name} on tensorflow"):
        console.distribution(name)


def test_multi_worker_needs_tf_config(tensorflow_backend, monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(ValueError, match="needs TF_CONFIG.*Received: TF_CONFIG unset"):
        console.distribution("multi_worker")
