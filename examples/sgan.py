"""Semi-supervised GANs on MNIST: the discriminator learns to classify from 100 labels.

`--objective keras_gan` is Keras-GAN's SGAN (Odena 2016): a convolutional
discriminator that names one of the 10 classes or "fake". `feature_matching`
is Salimans et al.'s recipe ("Improved Techniques for Training GANs"): MLPs
with Gaussian noise and weight normalization, a 10-logit discriminator, and a
generator that matches the mean features of real batches. Both train on
batches of unlabelled digits paired with the few labelled ones, and print the
test classification error.

    python examples/sgan.py --objective feature_matching --epochs 100
    python examples/sgan.py --epochs 20 --labels 1000

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
        "Train a semi-supervised GAN on MNIST or Fashion-MNIST.",
        epochs=20, batch_size=100, out=None,
        out_help="Folder of the model, pictures and backup; None: out/sgan_<objective>.",
    )
    parser.add_argument("--objective", default="keras_gan",
                        choices=["keras_gan", "feature_matching"],
                        help="Keras-GAN's SGAN, or Salimans et al.'s feature matching.")
    parser.add_argument("--labels", type=int, default=100,
                        help="Labelled training images (class-balanced).")
    return parser.parse_args()


def main():
    args = parse_args()  # `--help` answers here, before the backend loads.
    keras = console.import_keras()  # Without TensorFlow's start-up banners.
    # `args` come back from the run's config: a sweep's values win over flags.
    run, args = tracking.start_run(args, job_type="sgan")
    keras.utils.set_random_seed(args.seed)
    out = args.out or os.path.join("out", f"sgan_{args.objective}")
    files.check_writable(out, "--out")  # Checked now, not at the save.

    # Keras-GAN's generator ends in tanh: 28x28x1 images in [-1, 1]. Salimans
    # et al.'s ends in a sigmoid: 784 values in [0, 1].
    feature_matching = args.objective == "feature_matching"
    layout, value_range = ("flat", (0, 1)) if feature_matching else ("image", (-1, 1))
    (x_train, y_train), (x_test, y_test) = keras_gen.data.load_dataset(
        args.dataset, layout=layout, value_range=value_range)
    x_train, y_train = x_train[: args.train_samples], y_train[: args.train_samples]
    # A few class-balanced labelled images; each batch pairs `batch_size`
    # unlabelled images with `batch_size` labelled ones (the labelled set
    # repeated, reshuffled on every pass).
    (x_l, y_l), (x_u, _) = keras_gen.data.labelled_split(
        x_train, y_train, args.labels, seed=args.seed)
    batches = keras_gen.make_semi_supervised_dataset(
        x_u, x_l, y_l, batch_size=args.batch_size, seed=args.seed, value_range=value_range)

    with console.distribution(args.distribute):  # Made on every device (--distribute).
        model = keras_gen.SGAN(input_shape=x_train.shape[1:],
                               feature_matching=feature_matching, seed=args.seed)
        # Adam(2e-4, beta_1=0.5) for each player; Adam(3e-3, 0.5) with feature matching.
        model.compile()
    model.summary()

    # Kept until the model is saved: a kill at any point loses nothing.
    backup = callbacks.BackupAndRestore(tracking.backup_dir(out, args), delete_checkpoint=False)
    pictures = os.path.join(out, "pictures")
    model.fit(batches, epochs=args.epochs, validation_data=(x_test, y_test), verbose=2,
              callbacks=[
                  backup, callbacks.MetricsLogger(args.log_every_n_batches),
                  callbacks.LossCurves(directory=pictures),
                  callbacks.SampleGrid(num_samples=32, columns=8, value_range=value_range,
                                       directory=pictures),
              ])

    error = 100 * model.classification_error(x_test, y_test)
    saved = tracking.save_model(model, os.path.join(out, f"sgan_{args.objective}.keras"), run)
    backup.delete()  # Saved: the backup has done its job.

    print(f"Test classification error with {args.labels} labels: {error:.2f}%")
    tracking.print_saved(saved, pictures, run)
    tracking.finish_run(run, {"test_classification_error_percent": error})


if __name__ == "__main__":
    main()
