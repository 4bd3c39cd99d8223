"""The keras-gen models, one per module."""

from keras_gen.models.autoencoder import Autoencoder
from keras_gen.models.base import GenerativeModel
from keras_gen.models.denoising_autoencoder import DenoisingAutoencoder
from keras_gen.models.variational_autoencoder import VariationalAutoencoder
