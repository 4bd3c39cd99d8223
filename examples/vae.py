"""Variational autoencoder on MNIST, as in the Keras and W&B blog posts.

The encoder maps each digit to a Gaussian q(z|x) in a `latent_dim`-dimensional
space; the decoder maps samples of it back to pixels. Training minimizes the
reconstruction error plus the KL divergence from the prior N(0, I).

    python examples/vae.py --epochs 5
    python examples/vae.py --latent_dim 20 --reconstruction_loss binary_crossentropy

Each run logs to Weights & Biases (offline unless you are logged in; see
README): per-epoch `loss`, `reconstruction_loss`, `kl_loss` and their `val_`
twins (`val_loss`, the negative ELBO, is the sweep's metric), reconstructions,
the latent space, 32 generated digits, (for `--latent_dim 2`) the latent
manifold, loss curves and the model. The pictures are PNG files under
`--out/pictures` too, with or without W&B. The sweep
`sweeps/vae_latent.yaml` varies `--latent_dim`.
"""

import os

import keras_gen
from keras_gen import callbacks
from keras_gen import console
from keras_gen import files
from keras_gen import tracking


def parse_args():
    parser = console.training_parser(
        "Train a VAE on MNIST or Fashion-MNIST.",
        epochs=50, batch_size=128, out="out/vae",
    )
    parser.add_argument("--latent_dim", type=int, default=2,
                        help="Size of the code z; 2 draws the latent manifold.")
    parser.add_argument("--intermediate_dim", type=int, default=512,
                        help="Units of the hidden layer on each side.")
    parser.add_argument("--reconstruction_loss", default="mse",
                        choices=["mse", "binary_crossentropy"],
                        help="mse: the W&B blog's; binary_crossentropy: the "
                             "Paperspace post's (the loss is then the "
                             "negative ELBO in nats).")
    parser.add_argument("--learning_rate", type=float, default=1e-3,
                        help="Adam's learning rate.")
    return parser.parse_args()


def main():
    args = parse_args()  # `--help` answers here, before the backend loads.
    keras = console.import_keras()  # Without TensorFlow's start-up banners.
    # `args` come back from the run's config: a sweep's values win over flags.
    run, args = tracking.start_run(args, job_type="vae")
    keras.utils.set_random_seed(args.seed)
    # Checked now, not at the save. Killed? The same command resumes.
    files.check_writable(args.out, "--out")

    # Flat vectors of 784 pixels in [0, 1]; Keras downloads the dataset on
    # first use and caches it in $KERAS_HOME/datasets (~/.keras/datasets).
    (x_train, _), (x_test, y_test) = keras_gen.data.load_dataset(
        args.dataset, layout="flat")
    x_train = x_train[: args.train_samples]

    with console.distribution(args.distribute):  # Made on every device (--distribute).
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

    # Kept until the model is saved: a kill at any point loses nothing.
    backup = callbacks.BackupAndRestore(
        tracking.backup_dir(args.out, args), delete_checkpoint=False)

    # Each picture callback draws once per epoch and writes PNG files under
    # `--out/pictures` (also logged to W&B when a run is active).
    pictures = os.path.join(args.out, "pictures")
    picture_callbacks = [
        backup,
        callbacks.MetricsLogger(args.log_every_n_batches),
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
    saved = tracking.save_model(vae, model_path, run)
    backup.delete()  # Saved: the backup has done its job.

    print("Test metrics:")
    for name, value in metrics.items():
        print(f"  {name}: {value:.4f}")
    tracking.print_saved(saved, pictures, run)
    tracking.finish_run(run)


if __name__ == "__main__":
    main()
