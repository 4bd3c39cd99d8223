"""keras-gen: a Keras 3 model zoo of deep generative models."""

from keras_gen import callbacks
from keras_gen import data
from keras_gen import layers
from keras_gen import losses
from keras_gen.models import Autoencoder
from keras_gen.models import DenoisingAutoencoder
from keras_gen.models import GenerativeModel
from keras_gen.models import VariationalAutoencoder

__all__ = [
    "Autoencoder",
    "DenoisingAutoencoder",
    "GenerativeModel",
    "VariationalAutoencoder",
    "callbacks",
    "data",
    "layers",
    "losses",
]

__version__ = "0.1.0"
