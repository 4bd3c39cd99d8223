"""A dense autoencoder on MNIST, as in the Keras and W&B blog posts.

The encoder squeezes each 784-pixel digit into `latent_space` numbers and the
decoder rebuilds the digit from them; training minimizes the mean squared
error between input and reconstruction.

    python examples/autoencoder.py --latent_space 10 --epochs 5
    python examples/autoencoder.py --epochs 1 --train_samples 2000  # quick

Each run logs to Weights & Biases (offline unless you are logged in; see
README): per-epoch `loss` and `val_loss` (the validation MSE, the sweep's
metric), reconstructions, the latent space and loss curves, and the model.
The pictures are PNG files under `--out/pictures` too, with or without
W&B. The sweep `sweeps/latent.yaml` varies `--latent_space`:

    wandb sweep sweeps/latent.yaml   # then `wandb agent ...`, or offline:
    keras-gen sweep sweeps/latent.yaml
"""

import os

import keras_gen
from keras_gen import callbacks
from keras_gen import console
from keras_gen import files
from keras_gen import tracking


def parse_args():
    parser = console.training_parser(
        "Train a dense autoencoder on MNIST or Fashion-MNIST.",
        epochs=50, batch_size=256, out="out/autoencoder",
    )
    parser.add_argument("--latent_space", type=int, default=32,
                        help="Size of the code (the blog's encoding_dim).")
    parser.add_argument("--intermediate_dim", type=int, default=128,
                        help="Units of the hidden layer on each side.")
    parser.add_argument("--learning_rate", type=float, default=1e-3,
                        help="Adam's learning rate.")
    return parser.parse_args()


def main():
    args = parse_args()  # `--help` answers here, before the backend loads.
    keras = console.import_keras()  # Without TensorFlow's start-up banners.
    # `args` come back from the run's config: a sweep's values win over flags.
    run, args = tracking.start_run(args, job_type="autoencoder")
    keras.utils.set_random_seed(args.seed)
    # Checked now, not at the save. Killed? The same command resumes.
    files.check_writable(args.out, "--out")

    # Flat vectors of 784 pixels in [0, 1], downloaded and cached by Keras.
    (x_train, _), (x_test, y_test) = keras_gen.data.load_dataset(args.dataset, layout="flat")
    x_train = x_train[: args.train_samples]

    with console.distribution(args.distribute):  # Made on every device (--distribute).
        autoencoder = keras_gen.Autoencoder(
            input_shape=(784,),
            latent_space=args.latent_space,
            intermediate_dim=args.intermediate_dim,
        )
        autoencoder.compile(keras.optimizers.Adam(args.learning_rate), loss="mse")
    autoencoder.summary()

    # Kept until the model is saved: a kill at any point loses nothing.
    backup = callbacks.BackupAndRestore(
        tracking.backup_dir(args.out, args), delete_checkpoint=False)

    # The target of an autoencoder is its input, so `fit` needs only `x`.
    # Pictures are PNG files, also logged to the W&B run if there is one.
    pictures = os.path.join(args.out, "pictures")
    autoencoder.fit(
        x_train,
        epochs=args.epochs,
        batch_size=args.batch_size,
        validation_data=(x_test,),
        callbacks=[
            backup,
            callbacks.MetricsLogger(args.log_every_n_batches),
            callbacks.ReconstructionLogger(x_test, directory=pictures),
            # With more than 2 dimensions the codes are projected with PCA.
            callbacks.LatentSpacePlot(x_test, y_test, directory=pictures),
            callbacks.LossCurves(directory=pictures),
        ],
    )

    test_mse = autoencoder.evaluate(x_test, batch_size=1000, verbose=0)
    model_path = os.path.join(args.out, "autoencoder.keras")
    saved = tracking.save_model(autoencoder, model_path, run)
    backup.delete()  # Saved: the backup has done its job.

    # The encoder is a model of its own, as in the blog: `encoder.predict`.
    codes = autoencoder.encoder.predict(x_test[:5], verbose=0)
    print(f"Codes of the first test digits, shape {codes.shape} (first 8):")
    print(codes[:, :8].round(2))
    print(f"Test MSE: {test_mse:.5f}")
    tracking.print_saved(saved, pictures, run)
    tracking.finish_run(run, summary={"test_mse": test_mse})


if __name__ == "__main__":
    main()
