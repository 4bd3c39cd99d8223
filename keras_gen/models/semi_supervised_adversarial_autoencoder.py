"""The semi-supervised adversarial autoencoder: a classifier from few labels.

Training data comes as a `keras_gen.SemiSupervisedBatches` (a
`keras.utils.PyDataset`) built by `keras_gen.data.make_semi_supervised_dataset()`:
each element holds a batch of unlabelled inputs (the reconstruction and
regularization phases) and a batch of the few labelled ones (the
classification phase).

```python
(x_train, y_train), (x_test, y_test) = keras_gen.data.load_dataset()
(x_l, y_l), (x_u, _) = keras_gen.data.labelled_split(x_train, y_train, 100)
dataset = make_semi_supervised_dataset(x_u, x_l, y_l, batch_size=100)
model = SemiSupervisedAdversarialAutoencoder()
model.compile()
model.fit(dataset, epochs=100, validation_data=(x_test, y_test))
print(model.classification_error(x_test, y_test))
```
"""


import keras
import numpy as np

from keras_gen import losses
from keras_gen import priors
from keras_gen.models.adversarial import minimize_every
from keras_gen.models.adversarial_autoencoder import (
    METRIC_NAMES,
    AdversarialAutoencoder,
    adam_unless,
    check_architecture,
    check_batch,
    mlp_code_discriminator,
    mlp_decoder,
    mlp_encoder,
)
from keras_gen.models import semi_supervised
from keras_gen.models.base import DEFAULT_BATCH_SIZE, predict_in_batches
from keras_gen.validation import (
    check_data,
    check_non_negative_float,
    check_num_classes,
    check_positive_int,
)

# The Paperspace post's `semi_lr`.
CLASSIFICATION_LEARNING_RATE = 1e-3


# Makhzani et al.'s semi-supervised MNIST recipe (their appendix, as the
# ports that follow it read it; see README): networks and codes...
PAPER_ARCHITECTURE = {
    "hidden_units": (1000, 1000),
    "discriminator_units": (1000, 1000),
    "latent_dim": 10,
    "dropout_rate": 0.0,
    "discriminator_dropout_rate": 0.0,
    "input_noise_std": 0.3,
    "reconstruction_loss": "squared_error",
}
# ...and optimizers: (initial learning rate, momentum) of each phase.
PAPER_OPTIMIZERS = {
    "ae_optimizer": (0.01, 0.9),
    "d_optimizer": (0.1, 0.1),
    "g_optimizer": (0.1, 0.1),
    "c_optimizer": (0.1, 0.9),
}


def paper_optimizers(steps_per_epoch, decay_epochs=(50, 1000)):
    """The paper's optimizers: SGD with momentum, rates divided by 10 at `decay_epochs`.

    Args:
        steps_per_epoch: Training batches per epoch (the schedules count
            steps).
        decay_epochs: Epochs after which every learning rate drops 10x.

    Returns:
        The `compile()` arguments `{"ae_optimizer": ..., "d_optimizer": ...,
        "g_optimizer": ..., "c_optimizer": ...}`: `keras.optimizers.SGD`
        with `keras.optimizers.schedules.PiecewiseConstantDecay`.
    """
    steps_per_epoch = check_positive_int(steps_per_epoch, "steps_per_epoch")
    boundaries = [int(epoch) * steps_per_epoch for epoch in decay_epochs]
    return {
        name: keras.optimizers.SGD(
            keras.optimizers.schedules.PiecewiseConstantDecay(
                boundaries, [rate / 10**i for i in range(len(boundaries) + 1)]
            ),
            momentum=momentum,
        )
        for name, (rate, momentum) in PAPER_OPTIMIZERS.items()
    }


def joint_discriminator(num_classes, latent_dim, units, dropout_rate):
    """The categorical and the Gaussian discriminator, joined: `[y, z] -> (2,)`.

    Column 0 is the categorical discriminator's probability that `y` is a
    prior sample (a one-hot vector of a uniformly drawn class), column 1 the
    Gaussian discriminator's for `z`; each is `mlp_code_discriminator`.

    Returns:
        A `keras.Model` named `"discriminator"` whose layers include the
        models `"categorical_discriminator"` and `"gaussian_discriminator"`.
    """
    categorical = mlp_code_discriminator(
        num_classes, units, dropout_rate, name="categorical_discriminator"
    )
    gaussian = mlp_code_discriminator(
        latent_dim, units, dropout_rate, name="gaussian_discriminator"
    )
    y = keras.Input(shape=(num_classes,), name="y")
    z = keras.Input(shape=(latent_dim,), name="z")
    scores = keras.layers.Concatenate(name="validity")([categorical(y), gaussian(z)])
    return keras.Model([y, z], scores, name="discriminator")


@keras.saving.register_keras_serializable(package="keras_gen")
class SemiSupervisedAdversarialAutoencoder(AdversarialAutoencoder):
    """An adversarial autoencoder whose code is a class `y` and a style `z`.

    The encoder outputs `[y, z]`: `y`, a softmax over `num_classes`, and `z`,
    a linear style code. The decoder reconstructs the input from `[y, z]`.
    Two discriminators shape the codes: one pushes `y` towards one-hot
    vectors of uniformly drawn classes (a categorical prior), the other `z`
    towards `prior` (Makhzani et al., "Semi-Supervised Adversarial
    Autoencoders"; the Paperspace post's semi-supervised model). Each batch
    of `make_semi_supervised_dataset` runs four phases, each with its own
    optimizer:

    1. `reconstruction_step` on the unlabelled inputs (`ae_optimizer`,
       Adam(6e-4)).
    2. `discriminator_step`: both discriminators, on prior samples and the
       codes of the unlabelled inputs (`d_optimizer`, Adam(8e-4)).
    3. `regularization_step`: the encoder against both frozen
       discriminators (`g_optimizer`, Adam(8e-4)).
    4. `classification_step`: the encoder's class head and shared layers
       (`model.classifier`) minimize the cross-entropy of `y` on the labelled
       batch (`c_optimizer`, Adam(1e-3), the post's `semi_lr`). The style
       head, the decoder and the discriminators are untouched. With
       `supervised_interval=k`, on every k-th batch only.

    The two discriminators form one model, `model.discriminator`, with the
    inputs `[y, z]` and two probabilities out (`categorical_discriminator`
    on `y`, `gaussian_discriminator` on `z`; `joint_discriminator()`), so
    the adversarial phases are those of `AdversarialAutoencoder`: `d_loss`,
    `g_loss`, `d_acc`, `d_prior` and `d_code` average the two
    discriminators. (The post sums the two
    losses; the factor does not change Adam's steps.) The history also has
    `classification_loss` and `classification_acc`, on the labelled batches
    in training (every batch, also those whose classification update
    `supervised_interval` skips: the loss of the classifier as it is), on
    the labelled validation data in `evaluate`.

    `evaluate(x, y)` and `fit(..., validation_data=(x_test, y_test))` take
    labelled data. `predict_classes(x)` and `classification_error(x, y)`
    classify with `y`'s argmax.

    Args:
        input_shape: Shape of one input.
        num_classes: Number of classes, the size of `y`.
        latent_dim: Size of the style code `z`.
        prior: The prior of `z`; defaults to a standard normal (the post's
            semi-supervised script); see `AdversarialAutoencoder`.
        encoder: Optional `keras.Model`, `input_shape -> [y, z]`: `y` a
            softmax over `num_classes`, `z` of size `latent_dim`, in this
            order (`model.classifier` is `inputs -> y`); by default
            `mlp_encoder(..., num_classes=num_classes)`.
        decoder: Optional `keras.Model`, `[y, z] -> input_shape` in [0, 1].
        discriminator: Optional `keras.Model`, `[y, z] -> (2,)`: the
            categorical and the Gaussian discriminator's probabilities.
        hidden_units: Hidden layer sizes of the default encoder (and,
            reversed, decoder).
        discriminator_units: Hidden layer sizes of each default discriminator.
        dropout_rate: Dropout in the default encoder and decoder.
        discriminator_dropout_rate: Dropout in the default discriminators.
        input_noise_std: Gaussian noise added to the default encoder's
            inputs in training (the paper's recipe: 0.3).
        reconstruction_loss: `"binary_crossentropy"` (the post's) or
            `"squared_error"` (the paper's); see `AdversarialAutoencoder`.
        seed: Optional integer seed of the prior samples drawn in training.
        supervised_interval: Run the classification phase on every k-th
            batch only: on the batches whose index from the start of
            training (`c_optimizer.iterations`, saved with the model) is a
            multiple of k; 1 (the paper's recipe): every batch. Some public
            ports of the paper train so. On the other batches the
            classifier's weights and `c_optimizer`'s slots stay as they are,
            but `c_optimizer.iterations` counts on, so its learning-rate
            schedule counts batches as the other phases' do (see
            `adversarial.minimize_every`).
        **kwargs: Base model arguments such as `name`.
    """

    metric_names = METRIC_NAMES + ("classification_loss", "classification_acc")

    def __init__(
        self,
        input_shape=(784,),
        num_classes=10,
        latent_dim=10,
        prior=None,
        encoder=None,
        decoder=None,
        discriminator=None,
        hidden_units=(1000, 1000),
        discriminator_units=(1000, 1000),
        dropout_rate=0.25,
        discriminator_dropout_rate=0.2,
        input_noise_std=0.0,
        reconstruction_loss="binary_crossentropy",
        seed=None,
        supervised_interval=1,
        **kwargs,
    ):
        num_classes = check_num_classes(num_classes)
        supervised_interval = check_positive_int(
            supervised_interval, "supervised_interval"
        )
        input_noise_std = check_non_negative_float(input_noise_std, "input_noise_std")
        shape, code_dim, units, d_units, rate, d_rate = check_architecture(
            input_shape, latent_dim, hidden_units, discriminator_units,
            dropout_rate, discriminator_dropout_rate,
        )
        if prior is None:
            prior = priors.Gaussian(code_dim, std=1.0)
        if encoder is None:
            encoder = mlp_encoder(
                shape, code_dim, units, rate, num_classes, input_noise_std=input_noise_std
            )
        if decoder is None:
            decoder = mlp_decoder(
                shape, code_dim, units[::-1], rate, num_classes, label_input_name="y"
            )
        if discriminator is None:
            discriminator = joint_discriminator(num_classes, code_dim, d_units, d_rate)
        if len(encoder.outputs) != 2:
            raise ValueError(
                "`encoder` must have two outputs, [y, z]: class probabilities "
                f"and the style code. Received: an encoder with "
                f"{len(encoder.outputs)} output(s)"
            )
        super().__init__(
            input_shape=input_shape,
            latent_dim=latent_dim,
            prior=prior,
            encoder=encoder,
            decoder=decoder,
            discriminator=discriminator,
            hidden_units=hidden_units,
            discriminator_units=discriminator_units,
            dropout_rate=dropout_rate,
            discriminator_dropout_rate=discriminator_dropout_rate,
            input_noise_std=input_noise_std,
            reconstruction_loss=reconstruction_loss,
            seed=seed,
            **kwargs,
        )
        self.num_classes = num_classes
        self.supervised_interval = supervised_interval
        self.categorical_prior = priors.Categorical(num_classes)
        # The class head and the layers it shares with the style head.
        self.classifier = keras.Model(
            self.encoder.input, self.encoder.outputs[0], name="classifier"
        )

    @property
    def categorical_discriminator(self):
        """The discriminator of `y`, part of `model.discriminator`."""
        return self.discriminator.get_layer("categorical_discriminator")

    @property
    def gaussian_discriminator(self):
        """The discriminator of `z`, part of `model.discriminator`."""
        return self.discriminator.get_layer("gaussian_discriminator")

    def compile(
        self, ae_optimizer=None, d_optimizer=None, g_optimizer=None,
        c_optimizer=None, **kwargs,
    ):
        """Configures training. The losses are built in: pass optimizers.

        Args:
            ae_optimizer: Optimizer of the reconstruction phase, on the
                encoder and decoder. Defaults to a new Adam(6e-4).
            d_optimizer: Optimizer of both discriminators. Defaults to a new
                Adam(8e-4).
            g_optimizer: Optimizer of the regularization phase, on the
                encoder. Defaults to a new Adam(8e-4).
            c_optimizer: Optimizer of the classification phase, on
                `model.classifier`. Defaults to a new Adam(1e-3).
            **kwargs: `run_eagerly`, `steps_per_execution` or `jit_compile`,
                as in `keras.Model.compile()`.
        """
        players = self.players(ae_optimizer, d_optimizer, g_optimizer)
        players["c_optimizer"] = (
            adam_unless(c_optimizer, CLASSIFICATION_LEARNING_RATE),
            self.classifier.trainable_variables,
        )
        self.compile_players(players, **kwargs)

    # Training.

    def unpack_batch(self, data):
        """Returns the dict of `make_semi_supervised_dataset()` (`(x, y)`: both parts)."""
        return semi_supervised.unpack_semi_supervised(self, data)

    def train_step(self, data):
        batch = self.unpack_batch(data)
        logs = self.reconstruction_step(batch)
        logs.update(self.discriminator_step(batch))
        logs.update(self.regularization_step(batch))
        logs.update(self.classification_step(batch))
        return self.update_metrics(logs)

    def classification_step(self, batch):
        """Updates `model.classifier` on the labelled part of the batch.

        The style head, the decoder and the discriminators are untouched.
        With `supervised_interval=k`, the update is kept on every k-th
        batch only (`minimize_every`); the loss is computed on every batch.

        Args:
            batch: Dict from `unpack_batch`.

        Returns:
            Dict of the step's `classification_loss` and `classification_acc`.
        """
        check_batch(batch, ["x_labelled", "y_labelled"], self)
        x, labels = batch["x_labelled"], batch["y_labelled"]

        def loss():
            return losses.classification_loss(
                labels, self.classifier(x, training=True)
            )

        classification_loss, accuracy = minimize_every(
            loss, self.classifier.trainable_variables, self.c_optimizer,
            self.supervised_interval,
        )
        return {"classification_loss": classification_loss, "classification_acc": accuracy}

    def sample_prior_codes(self, num_samples):
        """Draws `[y, z]` from the categorical prior and `prior`."""
        seed = self.latent_sampler.seed_generator
        return [
            self.categorical_prior.sample(num_samples, seed=seed),
            self.prior.sample(num_samples, seed=seed),
        ]

    def test_logs(self, batch):
        loss, accuracy = losses.classification_loss(
            batch["y_labelled"], self.classifier(batch["x_labelled"], training=False)
        )
        return {
            **super().test_logs(batch),
            "classification_loss": loss,
            "classification_acc": accuracy,
        }

    # Input checks and NumPy helpers.

    def _check_fit_data(self, arguments):
        # `fit()` trains on the dataset of labelled and unlabelled batches.
        semi_supervised.check_semi_supervised_fit_data(self, arguments.get("x"))
        super()._check_fit_data(arguments)

    def _check_stream_batch(self, batch):
        # A stream of the dataset's dicts: check each entry as the dataset does.
        if not isinstance(batch, dict):
            return super()._check_stream_batch(batch)
        semi_supervised.check_semi_supervised_batch(self, batch)

    def encode(self, x, batch_size=DEFAULT_BATCH_SIZE):
        """Encodes inputs to their style codes `z`.

        Args:
            x: Array of shape `(num_examples, *input_shape)`.
            batch_size: Examples per batch.

        Returns:
            NumPy array of shape `(num_examples, latent_dim)`.
        """
        return super().encode(x, batch_size)[1]

    def predict_proba(self, x, batch_size=DEFAULT_BATCH_SIZE):
        """The class probabilities `y` of inputs, `model.classifier`'s outputs.

        Args:
            x: Array of shape `(num_examples, *input_shape)`.
            batch_size: Examples per batch.

        Returns:
            NumPy array of shape `(num_examples, num_classes)`.
        """
        return semi_supervised.predict_proba(self, x, batch_size)

    def predict_classes(self, x, batch_size=DEFAULT_BATCH_SIZE):
        """The most likely class of each input, the argmax of `predict_proba`.

        Args:
            x: Array of shape `(num_examples, *input_shape)`.
            batch_size: Examples per batch.

        Returns:
            Integer NumPy array of shape `(num_examples,)`.
        """
        return np.argmax(self.predict_proba(x, batch_size), axis=-1)

    def classification_error(self, x, y, batch_size=DEFAULT_BATCH_SIZE):
        """The fraction of inputs whose predicted class is not their label.

        Args:
            x: Array of shape `(num_examples, *input_shape)`.
            y: Their integer labels.
            batch_size: Examples per batch.

        Returns:
            A Python float in [0, 1] (multiply by 100 for the paper's %).
        """
        return semi_supervised.classification_error(self, x, y, batch_size)

    def reconstruct(self, x, *, labels=None, batch_size=DEFAULT_BATCH_SIZE):
        """Encodes then decodes inputs.

        Args:
            x: Array of shape `(num_examples, *input_shape)`.
            labels: Optional integer labels to decode with; by default the
                encoder's own `y` (a softmax, as in training).
            batch_size: Examples per batch.

        Returns:
            NumPy array with the shape of `x`.
        """
        if labels is not None:
            return super().reconstruct(x, labels=labels, batch_size=batch_size)
        check_data(x, "x", self.input_shape)
        return predict_in_batches(self, x, batch_size)

    def get_config(self):
        base_config = super().get_config()
        return {
            **base_config,
            "num_classes": self.num_classes,
            "supervised_interval": self.supervised_interval,
        }
