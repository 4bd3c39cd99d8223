"""InfoGAN on MNIST: a GAN whose codes come out readable, without any label.

The generator reads 62 noise dimensions, a 10-way categorical code and 2
continuous codes; a Q head on the discriminator's body must read the codes
back from the images, and both players pay when it cannot (the information
loss). Trained on images alone, the categorical code tends to take the
digit's class and the continuous ones its slant and width. At the end the
code is read off the test digits and scored as a classifier after the best
one-to-one matching of codes to classes (`code_accuracy`).

    python examples/infogan.py --epochs 10

Pictures (PNG files: the code traversal, samples, loss curves) and the model
go under `--out`, and to the W&B run (offline unless you are logged in).
"""

import os

import keras_gen
from keras_gen import callbacks
from keras_gen import console
from keras_gen import files
from keras_gen import tracking


def parse_args():
    parser = console.training_parser(
        "Train an InfoGAN on MNIST or Fashion-MNIST.",
        epochs=10, batch_size=64, out="out/infogan",
    )
    parser.add_argument("--num_categories", type=int, default=10,
                        help="Values of the categorical code.")
    parser.add_argument("--num_continuous", type=int, default=2,
                        help="Continuous codes, uniform on [-1, 1].")
    parser.add_argument("--continuous_weight", type=float, default=0.1,
                        help="Weight of the continuous codes' squared error.")
    return parser.parse_args()


def main():
    args = parse_args()  # `--help` answers here, before the backend loads.
    keras = console.import_keras()  # Without TensorFlow's start-up banners.
    # `args` come back from the run's config: a sweep's values win over flags.
    run, args = tracking.start_run(args, job_type="infogan")
    keras.utils.set_random_seed(args.seed)
    files.check_writable(args.out, "--out")  # Checked now, not at the save.

    # 28x28x1 images in [-1, 1], the generator's tanh range. No labels:
    # y_test only scores the categorical code at the end.
    (x_train, _), (x_test, y_test) = keras_gen.data.load_dataset(
        args.dataset, layout="image", value_range=(-1.0, 1.0))
    x_train = x_train[: args.train_samples]

    with console.distribution(args.distribute):  # Made on every device (--distribute).
        model = keras_gen.InfoGAN(num_categories=args.num_categories,
                                  num_continuous=args.num_continuous,
                                  continuous_weight=args.continuous_weight, seed=args.seed)
        model.compile()  # Adam(2e-4, beta_1=0.5) for each player; Q with the discriminator.
    model.summary()

    # Kept until the model is saved: a kill at any point loses nothing.
    backup = callbacks.BackupAndRestore(
        tracking.backup_dir(args.out, args), delete_checkpoint=False)
    pictures = os.path.join(args.out, "pictures")
    model.fit(x_train, epochs=args.epochs, batch_size=args.batch_size, verbose=2, callbacks=[
        backup, callbacks.MetricsLogger(args.log_every_n_batches),
        # The category across the columns, each continuous code from -1 to 1
        # down the rows, the noise fixed.
        callbacks.CodeTraversal(directory=pictures),
        callbacks.SampleGrid(num_samples=25, columns=5, value_range=(-1, 1),
                             directory=pictures),
        callbacks.LossCurves(directory=pictures),
    ])

    score = keras_gen.evaluation.code_accuracy(model.predict_codes(x_test), y_test)
    saved = tracking.save_model(model, os.path.join(args.out, "infogan.keras"), run)
    backup.delete()  # Saved: the backup has done its job.

    print(f"Categorical code as a classifier of the test digits: "
          f"{score['code_accuracy']:.4f} (code -> class {score['code_to_class']})")
    tracking.print_saved(saved, pictures, run)
    tracking.finish_run(run, {"test_code_accuracy": score["code_accuracy"]})


if __name__ == "__main__":
    main()
