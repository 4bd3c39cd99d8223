"""The energy-based GAN (EBGAN) of the NYU deep learning notes, on MNIST.

The "discriminator" is a cost network, an autoencoder: the energy of an
image is its reconstruction error. The cost network learns to give digits
low energy and generated images an energy of at least `--margin`; the
generator learns to make images of low energy. The pull-away term
(`--pull_away_weight`, 0 turns it off) pushes the cost network's embeddings
of generated images apart, against mode collapse.

    python examples/ebgan.py                            # MLP, 30 epochs
    python examples/ebgan.py --architecture conv --pull_away_weight 0.1
    python examples/ebgan.py --epochs 1 --train_samples 2000 --no-wandb  # quick

Defaults: batch 64 for 30 epochs (28,000 steps, as many as the GAN
example); margin 0.5, Adam 1e-3 (cost network) / 2e-4 (generator) and the
pull-away weight 0.1 ("EBGAN-PT") of public ports (see `keras_gen.EBGAN`).
Pictures (PNG files) and the model go under `--out`, and to the W&B run
(offline unless you are logged in; see README) with the per-epoch metrics.
"""

import os

import keras_gen
from keras_gen import callbacks
from keras_gen import console
from keras_gen import files
from keras_gen import tracking


def parse_args():
    parser = console.training_parser(
        "Train an energy-based GAN on MNIST or Fashion-MNIST.",
        epochs=30, batch_size=64, out="out/ebgan",
    )
    console.add_gan_arguments(parser, d_learning_rate=1e-3)  # --latent_dim, --gen_interval, rates
    parser.add_argument("--architecture", default="mlp", choices=["mlp", "conv"],
                        help="Dense networks, or the paper's convolutions.")
    parser.add_argument("--margin", type=float, default=0.5,
                        help="Energy margin m of the discriminator's hinge.")
    parser.add_argument("--pull_away_weight", type=float, default=0.1,
                        help="Weight of the pull-away term (0 turns it off).")
    parser.add_argument("--embedding_dim", type=int, default=64,
                        help="Code size of the autoencoder discriminator.")
    return parser.parse_args()


def main():
    args = parse_args()  # `--help` answers here, before the backend loads.
    keras = console.import_keras()  # Without TensorFlow's start-up banners.
    # `args` come back from the run's config: a sweep's values win over flags.
    run, args = tracking.start_run(args, job_type="ebgan")
    keras.utils.set_random_seed(args.seed)
    # Checked now, not at the save. Killed? The same command resumes.
    files.check_writable(args.out, "--out")

    # Digits as 28x28x1 images in [-1, 1], the range of the tanh outputs;
    # the energies (mean squared errors) then lie in [0, 4].
    (x_train, _), (x_test, _) = keras_gen.data.load_dataset(
        args.dataset, layout="image", value_range=(-1.0, 1.0)
    )
    x_train = x_train[: args.train_samples]

    with console.distribution(args.distribute):  # Made on every device (--distribute).
        ebgan = keras_gen.EBGAN(
            input_shape=(28, 28, 1),
            latent_dim=args.latent_dim,
            architecture=args.architecture,
            margin=args.margin,
            pull_away_weight=args.pull_away_weight,
            embedding_dim=args.embedding_dim,
            seed=args.seed,
        )
        ebgan.compile(
            d_optimizer=keras.optimizers.Adam(args.d_learning_rate, beta_1=0.5),
            g_optimizer=keras.optimizers.Adam(args.g_learning_rate, beta_1=0.5),
        )
    ebgan.generator.summary()
    ebgan.discriminator.summary()  # the cost network

    # Kept until the model is saved: a kill at any point loses nothing.
    backup = callbacks.BackupAndRestore(
        tracking.backup_dir(args.out, args), delete_checkpoint=False)
    pictures = os.path.join(args.out, "pictures")
    ebgan.fit(
        x_train,
        epochs=args.epochs,
        batch_size=args.batch_size,
        callbacks=[
            backup,
            callbacks.MetricsLogger(args.log_every_n_batches),
            callbacks.SampleGrid(  # the same 25 noise vectors every time
                num_samples=25, columns=5, every_n_epochs=args.gen_interval,
                value_range=(-1, 1), directory=pictures,
            ),
            # Test digits above the cost network's reconstructions of them.
            callbacks.ReconstructionLogger(
                x_test, every_n_epochs=args.gen_interval, value_range=(-1, 1),
                directory=pictures,
            ),
            callbacks.LossCurves(directory=pictures),  # d_loss and g_loss
            callbacks.LossCurves(keys=["real_energy", "fake_energy"],
                                 key="energies", directory=pictures),
        ],
    )

    test_energy = float(ebgan.energy(x_test).mean())
    fake_energy = float(ebgan.energy(ebgan.generate(len(x_test), seed=0)).mean())
    model_path = os.path.join(args.out, "ebgan.keras")
    saved = tracking.save_model(ebgan, model_path, run)
    backup.delete()  # Saved: the backup has done its job.
    print(f"Mean energy of test digits: {test_energy:.4f}, of generated "
          f"digits: {fake_energy:.4f} (margin {args.margin})")
    tracking.print_saved(saved, pictures, run)
    tracking.finish_run(
        run, summary={"test_energy": test_energy, "generated_energy": fake_energy})


if __name__ == "__main__":
    main()
