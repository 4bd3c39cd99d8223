"""A dense autoencoder on MNIST, as in the Keras and W&B blog posts.

The encoder squeezes each 784-pixel digit into `latent_space` numbers and the
decoder rebuilds the digit from them; training minimizes the mean squared
error between input and reconstruction.

    python examples/autoencoder.py --latent_space 10 --epochs 5

It writes the model, reconstructions and a scatter plot of the codes under
`--out`. The W&B sweep `sweeps/latent.yaml` varies `--latent_space`.
"""

import argparse
import os

import keras

import keras_gen
from keras_gen import callbacks
from keras_gen.data import load_dataset


def parse_args():
    parser = argparse.ArgumentParser(description="Train an autoencoder on MNIST.")
    parser.add_argument("--dataset", default="mnist",
                        choices=["mnist", "fashion_mnist"])
    parser.add_argument("--latent_space", type=int, default=32)
    parser.add_argument("--intermediate_dim", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--batch_size", type=int, default=256)
    parser.add_argument("--learning_rate", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="out/autoencoder")
    return parser.parse_args()


def main():
    args = parse_args()
    keras.utils.set_random_seed(args.seed)

    # Flat vectors of 784 pixels in [0, 1], downloaded and cached by Keras.
    (x_train, _), (x_test, y_test) = load_dataset(args.dataset, layout="flat")

    autoencoder = keras_gen.Autoencoder(
        input_shape=(784,),
        latent_space=args.latent_space,
        intermediate_dim=args.intermediate_dim,
    )
    autoencoder.compile(keras.optimizers.Adam(args.learning_rate), loss="mse")
    autoencoder.summary()

    # The target of an autoencoder is its input, so `fit` needs only `x`.
    pictures = os.path.join(args.out, "pictures")
    autoencoder.fit(
        x_train,
        epochs=args.epochs,
        batch_size=args.batch_size,
        validation_data=(x_test,),
        callbacks=[
            callbacks.ReconstructionLogger(x_test, directory=pictures),
            # With more than 2 dimensions the codes are projected with PCA.
            callbacks.LatentSpacePlot(x_test, y_test, directory=pictures),
            callbacks.LossCurves(directory=pictures),
        ],
    )

    test_mse = autoencoder.evaluate(x_test, batch_size=1000, verbose=0)
    model_path = os.path.join(args.out, "autoencoder.keras")
    autoencoder.save(model_path)

    # The encoder is a model of its own, as in the blog: `encoder.predict`.
    codes = autoencoder.encoder.predict(x_test[:5], verbose=0)
    print(f"Codes of the first test digits, shape {codes.shape}:")
    print(codes.round(2))
    print(f"Test MSE: {test_mse:.5f}")
    print(f"Model saved to {model_path}")
    print(f"Pictures written under {pictures}/")


if __name__ == "__main__":
    main()
