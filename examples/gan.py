"""The MLP GAN of the lecture notes and Keras-GAN, on MNIST.

A generator maps 100 Gaussian numbers to a 28x28 digit in [-1, 1]; a
discriminator tells real digits from generated ones. Each batch runs one
discriminator update and one generator update (the non-saturating loss),
with the other player frozen, in one compiled step.

    python examples/gan.py                       # 16 epochs, about 30,000 steps
    python examples/gan.py --epochs 1 --train_samples 2000 --no-wandb  # quick

Defaults follow Keras-GAN's `gan.py`: 30,000 iterations of batch 32 are
16 epochs of MNIST's 60,000 digits (1875 steps each), Adam(2e-4, 0.5) for
both players, and a picture of generated digits every `--gen_interval`
epochs (Keras-GAN's `sample_interval=200` iterations is about a ninth of an
epoch; pictures here come per epoch).

Each run logs to Weights & Biases (offline unless you are logged in; see
README): per-epoch `d_loss`, `g_loss`, `d_acc`, `d_x`, `d_g_z1`, `d_g_z2`,
generated digits, loss curves and the model. The pictures are PNG
files under `--out/pictures` too, with or without W&B.
"""

import os

import keras_gen
from keras_gen import callbacks
from keras_gen import console
from keras_gen import files
from keras_gen import tracking


def parse_args():
    parser = console.training_parser(
        "Train the MLP GAN of Keras-GAN on MNIST or Fashion-MNIST.",
        epochs=16, batch_size=32, out="out/gan",
    )
    console.add_gan_arguments(parser)  # --latent_dim, --gen_interval, rates
    parser.add_argument("--quality_samples", type=int, default=2000,
                        help="Samples scored every gen_interval epochs (FCD, "
                             "class coverage...); 0 to skip.")
    return parser.parse_args()


def main():
    args = parse_args()  # `--help` answers here, before the backend loads.
    keras = console.import_keras()  # Without TensorFlow's start-up banners.
    # `args` come back from the run's config: a sweep's values win over flags.
    run, args = tracking.start_run(args, job_type="gan")
    keras.utils.set_random_seed(args.seed)
    # Checked now, not at the save. Killed? The same command resumes.
    files.check_writable(args.out, "--out")

    # Digits as 28x28x1 images scaled to [-1, 1], the range of the
    # generator's tanh. Keras downloads MNIST once and caches it.
    (x_train, _), _ = keras_gen.data.load_dataset(
        args.dataset, layout="image", value_range=(-1.0, 1.0)
    )
    x_train = x_train[: args.train_samples]

    with console.distribution(args.distribute):  # Made on every device (--distribute).
        gan = keras_gen.GAN(
            input_shape=(28, 28, 1), latent_dim=args.latent_dim, seed=args.seed
        )
        # One optimizer per player; the losses are built in.
        gan.compile(
            d_optimizer=keras.optimizers.Adam(args.d_learning_rate, beta_1=0.5),
            g_optimizer=keras.optimizers.Adam(args.g_learning_rate, beta_1=0.5),
        )
    gan.generator.summary()
    gan.discriminator.summary()

    # Kept until the model is saved: a kill at any point loses nothing.
    backup = callbacks.BackupAndRestore(
        tracking.backup_dir(args.out, args), delete_checkpoint=False)

    # The same 25 noise vectors are decoded at every picture, so the
    # pictures show the generator improving.
    pictures = os.path.join(args.out, "pictures")
    # Sample quality, scored with the reference MNIST classifier, joins the
    # epoch's metrics (`fcd` is the learning-rate sweep's metric); it must
    # come before the logger to reach W&B.
    quality = []
    if args.quality_samples > 0:
        quality.append(keras_gen.evaluation.SampleQuality(
            dataset=args.dataset, every_n_epochs=args.gen_interval,
            num_samples=args.quality_samples, log_to_wandb=False,
        ))
    gan.fit(
        x_train,
        epochs=args.epochs,
        batch_size=args.batch_size,
        callbacks=[
            backup,
            *quality,
            callbacks.MetricsLogger(args.log_every_n_batches),
            callbacks.SampleGrid(
                num_samples=25, columns=5, every_n_epochs=args.gen_interval,
                value_range=(-1, 1), directory=pictures,
            ),
            callbacks.LossCurves(directory=pictures),  # d_loss and g_loss
        ],
    )

    model_path = os.path.join(args.out, "gan.keras")
    saved = tracking.save_model(gan, model_path, run)
    backup.delete()  # Saved: the backup has done its job.
    tracking.print_saved(saved, pictures, run)
    tracking.finish_run(run)


if __name__ == "__main__":
    main()
