"""`import keras_gen` registers every serializable class with Keras.

A user loads a model as Keras users do, `keras.saving.load_model(path)`, in a
new process that imported keras-gen (before or after Keras); the package
import itself stays light: no Keras, no backend until something needs one.
"""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import zoo

LOAD = textwrap.dedent(
    """
    import sys
    {imports}
    import numpy as np
    expected = np.load(sys.argv[1])
    for name in sys.argv[2:]:
        model = keras.saving.load_model(f"{{sys.argv[1]}}.{{name}}.keras")
        weights = [np.asarray(w) for w in model.get_weights()]
        assert len(weights) == int(expected[f"{{name}}/count"]), name
        for i, w in enumerate(weights):
            assert np.array_equal(w, expected[f"{{name}}/{{i}}"]), (name, i)
        print(name, type(model).__name__)
    """
)

IMPORT_ORDERS = {
    "keras_gen_then_keras": "import keras_gen\nimport keras",
    "keras_then_keras_gen": "import keras\nimport keras_gen",
    # A keras-gen module that imports Keras on its first lines: the
    # registration waits until that module is whole.
    "a_submodule_first": "import keras_gen.layers\nimport keras",
    "callbacks_first": "from keras_gen import callbacks\ncallbacks.SampleGrid\nimport keras",
}


@pytest.fixture(scope="module")
def saved_zoo(tmp_path_factory):
    import keras

    base = tmp_path_factory.mktemp("zoo") / "weights.npz"
    expected = {}
    for name, (make, kind) in zoo.MODELS.items():
        keras.utils.set_random_seed(0)
        model = make()
        model.compile()
        model.fit(**zoo.fit_arguments(kind), epochs=1, verbose=0)
        model.save(f"{base}.{name}.keras")
        weights = model.get_weights()
        expected[f"{name}/count"] = len(weights)
        expected.update({f"{name}/{i}": np.asarray(w) for i, w in enumerate(weights)})
    np.savez(base, **expected)
    return str(base)


def load_in_fresh_process(saved_zoo, imports, backend="tensorflow"):
    env = {**os.environ, "KERAS_BACKEND": backend}
    result = subprocess.run(
        [sys.executable, "-c", LOAD.format(imports=imports), saved_zoo, *zoo.MODELS],
        capture_output=True, text=True, timeout=300, env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.split("\n")


@pytest.mark.parametrize("order", IMPORT_ORDERS)
def test_keras_load_model_finds_every_model_after_import_keras_gen(saved_zoo, order):
    lines = load_in_fresh_process(saved_zoo, IMPORT_ORDERS[order])
    assert [line.split()[0] for line in lines if line] == list(zoo.MODELS)


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_keras_load_model_finds_every_model_on_other_backends(saved_zoo, backend):
    pytest.importorskip(backend)
    lines = load_in_fresh_process(saved_zoo, IMPORT_ORDERS["keras_gen_then_keras"],
                                  backend)
    assert len([line for line in lines if line]) == len(zoo.MODELS)


def test_without_keras_gen_keras_cannot_find_the_classes(saved_zoo):
    # The control: what users saw before, so the tests above can fail.
    result = subprocess.run(
        [sys.executable, "-c", LOAD.format(imports="import keras"), saved_zoo, "gan"],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode != 0
    assert "Could not locate class 'GAN'" in result.stderr


def test_import_keras_gen_loads_neither_keras_nor_a_backend():
    script = textwrap.dedent(
        """
        import sys
        import keras_gen
        from keras_gen import callbacks, console, files, tracking, cli
        heavy = {"keras", "tensorflow", "jax", "torch", "keras_gen.models"}
        print(sorted(heavy & set(sys.modules)))
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_hook_leaves_the_import_system_once_it_has_run():
    script = textwrap.dedent(
        """
        import sys
        import keras_gen
        before = [type(f).__name__ for f in sys.meta_path]
        import keras
        after = [type(f).__name__ for f in sys.meta_path]
        print("_KerasHook" in before, "_KerasHook" in after,
              "keras_gen.models" in sys.modules)
        import importlib.resources
        # Package data still reads through the wrapped loaders.
        print(importlib.resources.files("keras_gen.evaluation").joinpath(
            "weights/mnist_classifier.json").is_file())
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "False", "True", "True"]
