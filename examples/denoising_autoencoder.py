"""A denoising autoencoder on MNIST, as in the Keras blog post.

In training, each digit is corrupted (Gaussian noise of std `--noise_std`,
then masking noise that zeroes a fraction `--mask_fraction` of the pixels)
and the model learns to rebuild the clean digit.

    python examples/denoising_autoencoder.py --epochs 5

Each run logs to Weights & Biases (offline unless you are logged in; see
README): per-epoch `loss` and `val_loss` (MSE of the denoised noisy test
digits against the clean ones), noisy test digits above their denoised
versions (`denoised`), the latent space, loss curves and the model. The pictures are
PNG files under `--out/pictures` too, with or without W&B.
"""

import os

import numpy as np

import keras_gen
from keras_gen import callbacks
from keras_gen import console
from keras_gen import files
from keras_gen import tracking


def parse_args():
    parser = console.training_parser(
        "Train a denoising autoencoder on MNIST or Fashion-MNIST.",
        epochs=50, batch_size=256, out="out/denoising_autoencoder",
    )
    parser.add_argument("--latent_space", type=int, default=32,
                        help="Size of the code.")
    parser.add_argument("--intermediate_dim", type=int, default=128,
                        help="Units of the hidden layer on each side.")
    parser.add_argument("--noise_std", type=float, default=0.5,
                        help="Standard deviation of the Gaussian noise added "
                             "to the inputs in training.")
    parser.add_argument("--mask_fraction", type=float, default=0.0,
                        help="Fraction of the pixels set to 0 in training.")
    parser.add_argument("--learning_rate", type=float, default=1e-3,
                        help="Adam's learning rate.")
    return parser.parse_args()


def main():
    args = parse_args()  # `--help` answers here, before the backend loads.
    keras = console.import_keras()  # Without TensorFlow's start-up banners.
    # `args` come back from the run's config: a sweep's values win over flags.
    run, args = tracking.start_run(args, job_type="denoising_autoencoder")
    keras.utils.set_random_seed(args.seed)
    # Checked now, not at the save. Killed? The same command resumes.
    files.check_writable(args.out, "--out")

    (x_train, _), (x_test, y_test) = keras_gen.data.load_dataset(args.dataset, layout="flat")
    x_train = x_train[: args.train_samples]

    with console.distribution(args.distribute):  # Made on every device (--distribute).
        model = keras_gen.DenoisingAutoencoder(
            input_shape=(784,),
            latent_space=args.latent_space,
            intermediate_dim=args.intermediate_dim,
            noise_std=args.noise_std,
            mask_fraction=args.mask_fraction,
            seed=args.seed,
        )
        model.compile(keras.optimizers.Adam(args.learning_rate))

    # A fixed noisy copy of the test set: the corruption happens inside the
    # model while training, but at inference the model sees what it is given.
    x_test_noisy = model.corrupt(x_test)

    # Kept until the model is saved: a kill at any point loses nothing.
    backup = callbacks.BackupAndRestore(
        tracking.backup_dir(args.out, args), delete_checkpoint=False)
    pictures = os.path.join(args.out, "pictures")
    model.fit(
        x_train,
        epochs=args.epochs,
        batch_size=args.batch_size,
        # Validate on noisy inputs against clean targets.
        validation_data=(x_test_noisy, x_test),
        callbacks=[
            backup,
            callbacks.MetricsLogger(args.log_every_n_batches),
            callbacks.ReconstructionLogger(
                x_test_noisy, directory=pictures, key="denoised"
            ),
            callbacks.LatentSpacePlot(x_test, y_test, directory=pictures),
            callbacks.LossCurves(directory=pictures),
        ],
    )

    denoised = model.reconstruct(x_test_noisy)
    noisy_mse = float(np.mean((x_test_noisy - x_test) ** 2))
    denoised_mse = float(np.mean((denoised - x_test) ** 2))
    model_path = os.path.join(args.out, "denoising_autoencoder.keras")
    saved = tracking.save_model(model, model_path, run)
    backup.delete()  # Saved: the backup has done its job.

    print(f"Test MSE of the noisy inputs:    {noisy_mse:.5f}")
    print(f"Test MSE of the denoised digits: {denoised_mse:.5f}")
    tracking.print_saved(saved, pictures, run)
    tracking.finish_run(
        run, summary={"test_noisy_mse": noisy_mse, "test_denoised_mse": denoised_mse}
    )


if __name__ == "__main__":
    main()
