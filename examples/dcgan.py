"""A deep convolutional GAN on MNIST: Keras-GAN's model or the PyTorch example's.

`--architecture keras_gan` (default) is Keras-GAN's `dcgan.py` for 28x28
digits; `--architecture pytorch` is the PyTorch DCGAN example's
transposed-convolution pair, for which the digits are resized to
`--image_size` 32 or 64 (the PyTorch example resizes MNIST to 64).

    python examples/dcgan.py                     # Keras-GAN, 2 epochs
    python examples/dcgan.py --architecture pytorch --image_size 32 --batch_size 64
    python examples/dcgan.py --epochs 1 --train_samples 1000 --no-wandb  # quick
    python examples/dcgan.py --architecture pytorch --dataset path/to/images --image_size 64

Defaults follow Keras-GAN: 4000 iterations of batch 32 are about 2 epochs
of MNIST's 60,000 digits (3750 steps), Adam(2e-4, 0.5) for both players and
generated digits every `--gen_interval` epochs (Keras-GAN saves them every
50 iterations; pictures here come per epoch). The PyTorch example trains 25
epochs of batch 64: pass `--epochs 25 --batch_size 64` to match it.

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
        "Train a DCGAN (Keras-GAN's or the PyTorch example's) on MNIST or "
        "Fashion-MNIST.", epochs=2, batch_size=32, out="out/dcgan",
    )
    console.add_gan_arguments(parser)  # --latent_dim, --gen_interval, rates
    parser.add_argument("--architecture", default="keras_gan",
                        choices=["keras_gan", "pytorch"],
                        help="Keras-GAN's 28x28 pair or the PyTorch example's.")
    parser.add_argument("--image_size", type=int, default=None,
                        choices=[28, 32, 64],
                        help="None: 28 for keras_gan, 64 for pytorch (which "
                             "also takes 32).")
    return parser.parse_args()


def main():
    args = parse_args()  # `--help` answers here, before the backend loads.
    keras = console.import_keras()  # Without TensorFlow's start-up banners.
    # `args` come back from the run's config: a sweep's values win over flags.
    run, args = tracking.start_run(args, job_type="dcgan")
    keras.utils.set_random_seed(args.seed)
    # Checked now, not at the save. Killed? The same command resumes.
    files.check_writable(args.out, "--out")
    size = args.image_size or (28 if args.architecture == "keras_gan" else 64)

    # Images in [-1, 1], the range of the generator's tanh: the digits as
    # 28x28x1 (resized to `size`), or a folder of your own at `size`, grey or
    # RGB as found (the networks take the channels from the data).
    if args.dataset in console.DATASETS:
        (x_train, _), _ = keras_gen.data.load_dataset(
            args.dataset, layout="image", value_range=(-1.0, 1.0))
        x_train = x_train[: args.train_samples]
        if size != 28:
            x_train = keras_gen.data.resize_images(x_train, size)  # still in [-1, 1]
    else:
        x_train, _ = keras_gen.data.load_image_folder(
            args.dataset, image_size=(size, size), value_range=(-1.0, 1.0))
        x_train = x_train[: args.train_samples]

    with console.distribution(args.distribute):  # Made on every device (--distribute).
        dcgan = keras_gen.DCGAN(
            input_shape=x_train.shape[1:],
            latent_dim=args.latent_dim,
            architecture=args.architecture,
            seed=args.seed,
        )
        dcgan.compile(
            d_optimizer=keras.optimizers.Adam(args.d_learning_rate, beta_1=0.5),
            g_optimizer=keras.optimizers.Adam(args.g_learning_rate, beta_1=0.5),
        )
    dcgan.generator.summary()
    dcgan.discriminator.summary()

    # Kept until the model is saved: a kill at any point loses nothing.
    backup = callbacks.BackupAndRestore(
        tracking.backup_dir(args.out, args), delete_checkpoint=False)
    pictures = os.path.join(args.out, "pictures")
    dcgan.fit(
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
            callbacks.LossCurves(directory=pictures),  # d_loss and g_loss
        ],
    )
    model_path = os.path.join(args.out, "dcgan.keras")
    saved = tracking.save_model(dcgan, model_path, run)
    backup.delete()  # Saved: the backup has done its job.
    tracking.print_saved(saved, pictures, run)
    tracking.finish_run(run)


if __name__ == "__main__":
    main()
