"""keras-gen: a Keras 3 model zoo of deep generative models."""

from keras_gen import backend
from keras_gen import callbacks
from keras_gen import data
from keras_gen import layers
from keras_gen import losses
from keras_gen import optimizers
from keras_gen import priors
from keras_gen.data import SemiSupervisedBatches
from keras_gen.data import make_semi_supervised_dataset
from keras_gen.models import AdversarialAutoencoder
from keras_gen.models import AdversarialModel
from keras_gen.models import Autoencoder
from keras_gen.models import DCGAN
from keras_gen.models import DenoisingAutoencoder
from keras_gen.models import EBGAN
from keras_gen.models import GAN
from keras_gen.models import GenerativeModel
from keras_gen.models import SemiSupervisedAdversarialAutoencoder
from keras_gen.models import SupervisedAdversarialAutoencoder
from keras_gen.models import VariationalAutoencoder

__all__ = [
    "AdversarialAutoencoder",
    "AdversarialModel",
    "Autoencoder",
    "DCGAN",
    "DenoisingAutoencoder",
    "EBGAN",
    "GAN",
    "GenerativeModel",
    "SemiSupervisedAdversarialAutoencoder",
    "SemiSupervisedBatches",
    "SupervisedAdversarialAutoencoder",
    "VariationalAutoencoder",
    "backend",
    "callbacks",
    "data",
    "layers",
    "losses",
    "make_semi_supervised_dataset",
    "optimizers",
    "priors",
]

__version__ = "0.1.0"
