"""Adversarial autoencoders on MNIST (Makhzani et al.; the Paperspace post).

A discriminator that tells codes from samples of a prior p(z) pushes the
encoder of an autoencoder to fill the prior. `--mode unsupervised` shapes a
2-D code into `--prior`, `supervised` also gives the label to the decoder so
the code keeps only the style, and `semi_supervised` adds a class output
trained on `--labels` digits and prints the test classification error.

    python examples/aae.py --epochs 20 --prior mixture
    python examples/aae.py --mode supervised --epochs 20
    python examples/aae.py --mode semi_supervised --labels 100 --epochs 100
    python examples/aae.py --mode semi_supervised --recipe paper --epochs 50
    python examples/aae.py --mode semi_supervised --recipe paper --supervised_interval 4

Pictures (PNG files) and the model go under `--out`, and to the W&B run
(offline unless you are logged in; see README) with the per-epoch metrics.
"""

import os

import keras_gen
from keras_gen import callbacks
from keras_gen import console
from keras_gen import files
from keras_gen import tracking

MODELS = {  # --mode -> the model class of keras_gen
    "unsupervised": "AdversarialAutoencoder",
    "supervised": "SupervisedAdversarialAutoencoder",
    "semi_supervised": "SemiSupervisedAdversarialAutoencoder",
}


def parse_args():
    parser = console.training_parser(
        "Train an adversarial autoencoder on MNIST or Fashion-MNIST.",
        epochs=20, batch_size=100, out=None,
        out_help="Folder of the model, pictures and backup; None: "
                 "out/aae_<mode>.",
    )
    parser.add_argument("--mode", default="unsupervised", choices=sorted(MODELS),
                        help="Which adversarial autoencoder.")
    parser.add_argument("--labels", type=int, default=100,
                        help="semi_supervised: labelled training images.")
    parser.add_argument("--latent_dim", type=int, default=None,
                        help="Code (style) size; None: 2, or 10 semi-supervised.")
    parser.add_argument("--prior", default="gaussian",
                        choices=["gaussian", "mixture", "uniform"],
                        help="The distribution the codes are pushed to.")
    parser.add_argument("--recipe", default="post", choices=["post", "paper"],
                        help="semi_supervised: the Paperspace post's settings, "
                             "or Makhzani et al.'s (input noise, SGD, decay).")
    parser.add_argument("--supervised_interval", type=int, default=1,
                        help="semi_supervised: run the classification phase "
                             "on every k-th batch only, as some ports of the "
                             "paper do; 1: every batch (the paper).")
    return parser.parse_args()


def main():
    args = parse_args()  # `--help` answers here, before the backend loads.
    keras = console.import_keras()  # Without TensorFlow's start-up banners.
    # `args` come back from the run's config: a sweep's values win over flags.
    run, args = tracking.start_run(args, job_type="aae")
    keras.utils.set_random_seed(args.seed)
    out = args.out or os.path.join("out", f"aae_{args.mode}")
    # Checked now, not at the save. Killed? The same command resumes.
    files.check_writable(out, "--out")

    # Flat vectors of 784 pixels in [0, 1], for the sigmoid decoder.
    (x_train, y_train), (x_test, y_test) = keras_gen.data.load_dataset(
        args.dataset, layout="flat")
    x_train, y_train = x_train[: args.train_samples], y_train[: args.train_samples]
    labels = None if args.mode == "unsupervised" else y_train
    validation = (x_test,) if labels is None else (x_test, y_test)
    if args.mode == "semi_supervised":
        # A few class-balanced labelled images; the rest train unlabelled.
        # Each batch pairs `batch_size` unlabelled images with labelled ones.
        (x_l, y_l), (x_u, _) = keras_gen.data.labelled_split(
            x_train, y_train, args.labels, seed=args.seed)
        x_train, labels = keras_gen.make_semi_supervised_dataset(
            x_u, x_l, y_l, batch_size=args.batch_size, seed=args.seed), None

    # Each model's default prior is a Gaussian; the others plug in by name.
    options = {"seed": args.seed}
    if args.latent_dim is not None:
        options["latent_dim"] = args.latent_dim
    if args.prior != "gaussian":
        options["prior"] = args.prior
    semi = keras_gen.models.semi_supervised_adversarial_autoencoder
    paper = args.mode == "semi_supervised" and args.recipe == "paper"
    if paper:  # 1000-unit layers, 10-D z, input noise 0.3, no dropout.
        options.update(semi.PAPER_ARCHITECTURE)
    if args.mode == "semi_supervised":
        options["supervised_interval"] = args.supervised_interval
    with console.distribution(args.distribute):  # Made on every device (--distribute).
        model = getattr(keras_gen, MODELS[args.mode])(**options)
        # One optimizer per phase: the post's Adam(6e-4) reconstruction, Adam(8e-4)
        # discriminator and regularization, Adam(1e-3) classification; or the
        # paper's SGD with momentum, all rates divided by 10 at epochs 50 and 1000.
        model.compile(**(semi.paper_optimizers(len(x_train)) if paper else {}))
    model.summary()

    # Kept until the model is saved: a kill at any point loses nothing.
    backup = callbacks.BackupAndRestore(
        tracking.backup_dir(out, args), delete_checkpoint=False)
    pictures = os.path.join(out, "pictures")
    picture_callbacks = [
        backup, callbacks.MetricsLogger(args.log_every_n_batches),
        callbacks.LossCurves(directory=pictures),
        callbacks.LatentSpacePlot(x_test[:5000], y_test[:5000], directory=pictures),
    ]
    if args.mode != "unsupervised":
        # Rows: fixed styles from the prior; columns: the digits 0-9.
        picture_callbacks.append(callbacks.StyleGrid(num_rows=10, directory=pictures))
    else:
        picture_callbacks += [
            callbacks.ReconstructionLogger(x_test, directory=pictures),
            callbacks.SampleGrid(num_samples=32, columns=8, directory=pictures)]
    if args.mode == "unsupervised" and model.latent_dim == 2:
        # The priors fill [-10, 10]^2, so decode a grid over that square.
        picture_callbacks.append(
            callbacks.LatentManifold(latent_range=(-10, 10), directory=pictures))

    model.fit(x_train, labels, epochs=args.epochs, batch_size=args.batch_size,
              validation_data=validation, callbacks=picture_callbacks, verbose=2)

    metrics = model.evaluate(*validation, batch_size=1000, verbose=0, return_dict=True)
    if args.mode == "semi_supervised":
        error = model.classification_error(x_test, y_test)
        metrics["classification_error_percent"] = 100 * error
    path = os.path.join(out, f"aae_{args.mode}.keras")
    saved = tracking.save_model(model, path, run)
    backup.delete()  # Saved: the backup has done its job.

    print("Test metrics:", *(f"  {k}: {v:.4f}" for k, v in metrics.items()), sep="\n")
    tracking.print_saved(saved, pictures, run)
    tracking.finish_run(run, {f"test_{k}": v for k, v in metrics.items()})


if __name__ == "__main__":
    main()
