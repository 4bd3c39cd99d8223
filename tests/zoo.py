"""Every model of the zoo, tiny, with data to train it: for the distribution jobs.

`tests/distribution_job.py` and `tests/multi_worker_job.py` (run as scripts,
with `tests/` on their path) train each of these for a couple of epochs
under a strategy and check that the metrics stay finite.
"""

import numpy as np

import keras_gen

BATCH = 16

# name: (a function making the model, the kind of data it trains on)
MODELS = {
    "autoencoder": (lambda: keras_gen.Autoencoder(input_shape=(8,)), "flat"),
    "denoising_autoencoder": (
        lambda: keras_gen.DenoisingAutoencoder(input_shape=(8,), seed=1), "flat"),
    "vae": (lambda: keras_gen.VariationalAutoencoder(input_shape=(8,), seed=1), "flat"),
    "beta_vae": (lambda: keras_gen.VariationalAutoencoder(input_shape=(8,), beta=4.0,
                                                          seed=1), "flat"),
    "cvae": (lambda: keras_gen.ConditionalVariationalAutoencoder(
        input_shape=(8,), intermediate_dim=16, seed=1), "labelled"),
    "gan": (lambda: keras_gen.GAN(input_shape=(8,), seed=1), "signed"),
    "dcgan": (lambda: keras_gen.DCGAN(input_shape=(8, 8, 1), seed=1), "image"),
    "ebgan": (lambda: keras_gen.EBGAN(input_shape=(8,), seed=1), "signed"),
    "lsgan": (lambda: keras_gen.LSGAN(input_shape=(8,), generator_units=(16,),
                                      seed=1), "signed"),
    "bgan": (lambda: keras_gen.BGAN(input_shape=(8,), generator_units=(16,),
                                    seed=1), "signed"),
    # Every other batch the generator's update is put back; the penalty
    # takes a gradient of a gradient under every strategy.
    "wgan": (lambda: keras_gen.WGAN(input_shape=(8, 8, 1), n_critic=2, seed=1), "image"),
    "wgan_gp": (lambda: keras_gen.WGANGP(input_shape=(8, 8, 1), n_critic=2, seed=1),
                "image"),
    "cgan": (lambda: keras_gen.CGAN(input_shape=(8,), latent_dim=8, generator_units=(16,),
                                    discriminator_units=(16, 16), seed=1), "labelled_signed"),
    "acgan": (lambda: keras_gen.ACGAN(input_shape=(8, 8, 1), latent_dim=8, seed=1),
              "labelled_image"),
    "infogan": (lambda: keras_gen.InfoGAN(input_shape=(8, 8, 1), noise_dim=4, num_categories=3,
                                          seed=1), "image"),
    "aae": (lambda: keras_gen.AdversarialAutoencoder(
        input_shape=(8,), hidden_units=(16,), discriminator_units=(16,), seed=1), "flat"),
    "supervised_aae": (lambda: keras_gen.SupervisedAdversarialAutoencoder(
        input_shape=(8,), hidden_units=(16,), discriminator_units=(16,), seed=1),
        "labelled"),
    # Every other batch: the classification update kept or put back per step.
    "semi_supervised_aae": (lambda: keras_gen.SemiSupervisedAdversarialAutoencoder(
        input_shape=(8,), hidden_units=(16,), discriminator_units=(16,), seed=1,
        supervised_interval=2), "semi"),
    "bigan": (lambda: keras_gen.BiGAN(input_shape=(8, 8, 1), latent_dim=4, seed=1), "image"),
    "cogan": (lambda: keras_gen.CoGAN(input_shape=(8, 8, 1), latent_dim=4, seed=1), "domains"),
    "sgan": (lambda: keras_gen.SGAN(input_shape=(8, 8, 1), latent_dim=8, seed=1), "semi_image"),
    "sgan_feature_matching": (lambda: keras_gen.SGAN(
        input_shape=(8,), latent_dim=8, feature_matching=True, seed=1,
        discriminator=keras_gen.models.sgan.feature_matching_discriminator(
            (8,), 10, seed=1, units=(16, 8))), "semi"),
}


def fit_arguments(kind):
    """`fit()`'s data arguments for a kind of data: 64 examples, batches of BATCH."""
    rng = np.random.default_rng(0)
    flat = rng.uniform(0, 1, (64, 8)).astype("float32")
    if kind == "semi":
        dataset = keras_gen.make_semi_supervised_dataset(
            flat[10:], flat[:10], np.arange(10), batch_size=BATCH, seed=0)
        return {"x": dataset}
    image = np.repeat(flat, 8, axis=1).reshape(64, 8, 8, 1) * 2 - 1
    if kind == "domains":  # Two unpaired domains; the second shorter.
        return {"x": image, "y": np.rot90(image[:48], axes=(1, 2)).copy(), "batch_size": BATCH}
    if kind == "semi_image":
        dataset = keras_gen.make_semi_supervised_dataset(
            image[10:], image[:10], np.arange(10), batch_size=BATCH, seed=0,
            value_range=(-1, 1))
        return {"x": dataset}
    x = {"flat": flat, "signed": flat * 2 - 1, "labelled": flat, "image": image,
         "labelled_signed": flat * 2 - 1, "labelled_image": image}[kind]
    labels = rng.integers(0, 10, 64) if kind.startswith("labelled") else None
    return {"x": x, "y": labels, "batch_size": BATCH}


def train_every_model(scope, epochs=2):
    """Trains each model in `scope()` (a fresh context manager per model).

    Returns:
        `{name: history dict}`.
    """
    import keras

    histories = {}
    for name, (make, kind) in MODELS.items():
        keras.utils.set_random_seed(0)
        with scope():
            model = make()
            model.compile()
        history = model.fit(**fit_arguments(kind), epochs=epochs, verbose=0).history
        histories[name] = {k: [float(v) for v in values] for k, values in history.items()}
    return histories


def all_finite(history):
    return all(np.isfinite(values).all() for values in history.values())
