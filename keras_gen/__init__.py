"""keras-gen: a Keras 3 model zoo of deep generative models.

Importing the package is instant: Keras and its backend load when a model,
a callback or any module that needs them is first used (`keras_gen.VAE...`,
`from keras_gen import callbacks`). The command-line tools and the examples'
`--help` therefore answer without loading TensorFlow, JAX or PyTorch.

Every model, layer and prior registers with Keras' serialization as soon as
Keras is imported in the process (at once, if it already is): after
`import keras_gen`, `keras.saving.load_model(path)` loads a saved keras-gen
model in a fresh process, as it does for keras_hub's models.
"""

import importlib

from keras_gen import lazy

# Public name -> the module that defines it, imported on first access.
_EXPORTS = {
    "ACGAN": "keras_gen.models",
    "SGAN": "keras_gen.models",
    "AdversarialAutoencoder": "keras_gen.models",
    "Autoencoder": "keras_gen.models",
    "BGAN": "keras_gen.models",
    "BiGAN": "keras_gen.models",
    "CGAN": "keras_gen.models",
    "CoGAN": "keras_gen.models",
    "ConditionalVariationalAutoencoder": "keras_gen.models",
    "DCGAN": "keras_gen.models",
    "DenoisingAutoencoder": "keras_gen.models",
    "EBGAN": "keras_gen.models",
    "GAN": "keras_gen.models",
    "InfoGAN": "keras_gen.models",
    "LSGAN": "keras_gen.models",
    "GenerativeModel": "keras_gen.models",
    "SemiSupervisedAdversarialAutoencoder": "keras_gen.models",
    "SupervisedAdversarialAutoencoder": "keras_gen.models",
    "VariationalAutoencoder": "keras_gen.models",
    "WGAN": "keras_gen.models",
    "WGANGP": "keras_gen.models",
    "SemiSupervisedBatches": "keras_gen.data",
    "make_semi_supervised_dataset": "keras_gen.data",
}
_SUBMODULES = (
    "backend", "callbacks", "console", "data", "evaluation", "files", "layers",
    "losses", "models", "optimizers", "priors", "tracking", "validation",
)

__version__ = "0.1.0"


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Loads a `.keras` file saved from a keras-gen model (or containing one).

    `keras.saving.load_model()` after registering keras-gen's classes, so it
    works in a fresh process without importing any model first.

    Args:
        filepath: Path of the `.keras` file.
        custom_objects: Your own classes the file needs, by name.
        compile: Whether to compile the model (restoring its optimizers).
        safe_mode: As in `keras.saving.load_model()`.

    Returns:
        The model, with the weights and optimizer states it was saved with.
    """
    importlib.import_module("keras_gen.models")
    import keras

    return keras.saving.load_model(
        filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode
    )


# The modules whose classes are `keras.saving.register_keras_serializable`.
_REGISTERING = ("keras_gen.layers", "keras_gen.priors", "keras_gen.models")


def _register():
    for module in _REGISTERING:
        importlib.import_module(module)


lazy.when_keras_is_imported(__name__, _register)

__getattr__, __dir__, _public = lazy.attach(__name__, _EXPORTS, _SUBMODULES)
__all__ = [*_public, "load_model"]
