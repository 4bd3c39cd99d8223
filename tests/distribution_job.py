"""Data-parallel checks, run by tests/test_distribution.py in a fresh process.

    python tests/distribution_job.py mirrored   # TensorFlow, 2 logical CPUs
    python tests/distribution_job.py data_parallel  # JAX, 2 host devices

The environment (KERAS_BACKEND, XLA_FLAGS) is set by the test. Each check
trains a model the same way on one device and on two, and prints one JSON
line of what it found; the test asserts on them.
"""

import json
import sys

MODE = sys.argv[1]
if MODE == "mirrored":
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

import keras  # noqa: E402
import numpy as np  # noqa: E402

import keras_gen  # noqa: E402
import zoo  # noqa: E402  (tests/, the script's folder)

BATCH = 16
STEPS = 3


def report(**fields):
    print("RESULT " + json.dumps(fields), flush=True)


def data(shape, low=0.0):
    rng = np.random.default_rng(0)
    return rng.uniform(low, 1.0, (BATCH * STEPS, *shape)).astype("float32")


_MIRRORED = []


def _mirrored():
    if not _MIRRORED:
        _MIRRORED.append(tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"]))
    return _MIRRORED[0]


class Strategy:
    """One device or two, created the standard way for the backend."""

    def __init__(self, parallel):
        self.parallel = parallel
        if MODE == "mirrored":
            # One strategy for the process: several over the same devices
            # mix up their collective ops. One device: no strategy at all.
            self.strategy = _mirrored() if parallel else tf.distribute.get_strategy()
            self.replicas = self.strategy.num_replicas_in_sync
        else:
            keras.distribution.set_distribution(
                keras.distribution.DataParallel() if parallel else None)
            self.replicas = len(keras.distribution.list_devices()) if parallel else 1

    def scope(self):
        if MODE == "mirrored":
            return self.strategy.scope()
        import contextlib

        return contextlib.nullcontext()


def train(make, x, parallel, compile_kwargs, y=None, fit_kwargs=None):
    """Weights and history after STEPS steps of global batch BATCH."""
    keras.utils.set_random_seed(1)
    strategy = Strategy(parallel)
    with strategy.scope():
        model = make()
        model.compile(**compile_kwargs())  # Optimizers made in the scope.
    history = model.fit(x, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0,
                        **(fit_kwargs or {}))
    weights = [np.asarray(w) for w in model.get_weights()]
    return weights, {k: float(v[-1]) for k, v in history.history.items()}, strategy


def compare(name, make, x, compile_kwargs, y=None, check_history=True):
    one, history_one, _ = train(make, x, False, compile_kwargs, y)
    two, history_two, strategy = train(make, x, True, compile_kwargs, y)
    difference = max(float(np.max(np.abs(a - b))) for a, b in zip(one, two))
    scale = max(float(np.max(np.abs(a))) for a in one)
    report(check="same_as_one_device", model=name, replicas=strategy.replicas,
           max_weight_difference=difference, weight_scale=scale,
           history_one=history_one, history_two=history_two)


sgd = keras.optimizers.SGD


def main():
    x = data((8,))
    compare(
        "autoencoder",
        lambda: keras_gen.Autoencoder(input_shape=(8,), latent_space=3, intermediate_dim=6),
        x, lambda: {"optimizer": sgd(0.5), "loss": "mse"},
    )
    compare(
        "vae",
        lambda: keras_gen.VariationalAutoencoder(
            input_shape=(8,), intermediate_dim=6, latent_dim=2, seed=3),
        x, lambda: {"optimizer": sgd(0.01)},
    )
    compare(
        "gan_without_batchnorm",
        lambda: keras_gen.GAN(input_shape=(8,), latent_dim=4, generator_units=(6,),
                              discriminator_units=(6,), seed=3),
        x * 2 - 1, lambda: {"d_optimizer": sgd(0.1), "g_optimizer": sgd(0.1)},
    )
    # Models that sample through keras-gen's layers and priors draw the same
    # codes on one device and on two; BatchNorm and Keras' Dropout differ
    # under tf.distribute (per-replica statistics and masks), so these two
    # are compared on JAX and smoke-tested below on TensorFlow.
    if MODE == "data_parallel":
        compare(
            "gan_with_batchnorm",
            lambda: keras_gen.GAN(input_shape=(8,), latent_dim=4,
                                  generator_units=(6, 6), discriminator_units=(6,), seed=3),
            x * 2 - 1, lambda: {"d_optimizer": sgd(0.1), "g_optimizer": sgd(0.1)},
        )
    compare(
        "aae_without_dropout",
        lambda: keras_gen.AdversarialAutoencoder(
            input_shape=(8,), latent_dim=2, hidden_units=(6,),
            discriminator_units=(6,), dropout_rate=0.0,
            discriminator_dropout_rate=0.0, seed=3),
        x, lambda: {"ae_optimizer": sgd(0.1), "d_optimizer": sgd(0.1), "g_optimizer": sgd(0.1)},
    )
    noise_check()
    smoke()
    if MODE == "mirrored":
        optimizer_outside_scope()


def noise_check():
    """Each replica draws its own noise: the replicas' rows are the one device's."""
    sampler = keras_gen.layers.LatentSampler(3, seed=5)
    single = np.asarray(sampler.sample(8))
    if MODE != "mirrored":
        return
    strategy = Strategy(True).strategy
    with strategy.scope():  # As in fit(): the seed state is mirrored.
        sampler = keras_gen.layers.LatentSampler(3, seed=5)
    per_replica = strategy.run(tf.function(lambda: sampler.sample(4)))
    rows = [np.asarray(v) for v in strategy.experimental_local_results(per_replica)]
    report(check="noise", replicas_differ=not np.allclose(rows[0], rows[1]),
           same_as_one_device=bool(np.allclose(np.concatenate(rows), single)))


def smoke():
    """Every model trains two epochs data-parallel, with finite metrics."""
    histories = zoo.train_every_model(lambda: Strategy(True).scope())
    for name, history in histories.items():
        report(check="smoke", model=name, finite=zoo.all_finite(history),
               keys=sorted(history), epochs=len(next(iter(history.values()))))


def optimizer_outside_scope():
    optimizer = keras.optimizers.SGD(0.1)
    strategy = Strategy(True)
    with strategy.scope():
        model = keras_gen.GAN(input_shape=(8,))
        try:
            model.compile(d_optimizer=optimizer)
            message = None
        except ValueError as error:
            message = str(error)
    report(check="optimizer_outside_scope", message=message)


if __name__ == "__main__":
    main()
    print("done")
