"""The GANs of the lecture notes and Keras-GAN, on MNIST.

A generator maps 100 Gaussian numbers to a 28x28 digit in [-1, 1]; a
discriminator tells real digits from generated ones. Each batch runs one
discriminator update and one generator update, with the other player
frozen, in one compiled step. `--model` picks the game: `gan` (the lecture
notes' MLPs, the non-saturating loss), `lsgan` (least squares), `bgan`
(boundary seeking), `wgan` (a clipped critic), `wgan_gp` (a gradient
penalty; these two update the generator on every `--n_critic`-th batch),
`cgan` (both players given the label) or `acgan` (the discriminator also
names the class); the last two train on the labels too and draw each class.

    python examples/gan.py                       # 16 epochs, about 30,000 steps
    python examples/gan.py --model wgan_gp --epochs 1 --train_samples 2000 --no-wandb

Defaults follow Keras-GAN's `gan.py`: 30,000 iterations of batch 32 are
16 epochs of MNIST's 60,000 digits (1875 steps each), Adam(2e-4, 0.5) for
both players (RMSprop(5e-5) for the Wasserstein GANs), and a picture of
generated digits every `--gen_interval`
epochs (Keras-GAN's `sample_interval=200` iterations is about a ninth of an
epoch; pictures here come per epoch).

Each run logs to Weights & Biases (offline unless you are logged in; see
README): the model's per-epoch metrics (`d_loss`, `g_loss`, ...),
generated digits, loss curves and the model. The pictures are PNG
files under `--out/pictures` too, with or without W&B.
"""

import os

import keras_gen
from keras_gen import callbacks
from keras_gen import console
from keras_gen import files
from keras_gen import tracking

MODELS = {"gan": "GAN", "lsgan": "LSGAN", "bgan": "BGAN", "wgan": "WGAN",
          "wgan_gp": "WGANGP", "cgan": "CGAN", "acgan": "ACGAN", "bigan": "BiGAN"}
WASSERSTEIN = ("wgan", "wgan_gp")
LABELLED = ("cgan", "acgan")  # fit(x, y): the generator draws the class asked for.


def parse_args():
    parser = console.training_parser(
        "Train a GAN of Keras-GAN on MNIST or Fashion-MNIST.",
        epochs=16, batch_size=32, out="out/gan",
    )
    parser.add_argument("--model", default="gan", choices=sorted(MODELS),
                        help="Which GAN: its losses, networks and optimizers.")
    console.add_gan_arguments(  # --latent_dim, --gen_interval, rates
        parser, d_learning_rate=None, g_learning_rate=None,
        rate_help="learning rate; None: Keras-GAN's, Adam(2e-4, beta_1=0.5), "
                  "RMSprop(5e-5) for wgan and wgan_gp")
    parser.add_argument("--n_critic", type=int, default=5,
                        help="wgan, wgan_gp: critic updates per generator update.")
    parser.add_argument("--quality_samples", type=int, default=2000,
                        help="Samples scored every gen_interval epochs (FCD, "
                             "class coverage...); 0 to skip.")
    return parser.parse_args()


def main():
    args = parse_args()  # `--help` answers here, before the backend loads.
    keras = console.import_keras()  # Without TensorFlow's start-up banners.
    # `args` come back from the run's config: a sweep's values win over flags.
    run, args = tracking.start_run(args, job_type=args.model)
    keras.utils.set_random_seed(args.seed)
    # Checked now, not at the save. Killed? The same command resumes.
    files.check_writable(args.out, "--out")

    # Digits as 28x28x1 images scaled to [-1, 1], the range of the
    # generator's tanh. Keras downloads MNIST once and caches it.
    (x_train, y_train), _ = keras_gen.data.load_dataset(
        args.dataset, layout="image", value_range=(-1.0, 1.0)
    )
    x_train, y_train = x_train[: args.train_samples], y_train[: args.train_samples]

    with console.distribution(args.distribute):  # Made on every device (--distribute).
        extra = {"n_critic": args.n_critic} if args.model in WASSERSTEIN else {}
        gan = getattr(keras_gen, MODELS[args.model])(
            input_shape=(28, 28, 1), latent_dim=args.latent_dim, seed=args.seed,
            **extra)
        # One optimizer per player; the losses are built in.
        if args.model in WASSERSTEIN:
            make, rate = keras.optimizers.RMSprop, 5e-5
        else:
            make, rate = (lambda lr: keras.optimizers.Adam(lr, beta_1=0.5)), 2e-4
        gan.compile(d_optimizer=make(args.d_learning_rate or rate),
                    g_optimizer=make(args.g_learning_rate or rate))
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
    if args.quality_samples > 0 and args.dataset in console.DATASETS:  # Not your own images.
        quality.append(keras_gen.evaluation.SampleQuality(
            dataset=args.dataset, every_n_epochs=args.gen_interval,
            num_samples=args.quality_samples, log_to_wandb=False,
        ))
    if args.model in LABELLED:  # Fixed styles (rows) drawn as every class (columns).
        quality.append(callbacks.StyleGrid(every_n_epochs=args.gen_interval,
                                           value_range=(-1, 1), directory=pictures))
    gan.fit(
        x_train,
        y_train if args.model in LABELLED else None,
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

    model_path = os.path.join(args.out, f"{args.model}.keras")
    saved = tracking.save_model(gan, model_path, run)
    backup.delete()  # Saved: the backup has done its job.
    tracking.print_saved(saved, pictures, run)
    tracking.finish_run(run)


if __name__ == "__main__":
    main()
