"""The autoencoder family trains, saves and reloads on JAX and PyTorch too.

Each backend runs in its own interpreter, since Keras picks the backend at
import time.
"""

import importlib.util
import os
import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent(
    """
    import sys
    import keras
    import numpy as np
    from keras_gen import DenoisingAutoencoder, VariationalAutoencoder

    assert keras.backend.backend() == sys.argv[1], keras.backend.backend()
    path = sys.argv[2]
    x = np.random.default_rng(0).random((128, 784), dtype="float32")
    models = [
        VariationalAutoencoder(intermediate_dim=32, seed=1),
        DenoisingAutoencoder(latent_space=4, mask_fraction=0.2, seed=1),
    ]
    for model in models:
        model.compile("adam")
        history = model.fit(x, epochs=3, batch_size=32, verbose=0).history
        assert history["loss"][-1] < history["loss"][0], history
        model.save(path)
        loaded = keras.saving.load_model(path)
        np.testing.assert_array_equal(
            loaded.predict(x, verbose=0), model.predict(x, verbose=0)
        )
        assert int(loaded.optimizer.iterations) == 12
    assert set(history) == {"loss"}
    vae_history = models[0].history.history
    assert set(vae_history) == {"loss", "reconstruction_loss", "kl_loss"}
    print("ok")
    """
)


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_models_work_on_backend(backend, tmp_path):
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} is not installed (pip install {backend})")
    env = {**os.environ, "KERAS_BACKEND": backend}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, backend, str(tmp_path / "model.keras")],
        env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("ok")
