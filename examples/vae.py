"""Variational autoencoder on MNIST, as in the Keras and W&B blog posts.

The encoder maps each digit to a Gaussian q(z|x) in a `latent_dim`-dimensional
space; the decoder maps samples of it back to pixels. Training minimizes the
reconstruction error plus the KL divergence from the prior N(0, I).

    python examples/vae.py --epochs 5
    python examples/vae.py --latent_dim 20 --reconstruction_loss binary_crossentropy

It writes the model, reconstructions, the 2-D latent space, 32 generated
digits and (for `--latent_dim 2`) the latent manifold under `--out`.
"""

import argparse
import os

import keras

import keras_gen
from keras_gen import callbacks
from keras_gen.data import load_dataset


def parse_args():
    parser = argparse.ArgumentParser(description="Train a VAE on MNIST.")
    parser.add_argument("--dataset", default="mnist",
                        choices=["mnist", "fashion_mnist"])
    parser.add_argument("--latent_dim", type=int, default=2)
    parser.add_argument("--intermediate_dim", type=int, default=512)
    parser.add_argument("--reconstruction_loss", default="mse",
                        choices=["mse", "binary_crossentropy"])
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--batch_size", type=int, default=128)
    parser.add_argument("--learning_rate", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="out/vae")
    return parser.parse_args()


def main():
    args = parse_args()
    keras.utils.set_random_seed(args.seed)

    # Flat vectors of 784 pixels in [0, 1]; Keras downloads and caches the
    # dataset under ~/.keras/datasets on first use.
    (x_train, _), (x_test, y_test) = load_dataset(args.dataset, layout="flat")

    vae = keras_gen.VariationalAutoencoder(
        input_shape=(784,),
        intermediate_dim=args.intermediate_dim,
        latent_dim=args.latent_dim,
        reconstruction_loss=args.reconstruction_loss,
        seed=args.seed,
    )
    # The loss (reconstruction + KL) is built in: an optimizer is enough.
    vae.compile(keras.optimizers.Adam(args.learning_rate))
    vae.summary()

    # Each picture callback draws once per epoch and writes PNG files under
    # `--out/pictures` (or logs to W&B when a run is active).
    pictures = os.path.join(args.out, "pictures")
    picture_callbacks = [
        callbacks.ReconstructionLogger(x_test, directory=pictures),
        callbacks.LatentSpacePlot(x_test, y_test, directory=pictures),
        callbacks.SampleGrid(num_samples=32, columns=8, directory=pictures),
        callbacks.LossCurves(directory=pictures),
    ]
    if args.latent_dim == 2:
        # Decode a grid of normal quantiles, like the blog's manifold plot.
        picture_callbacks.append(
            callbacks.LatentManifold(grid="normal", directory=pictures)
        )

    vae.fit(
        x_train,
        epochs=args.epochs,
        batch_size=args.batch_size,
        validation_data=(x_test,),
        callbacks=picture_callbacks,
    )

    metrics = vae.evaluate(x_test, batch_size=1000, verbose=0, return_dict=True)
    model_path = os.path.join(args.out, "vae.keras")
    vae.save(model_path)

    print("Test metrics:")
    for name, value in metrics.items():
        print(f"  {name}: {value:.4f}")
    print(f"Model saved to {model_path}")
    print(f"Pictures written under {pictures}/")


if __name__ == "__main__":
    main()
