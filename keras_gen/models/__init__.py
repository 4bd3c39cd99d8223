"""The keras-gen models, one per module."""

from keras_gen.models.acgan import ACGAN
from keras_gen.models.adversarial_autoencoder import AdversarialAutoencoder
from keras_gen.models.autoencoder import Autoencoder
from keras_gen.models.bgan import BGAN
from keras_gen.models.bigan import BiGAN
from keras_gen.models.cgan import CGAN
from keras_gen.models.cogan import CoGAN
from keras_gen.models.conditional_variational_autoencoder import (
    ConditionalVariationalAutoencoder,
)
from keras_gen.models.base import GenerativeModel
from keras_gen.models.dcgan import DCGAN
from keras_gen.models.denoising_autoencoder import DenoisingAutoencoder
from keras_gen.models.ebgan import EBGAN
from keras_gen.models.gan import GAN
from keras_gen.models.infogan import InfoGAN
from keras_gen.models.lsgan import LSGAN
from keras_gen.models.sgan import SGAN
from keras_gen.models.semi_supervised_adversarial_autoencoder import (
    SemiSupervisedAdversarialAutoencoder,
)
from keras_gen.models.supervised_adversarial_autoencoder import (
    SupervisedAdversarialAutoencoder,
)
from keras_gen.models.variational_autoencoder import VariationalAutoencoder
from keras_gen.models.wgan import WGAN
from keras_gen.models.wgan_gp import WGANGP
