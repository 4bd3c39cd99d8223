"""keras-gen: a Keras 3 model zoo of deep generative models."""

from keras_gen import callbacks
from keras_gen import data
from keras_gen import gradients
from keras_gen import layers
from keras_gen import losses
from keras_gen.models import AdversarialModel
from keras_gen.models import Autoencoder
from keras_gen.models import DCGAN
from keras_gen.models import DenoisingAutoencoder
from keras_gen.models import EBGAN
from keras_gen.models import GAN
from keras_gen.models import GenerativeModel
from keras_gen.models import VariationalAutoencoder

__all__ = [
    "AdversarialModel",
    "Autoencoder",
    "DCGAN",
    "DenoisingAutoencoder",
    "EBGAN",
    "GAN",
    "GenerativeModel",
    "VariationalAutoencoder",
    "callbacks",
    "data",
    "gradients",
    "layers",
    "losses",
]

__version__ = "0.1.0"
