"""Benchmark of the autoencoder family on full MNIST; prints JSON lines.

For the autoencoder (MSE loss) it trains latent sizes 2, 10 and 100 (the W&B
blog's sweep) and reports the test MSE; for the VAE with the binary
cross-entropy reconstruction (latent 2 and 20) it reports the test
reconstruction term, KL and negative ELBO in nats (Bernoulli likelihood on
pixels in [0, 1], one sample of z per test image). Every line also gives the
wall time and the training throughput.

Usage:
    python bench/autoencoders.py                 # everything, 20 epochs each
    python bench/autoencoders.py --epochs 5 --only vae
"""

import argparse
import json
import platform
import time

import keras
import numpy as np

import keras_gen
from keras_gen.data import load_dataset

from timing import EpochTimer


def train(model, x_train, args):
    model.compile(keras.optimizers.Adam(args.learning_rate))
    timer = EpochTimer()
    start = time.perf_counter()
    model.fit(
        x_train, epochs=args.epochs, batch_size=args.batch_size, verbose=0,
        callbacks=[timer],
    )
    wall_seconds = time.perf_counter() - start
    # The first epoch includes tracing; the median of the rest is the steady
    # training speed.
    steady = timer.epoch_seconds[1:] or timer.epoch_seconds
    return {
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "train_seconds": round(wall_seconds, 1),
        "samples_per_second": round(len(x_train) / float(np.median(steady))),
    }


def bench_autoencoder(latent_space, data, args):
    (x_train, _), (x_test, _) = data
    keras.utils.set_random_seed(args.seed)
    model = keras_gen.Autoencoder(latent_space=latent_space)
    result = train(model, x_train, args)
    test_mse = model.evaluate(x_test, batch_size=1000, verbose=0)
    return {"model": "Autoencoder", "latent_space": latent_space,
            "test_mse": round(float(test_mse), 5), **result}


def bench_vae(latent_dim, data, args):
    (x_train, _), (x_test, _) = data
    keras.utils.set_random_seed(args.seed)
    model = keras_gen.VariationalAutoencoder(
        latent_dim=latent_dim, reconstruction_loss="binary_crossentropy",
        seed=args.seed,
    )
    result = train(model, x_train, args)
    metrics = model.evaluate(x_test, batch_size=1000, verbose=0, return_dict=True)
    return {
        "model": "VariationalAutoencoder", "latent_dim": latent_dim,
        "test_reconstruction_nats": round(metrics["reconstruction_loss"], 2),
        "test_kl_nats": round(metrics["kl_loss"], 2),
        "test_negative_elbo_nats": round(metrics["loss"], 2),
        **result,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch_size", type=int, default=128)
    parser.add_argument("--learning_rate", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", choices=["autoencoder", "vae"])
    args = parser.parse_args()

    data = load_dataset("mnist", layout="flat")
    environment = {"backend": keras.backend.backend(), "keras": keras.__version__,
                   "machine": platform.machine(), "seed": args.seed}
    runs = []
    if args.only in (None, "autoencoder"):
        runs += [(bench_autoencoder, size) for size in (2, 10, 100)]
    if args.only in (None, "vae"):
        runs += [(bench_vae, size) for size in (2, 20)]
    for bench, size in runs:
        print(json.dumps({**bench(size, data, args), **environment}), flush=True)


if __name__ == "__main__":
    main()
