"""keras-gen: a Keras 3 model zoo of deep generative models."""

__version__ = "0.1.0"
