"""The adversarial mechanism, GAN and DCGAN: frozen players, losses, save/load."""

import keras
import numpy as np
import pytest
from keras import ops

import keras_gen.models
from keras_gen.models import DCGAN, GAN, GenerativeModel
from keras_gen.optimizers import PlayerOptimizers

from player_checks import (
    BAD_MNIST_BATCHES,
    assert_unchanged,
    batch_for,
    bn_moving_statistics,
    check_discriminator_step_freezes_generator,
    check_fit_rejects,
    check_fit_updates_both_players,
    check_generator_step_freezes_discriminator,
    check_save_load_restores,
    check_training_resumes,
    make_compiled,
    numpy_forward,
    pixel_statistics,
    same_config,
    snapshot,
    upcoming_noise,
)

METRIC_NAMES = {"d_loss", "g_loss", "d_acc", "d_x", "d_g_z1", "d_g_z2"}

MODEL_FACTORIES = {
    "gan": lambda: GAN(
        latent_dim=8, generator_units=(16, 32), discriminator_units=(32, 16),
        seed=1,
    ),
    # Keras-GAN's DCGAN has fixed widths; 28x28 is its size.
    "dcgan_keras_gan": lambda: DCGAN(latent_dim=8, seed=1),
    "dcgan_pytorch": lambda: DCGAN(
        architecture="pytorch", input_shape=(32, 32, 3), ngf=4, ndf=4,
        latent_dim=8, seed=1,
    ),
}


def make_model(name):
    return make_compiled(MODEL_FACTORIES[name])


# The frozen-player proofs.


@pytest.mark.parametrize("mode", ["eager", "fit"])
@pytest.mark.parametrize("name", sorted(MODEL_FACTORIES))
def test_discriminator_step_leaves_the_generator_bit_identical(name, mode):
    # The MLP discriminator has no BatchNorm; the DCGANs' have.
    check_discriminator_step_freezes_generator(
        make_model(name), mode, discriminator_has_batchnorm=name != "gan"
    )


@pytest.mark.parametrize("mode", ["eager", "fit"])
@pytest.mark.parametrize("name", sorted(MODEL_FACTORIES))
def test_generator_step_leaves_the_discriminator_bit_identical(name, mode):
    check_generator_step_freezes_discriminator(make_model(name), mode)


@pytest.mark.parametrize("name", sorted(MODEL_FACTORIES))
def test_fit_updates_both_players_and_logs_per_step_metrics(name):
    model = make_model(name)
    history = check_fit_updates_both_players(model, batch_for(model), METRIC_NAMES)
    for key in ("d_acc", "d_x", "d_g_z1", "d_g_z2"):
        assert 0.0 <= min(history[key]) and max(history[key]) <= 1.0


def test_step_methods_need_compile():
    model = MODEL_FACTORIES["gan"]()
    with pytest.raises(AttributeError, match=r"d_optimizer"):
        model.discriminator_step(batch_for(model))


# NumPy references.


def test_losses_and_accuracy_match_numpy_reference():
    model = make_model("gan")
    real = batch_for(model, size=32)
    z1, z2 = upcoming_noise(model, 32, num_draws=2)  # One per phase.

    fake = numpy_forward(model.generator, z1, training=False)
    real_scores = numpy_forward(model.discriminator, real)[:, 0]
    fake_scores = numpy_forward(model.discriminator, fake)[:, 0]
    logs = model.discriminator_step(real)
    d_loss = 0.5 * (-np.log(real_scores).mean() - np.log(1 - fake_scores).mean())
    d_acc = 0.5 * ((real_scores > 0.5).mean() + (fake_scores <= 0.5).mean())
    np.testing.assert_allclose(float(logs["d_loss"]), d_loss, rtol=1e-5)
    np.testing.assert_allclose(float(logs["d_acc"]), d_acc, rtol=1e-6)
    np.testing.assert_allclose(float(logs["d_x"]), real_scores.mean(), rtol=1e-5)
    np.testing.assert_allclose(float(logs["d_g_z1"]), fake_scores.mean(), rtol=1e-5)

    # After the discriminator's update; the generator runs in training mode.
    fake = numpy_forward(model.generator, z2, training=True)
    fake_scores = numpy_forward(model.discriminator, fake)[:, 0]
    logs = model.generator_step(real)
    np.testing.assert_allclose(
        float(logs["g_loss"]), -np.log(fake_scores).mean(), rtol=1e-5
    )
    np.testing.assert_allclose(float(logs["d_g_z2"]), fake_scores.mean(), rtol=1e-5)


def batch_norm_discriminator(input_shape=(784,)):
    """An MLP discriminator with BatchNorm, like the DCGAN's."""
    images = keras.Input(shape=input_shape)
    x = keras.layers.Flatten()(images)
    x = keras.layers.Dense(16)(x)
    x = keras.layers.BatchNormalization(momentum=0.8)(x)
    x = keras.layers.LeakyReLU(negative_slope=0.2)(x)
    scores = keras.layers.Dense(1, activation="sigmoid")(x)
    return keras.Model(images, scores, name="discriminator")


def test_generator_step_scores_fakes_with_the_discriminator_in_training_mode():
    # The frozen discriminator must be the function its own step trains:
    # BatchNorm on the fake batch's statistics, not on moving statistics
    # (inference mode, what `trainable = False` means on Keras 3).
    keras.utils.set_random_seed(0)
    model = GAN(
        latent_dim=8, generator_units=(16, 32),
        discriminator=batch_norm_discriminator(), seed=1,
    )
    model.compile()
    real = batch_for(model, size=32)
    model.discriminator_step(real)
    (z2,) = upcoming_noise(model, 32)
    fake = numpy_forward(model.generator, z2, training=True)
    batch_scores = numpy_forward(model.discriminator, fake, training=True)[:, 0]
    moving_scores = numpy_forward(model.discriminator, fake, training=False)[:, 0]
    discriminator_before = snapshot(model.discriminator.variables)

    logs = model.generator_step(real)

    np.testing.assert_allclose(
        float(logs["g_loss"]), -np.log(batch_scores).mean(), rtol=1e-5
    )
    assert abs(float(logs["g_loss"]) + np.log(moving_scores).mean()) > 1e-3
    assert_unchanged(discriminator_before, model.discriminator.variables)


def test_evaluate_reports_the_same_metrics_without_updating():
    model = make_model("gan")
    batch = batch_for(model)
    weights = snapshot(model.generator.variables + model.discriminator.variables)
    metrics = model.evaluate(batch, verbose=0, return_dict=True)
    assert set(metrics) == METRIC_NAMES
    assert_unchanged(weights, model.generator.variables + model.discriminator.variables)


# Networks, helpers and configs.


@pytest.mark.parametrize("name", sorted(MODEL_FACTORIES))
def test_networks_shapes_and_helpers(name):
    model = MODEL_FACTORIES[name]()
    assert model.built
    noise = model.sample_prior(5, seed=0)
    assert noise.shape == (5, 8)
    np.testing.assert_array_equal(noise, model.sample_prior(5, seed=0))
    images = model.decode(noise)
    assert images.shape == (5, *model.input_shape)
    assert -1.0 <= images.min() and images.max() <= 1.0
    np.testing.assert_array_equal(model.generate(5, seed=0), images)
    scores = ops.convert_to_numpy(model(images))
    assert scores.shape == (5, 1) and ((0 <= scores) & (scores <= 1)).all()
    # `combined` is noise -> generator -> discriminator, on the same layers.
    assert model.combined.layers[1:] == [model.generator, model.discriminator]
    np.testing.assert_allclose(
        ops.convert_to_numpy(model.combined(noise)), scores, rtol=1e-5, atol=1e-6
    )


def test_gan_architecture_follows_the_lecture_notes():
    model = GAN(input_shape=(28, 28, 1))
    dense_units = [
        layer.units for layer in model.generator.layers
        if isinstance(layer, keras.layers.Dense)
    ]
    assert dense_units == [128, 256, 512, 784]
    assert model.generator.output_shape == (None, 28, 28, 1)
    assert len(bn_moving_statistics(model.generator)) == 4
    assert [
        layer.units for layer in model.discriminator.layers
        if isinstance(layer, keras.layers.Dense)
    ] == [512, 256, 1]
    assert model.latent_dim == 100


def test_dcgan_architectures_match_their_sources():
    keras_gan = DCGAN()
    convolutions = [
        (layer.filters, layer.strides) for layer in keras_gan.discriminator.layers
        if isinstance(layer, keras.layers.Conv2D)
    ]
    assert convolutions == [(32, (2, 2)), (64, (2, 2)), (128, (2, 2)), (256, (1, 1))]
    assert keras_gan.discriminator.count_params() == 393_729  # Keras-GAN's summary.
    assert keras_gan.generator.count_params() == 856_193
    pytorch = DCGAN(architecture="pytorch", input_shape=(64, 64, 3))
    # The PyTorch example's netG and netD for 64x64 RGB, nz=100, ngf=ndf=64.
    assert pytorch.generator.count_params() - 2 * 64 * (8 + 4 + 2 + 1) == 3_576_704
    assert pytorch.discriminator.count_params() - 2 * 64 * (2 + 4 + 8) == 2_765_568
    small = DCGAN(architecture="pytorch", input_shape=(32, 32, 2), ngf=8, ndf=8)
    assert small.generator.output_shape == (None, 32, 32, 2)
    assert small.discriminator.output_shape == (None, 1)


@pytest.mark.parametrize("name", sorted(MODEL_FACTORIES))
def test_config_round_trip(name):
    model = MODEL_FACTORIES[name]()
    clone = type(model).from_config(model.get_config())
    assert same_config(clone.get_config(), model.get_config())
    assert [w.shape for w in clone.weights] == [w.shape for w in model.weights]


def test_networks_passed_in_train_and_survive_save_load(tmp_path):
    # keras-io's pattern: networks built outside and passed in.
    generator = keras.Sequential(
        [keras.Input((8,)), keras.layers.Dense(784, activation="tanh")],
        name="generator",
    )
    keras.utils.set_random_seed(0)
    model = GAN(latent_dim=8, generator=generator,
                discriminator=batch_norm_discriminator(), seed=1)
    assert model.generator is generator
    model.compile()
    x = batch_for(model, size=32)
    model.fit(x, batch_size=16, epochs=1, verbose=0)
    model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras")
    assert [layer.name for layer in loaded.generator.layers] == [
        layer.name for layer in generator.layers
    ]
    assert len(bn_moving_statistics(loaded.discriminator)) == 2
    np.testing.assert_array_equal(loaded.generate(4, seed=0), model.generate(4, seed=0))
    np.testing.assert_array_equal(
        ops.convert_to_numpy(loaded(x)), ops.convert_to_numpy(model(x))
    )


def test_compile_defaults_and_config_round_trip():
    model = make_model("gan")
    for optimizer in (model.d_optimizer, model.g_optimizer):
        assert isinstance(optimizer, keras.optimizers.Adam)
        assert float(optimizer.learning_rate) == pytest.approx(2e-4)
        assert optimizer.beta_1 == 0.5
    assert model.d_optimizer is not model.g_optimizer

    model.compile(
        d_optimizer=keras.optimizers.SGD(0.01, momentum=0.5),
        g_optimizer="rmsprop",
        steps_per_execution=2,
    )
    config = model.get_compile_config()
    clone = type(model).from_config(model.get_config())
    clone.compile_from_config(config)
    assert isinstance(clone.d_optimizer, keras.optimizers.SGD)
    assert clone.d_optimizer.get_config() == model.d_optimizer.get_config()
    assert isinstance(clone.g_optimizer, keras.optimizers.RMSprop)
    assert clone.steps_per_execution == 2
    assert clone.get_compile_config() == config


def test_compile_names_the_argument_of_an_unknown_optimizer():
    model = MODEL_FACTORIES["gan"]()
    with pytest.raises(ValueError, match=r"`g_optimizer` must be a Keras optimizer.*'adamm'"):
        model.compile(g_optimizer="adamm")


def test_compile_rejects_a_shared_optimizer():
    model = MODEL_FACTORIES["gan"]()
    optimizer = keras.optimizers.Adam()
    with pytest.raises(ValueError, match="own optimizer instance"):
        model.compile(d_optimizer=optimizer, g_optimizer=optimizer)


@pytest.mark.parametrize("name", sorted(MODEL_FACTORIES))
def test_save_load_restores_outputs_optimizers_and_resumes(name, tmp_path):
    model = make_model(name)
    x = batch_for(model, size=32)
    loaded = check_save_load_restores(model, x, tmp_path)
    # Training resumes from the saved state; where no dropout draws unsaved
    # random numbers (all but Keras-GAN's DCGAN), exactly as without saving.
    check_training_resumes(model, loaded, x, exactly=name != "dcgan_keras_gan")


def test_public_api_is_exported():
    for name in ("GAN", "DCGAN", "EBGAN"):
        cls = getattr(keras_gen, name)
        assert issubclass(cls, GenerativeModel)
        assert keras.saving.get_registered_object(f"keras_gen>{name}") is cls


def test_every_optimizer_is_behind_model_optimizer():
    # Keras' trainers thread, save and shard `model.optimizer` only.
    model = make_model("gan")
    assert isinstance(model.optimizer, PlayerOptimizers)
    assert model.optimizer["d_optimizer"] is model.d_optimizer
    assert model.optimizer["g_optimizer"] is model.g_optimizer
    expected = model.d_optimizer.variables + model.g_optimizer.variables
    assert [id(v) for v in model.optimizer.variables] == [id(v) for v in expected]
    model.fit(batch_for(model), batch_size=8, epochs=1, verbose=0)
    assert int(model.optimizer.iterations) == int(model.d_optimizer.iterations) == 2
    with pytest.raises(AttributeError, match=r"d_optimizer.*learning_rate"):
        model.optimizer.learning_rate
    with pytest.raises(NotImplementedError, match="applies no gradients"):
        model.optimizer.apply([], [])


# Bad input.


@pytest.mark.parametrize(
    "factory, name, received",
    [
        (lambda: GAN(latent_dim=0), "latent_dim", "0"),
        (lambda: DCGAN(latent_dim=-2), "latent_dim", "-2"),
        (lambda: GAN(input_shape=(0,)), "input_shape", r"\(0,\)"),
        (lambda: GAN(generator_units=()), "generator_units", r"\(\)"),
        (lambda: GAN(discriminator_units=(16, 0)), "discriminator_units",
         r"\(16, 0\)"),
        (lambda: DCGAN(architecture="resnet"), "architecture", "'resnet'"),
        (lambda: DCGAN(architecture="pytorch"), "input_shape", r"\(28, 28, 1\)"),
        (lambda: DCGAN(architecture="pytorch", input_shape=(48, 48, 3)),
         "input_shape", r"\(48, 48, 3\)"),
        (lambda: DCGAN(input_shape=(30, 30, 1)), "input_shape", r"\(30, 30, 1\)"),
        (lambda: DCGAN(input_shape=(784,)), "input_shape", r"\(784,\)"),
        (lambda: DCGAN(architecture="pytorch", input_shape=(32, 32, 1), ngf=0),
         "ngf", "0"),
    ],
)
def test_bad_hyperparameters_raise(factory, name, received):
    with pytest.raises(ValueError, match=rf"`{name}`.*Received: .*{received}"):
        factory()


@pytest.mark.parametrize("make_bad, pattern", BAD_MNIST_BATCHES)
def test_fit_rejects_bad_data_before_the_first_step(make_bad, pattern):
    model = make_model("gan")
    check_fit_rejects(model, make_bad(batch_for(model)), pattern)


def test_helpers_check_their_input_and_fit_ignores_targets():
    model = make_model("gan")
    with pytest.raises(ValueError, match=r"`z` must have shape \(batch_size, 8\)"):
        model.decode(np.zeros((2, 5), "float32"))
    with pytest.raises(ValueError, match=r"`num_samples`.*Received: num_samples=0"):
        model.generate(0)
    x = batch_for(model)
    history = model.fit(x, np.arange(len(x)), batch_size=8, verbose=0).history
    assert set(history) == METRIC_NAMES


# A short real training.


def train_and_compare(model, x, epochs, batch_size):
    """Returns the distances to the data's pixel statistics before and after."""
    target = pixel_statistics(x)
    before = np.abs(pixel_statistics(model.generate(500, seed=0)) - target)
    history = model.fit(x, batch_size=batch_size, epochs=epochs, verbose=0).history
    after = np.abs(pixel_statistics(model.generate(500, seed=0)) - target)
    assert all(np.isfinite(values).all() for values in history.values())
    return before, after


def test_gan_moves_sample_statistics_toward_mnist(mnist_images):
    (x_train, _), _ = mnist_images
    x = x_train[:2000].reshape(-1, 784) * 2.0 - 1.0
    keras.utils.set_random_seed(0)
    model = GAN(seed=0)
    model.compile()
    # Untrained tanh outputs average about 0, half of them dark; the data
    # average about -0.74, 87% dark. 15 epochs are 480 steps.
    before, after = train_and_compare(model, x, epochs=15, batch_size=64)
    assert (after < 0.6 * before).all(), (before, after)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["dcgan_keras_gan", "dcgan_pytorch"])
def test_dcgan_moves_sample_statistics_toward_mnist(name, mnist_images):
    (x_train, _), _ = mnist_images
    x = x_train[:2000] * 2.0 - 1.0
    keras.utils.set_random_seed(0)
    if name == "dcgan_pytorch":
        x = np.pad(x, ((0, 0), (2, 2), (2, 2), (0, 0)), constant_values=-1.0)
        model = DCGAN(architecture="pytorch", input_shape=(32, 32, 1), ngf=16,
                      ndf=16, seed=0)
    else:
        model = DCGAN(seed=0)
    model.compile()
    epochs = 5 if name == "dcgan_pytorch" else 3
    before, after = train_and_compare(model, x, epochs=epochs, batch_size=32)
    assert (after < 0.6 * before).all(), (before, after)
