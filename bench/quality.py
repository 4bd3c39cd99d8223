"""Trains each model with documented settings and measures it: the results table.

One command per model (`--model vae`) or everything (`--all`). Each run
trains on the full training set of each dataset the model is benchmarked on,
evaluates it with `keras_gen.evaluation`, prints one JSON line and appends it
to `--output` (JSON lines). `--table` then turns the JSON lines into the
markdown results table.

Settings (the defaults; `--epochs` overrides the epoch count of every model,
for the shortened runs a 2-core CPU can afford):

| model | datasets | epochs | batch | optimizer | other |
|---|---|---|---|---|---|
| autoencoder | MNIST | 20 | 128 | Adam 1e-3 | latent 32, MSE |
| denoising_autoencoder | MNIST | 20 | 128 | Adam 1e-3 | latent 32, noise 0.5 |
| vae | MNIST, Fashion | 50 | 128 | Adam 1e-3 | latent 2, hidden 512, BCE |
| gan | MNIST, Fashion | 30 | 64 | Adam 2e-4, beta1 0.5 | latent 100 |
| dcgan | MNIST, Fashion | 10 | 64 | Adam 2e-4, beta1 0.5 | Keras-GAN 28x28 |
| lsgan | MNIST, Fashion | 30 | 64 | Adam 2e-4, beta1 0.5 | Keras-GAN's MLPs (256-512-1024), least squares |
| bgan | MNIST, Fashion | 30 | 64 | Adam 2e-4, beta1 0.5 | Keras-GAN's MLPs, boundary-seeking G loss |
| wgan | MNIST, Fashion | 10 | 64 | RMSprop 5e-5 | Keras-GAN's conv nets, n_critic 5, clip 0.01 |
| wgan_gp | MNIST, Fashion | 10 | 64 | RMSprop 5e-5 | as wgan, gradient penalty 10, no clipping |
| wgan_gp_paper | MNIST, Fashion | 10 | 64 | Adam 1e-4, beta1 0.5, beta2 0.9 (the paper's) | as wgan_gp |
| cgan | MNIST, Fashion | 30 | 64 | Adam 2e-4, beta1 0.5 | Keras-GAN's MLPs with label embeddings, all labels |
| acgan | MNIST, Fashion | 10 | 64 | Adam 2e-4, beta1 0.5 | Keras-GAN's conv nets, class head, all labels |
| infogan | MNIST, Fashion | 10 | 64 | Adam 2e-4, beta1 0.5 | the paper's conv nets, 62 noise + 10 categories + 2 continuous codes |
| beta_vae | MNIST, Fashion | 50 | 128 | Adam 1e-3 | as vae, latent 10, beta 4 |
| beta_vae_1 | MNIST, Fashion | 50 | 128 | Adam 1e-3 | as beta_vae at beta 1 |
| cvae | MNIST, Fashion | 50 | 128 | Adam 1e-3 | as vae, labels into encoder and decoder |
| ebgan | MNIST | 30 | 64 | Adam 1e-3 cost, 2e-4 generator | MLP, margin 0.5, pull-away 0.1 |
| aae | MNIST | 20 | 100 | Adam 6e-4 / 8e-4 / 8e-4 | latent 2, Gaussian prior std 5 |
| aae_supervised | MNIST | 20 | 100 | as aae | labels to the decoder |
| aae_semi_supervised | MNIST | 20 | 100 | as aae, classification Adam 1e-3 | 100 labels, latent 10 |
| aae_semi_supervised_paper | MNIST | 50 | 100 | SGD, momentum 0.9 (reconstruction, classification) / 0.1 (adversarial), rates 0.01 / 0.1, /10 at epochs 50 and 1000 | 100 labels, latent 10, input noise 0.3, no dropout, half squared error |
| aae_semi_supervised_paper_no_noise | MNIST | 50 | 100 | as paper | without the input noise |
| aae_semi_supervised_paper_bce | MNIST | 50 | 100 | as paper | binary cross-entropy reconstruction |
| aae_semi_supervised_paper_adam | MNIST | 50 | 100 | the post's Adam | the paper's networks, noise and loss |
| aae_semi_supervised_paper_no_decay | MNIST | 50 | 100 | as paper, constant rates | |
| aae_semi_supervised_paper_supervised_every_4 | MNIST | 50 | 100 | as paper | the classification phase on every 4th batch only |
| bigan | MNIST, Fashion | 20 | 64 | Adam 2e-4, beta1 0.5 | Keras-GAN's MLPs, latent 100; codes scored by a linear probe and 1-NN |
| autoencoder_latent100 | MNIST | 20 | 128 | Adam 1e-3 | hidden 512, code 100 (BiGAN's size), probed |
| vae_latent100 | MNIST, Fashion | 20 | 128 | Adam 1e-3 | hidden 512, latent 100, BCE, probed |
| cogan_inverted | MNIST (as is, inverted) | 20 | 64 | as cogan | the CoGAN paper's kind of second domain |
| cogan | MNIST (upright, rotated 90 degrees) | 20 | 64 | Adam 2e-4, beta1 0.5 | Keras-GAN's coupled MLPs; pairs read by the classifier (pair agreement) |
| sgan | MNIST | 20 | 100 | Adam 2e-4, beta1 0.5 | Keras-GAN's conv nets, 100 labels, num_classes + 1 outputs |
| sgan_feature_matching | MNIST | 100 | 100 | Adam 3e-3, beta1 0.5 | Salimans et al.'s MLPs (noise, weight norm), 100 labels, feature matching |
| sgan_feature_matching_ema | MNIST | 100 | 100 | as sgan_feature_matching, D with Keras' weight averaging (`use_ema`, momentum 0.999) | scored on the averaged discriminator |

Metrics:

- every generative model (VAE, GANs): `generator_quality()` on 10,000
  samples (`--num_samples`) against the 10,000 test images: FCD (Fréchet
  Classifier Distance, not the FID), classifier score, classes covered,
  class KL (nats), sample precision and recall (k = 3);
- autoencoders: test reconstruction MSE (per pixel) and BCE (nats/image);
- models with classes (CGAN, ACGAN, the conditional VAE):
  `conditional_accuracy`, the fraction of 10,000 samples drawn as class `k`
  (balanced) that the reference classifier reads as `k`;
- InfoGAN: `code_accuracy`, its categorical code of the 10,000 test images
  read as a classifier after the best one-to-one matching of codes to classes;
- semi-supervised AAE: test classification error (%) with 100 labels (the
  adversarial autoencoders also get the sample-quality metrics, decoding
  prior samples; the supervised one with uniformly drawn labels);
- VAE: test negative ELBO (nats, Bernoulli likelihood on [0, 1] grey levels,
  10 draws of z per image) and the importance-weighted NLL with
  `--iwae_samples` (5000) draws on the first `--nll_examples` (1000) test
  images;
- `--floor`: the same sample-quality metrics for 10,000 training images, the
  real-data floor of each dataset;
- `--classifiers`: the recorded test accuracy of the reference classifiers.

Every line also has the wall time of training and evaluation, the time per
epoch (median of epochs after the first, which includes tracing), the
training samples/s and the machine.

Usage:
    python bench/quality.py --all                       # full schedules
    python bench/quality.py --model gan --epochs 5      # a shortened run
    python bench/quality.py --floor --classifiers
    python bench/quality.py --table bench/results_quality.md
"""

import argparse
import datetime
import json
import os
import platform
import shlex
import subprocess
import sys
import time

import keras
import numpy as np

import keras_gen
from keras_gen import evaluation
from keras_gen.data import labelled_split, load_dataset, load_domains
from keras_gen.models import semi_supervised_adversarial_autoencoder as semi

from timing import EpochTimer

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results_quality.jsonl")



def gan_spec(build, layout="flat", epochs=30):
    """A GAN's settings: MNIST and Fashion-MNIST, batch 64, its own compile()."""
    return {
        "datasets": ("mnist", "fashion_mnist"), "epochs": epochs, "batch_size": 64,
        "layout": layout, "value_range": (-1.0, 1.0), "build": build,
        "compile": lambda model, steps: model.compile(),
    }


# Model name -> how to benchmark it.
SPECS = {
    "autoencoder": {
        "datasets": ("mnist",), "epochs": 20, "batch_size": 128,
        "layout": "flat", "value_range": (0.0, 1.0),
        "build": lambda seed: keras_gen.Autoencoder(latent_space=32),
        "compile": lambda model, steps: model.compile(keras.optimizers.Adam(1e-3)),
    },
    "denoising_autoencoder": {
        "datasets": ("mnist",), "epochs": 20, "batch_size": 128,
        "layout": "flat", "value_range": (0.0, 1.0),
        "build": lambda seed: keras_gen.DenoisingAutoencoder(
            latent_space=32, noise_std=0.5, seed=seed
        ),
        "compile": lambda model, steps: model.compile(keras.optimizers.Adam(1e-3)),
    },
    "vae": {
        "datasets": ("mnist", "fashion_mnist"), "epochs": 50, "batch_size": 128,
        "layout": "flat", "value_range": (0.0, 1.0),
        "build": lambda seed: keras_gen.VariationalAutoencoder(
            intermediate_dim=512, latent_dim=2,
            reconstruction_loss="binary_crossentropy", seed=seed,
        ),
        "compile": lambda model, steps: model.compile(keras.optimizers.Adam(1e-3)),
    },
    "beta_vae": {
        "datasets": ("mnist", "fashion_mnist"), "epochs": 50, "batch_size": 128,
        "layout": "flat", "value_range": (0.0, 1.0),
        "build": lambda seed: keras_gen.VariationalAutoencoder(
            intermediate_dim=512, latent_dim=10, beta=4.0,
            reconstruction_loss="binary_crossentropy", seed=seed,
        ),
        "compile": lambda model, steps: model.compile(keras.optimizers.Adam(1e-3)),
    },
    "beta_vae_1": {  # The same 10-D VAE at beta 1: the baseline of the traversal.
        "datasets": ("mnist", "fashion_mnist"), "epochs": 50, "batch_size": 128,
        "layout": "flat", "value_range": (0.0, 1.0),
        "build": lambda seed: keras_gen.VariationalAutoencoder(
            intermediate_dim=512, latent_dim=10, beta=1.0,
            reconstruction_loss="binary_crossentropy", seed=seed,
        ),
        "compile": lambda model, steps: model.compile(keras.optimizers.Adam(1e-3)),
    },
    "cvae": {
        "datasets": ("mnist", "fashion_mnist"), "epochs": 50, "batch_size": 128,
        "layout": "flat", "value_range": (0.0, 1.0), "labels": "all",
        "build": lambda seed: keras_gen.ConditionalVariationalAutoencoder(
            intermediate_dim=512, latent_dim=2,
            reconstruction_loss="binary_crossentropy", seed=seed,
        ),
        "compile": lambda model, steps: model.compile(keras.optimizers.Adam(1e-3)),
    },
    "gan": gan_spec(lambda seed: keras_gen.GAN(latent_dim=100, seed=seed)),
    "cgan": {**gan_spec(lambda seed: keras_gen.CGAN(latent_dim=100, seed=seed), "image"),
             "labels": "all"},
    "infogan": gan_spec(lambda seed: keras_gen.InfoGAN(seed=seed), "image", epochs=10),
    "acgan": {**gan_spec(lambda seed: keras_gen.ACGAN(latent_dim=100, seed=seed), "image",
                         epochs=10), "labels": "all"},
    "dcgan": gan_spec(lambda seed: keras_gen.DCGAN(
        input_shape=(28, 28, 1), latent_dim=100, seed=seed), "image", epochs=10),
    # Keras-GAN's variants, with its defaults (networks, optimizers).
    "lsgan": gan_spec(lambda seed: keras_gen.LSGAN(latent_dim=100, seed=seed)),
    "bgan": gan_spec(lambda seed: keras_gen.BGAN(latent_dim=100, seed=seed)),
    "wgan": gan_spec(lambda seed: keras_gen.WGAN(latent_dim=100, seed=seed),
                     "image", epochs=10),
    "wgan_gp": gan_spec(lambda seed: keras_gen.WGANGP(latent_dim=100, seed=seed),
                        "image", epochs=10),
    # Gulrajani et al.'s optimizer on Keras-GAN's networks.
    "wgan_gp_paper": {
        **gan_spec(lambda seed: keras_gen.WGANGP(latent_dim=100, seed=seed), "image", epochs=10),
        "compile": lambda model, steps: model.compile(
            d_optimizer=keras.optimizers.Adam(1e-4, beta_1=0.5, beta_2=0.9),
            g_optimizer=keras.optimizers.Adam(1e-4, beta_1=0.5, beta_2=0.9)),
    },
    "ebgan": {
        "datasets": ("mnist",), "epochs": 30, "batch_size": 64,
        "layout": "flat", "value_range": (-1.0, 1.0),
        "build": lambda seed: keras_gen.EBGAN(
            latent_dim=100, margin=0.5, pull_away_weight=0.1, seed=seed
        ),
        "compile": lambda model, steps: model.compile(),
    },
    # The adversarial autoencoders' defaults: the Paperspace post's networks
    # and learning rates, Gaussian prior with std 5, batch 100.
    "aae": {
        "datasets": ("mnist",), "epochs": 20, "batch_size": 100,
        "layout": "flat", "value_range": (0.0, 1.0),
        "build": lambda seed: keras_gen.AdversarialAutoencoder(seed=seed),
        "compile": lambda model, steps: model.compile(),
    },
    "aae_supervised": {
        "datasets": ("mnist",), "epochs": 20, "batch_size": 100,
        "layout": "flat", "value_range": (0.0, 1.0), "labels": "all",
        "build": lambda seed: keras_gen.SupervisedAdversarialAutoencoder(seed=seed),
        "compile": lambda model, steps: model.compile(),
    },
    "aae_semi_supervised": {
        "datasets": ("mnist",), "epochs": 20, "batch_size": 100,
        "layout": "flat", "value_range": (0.0, 1.0), "labels": 100,
        "build": lambda seed: keras_gen.SemiSupervisedAdversarialAutoencoder(
            seed=seed
        ),
        "compile": lambda model, steps: model.compile(),
    },
}
# BiGAN's encoder, against an autoencoder's and a VAE's codes of its size (100).
SPECS["bigan"] = gan_spec(lambda seed: keras_gen.BiGAN(seed=seed), "image", epochs=20)
SPECS["autoencoder_latent100"] = {
    **SPECS["autoencoder"],
    "build": lambda seed: keras_gen.Autoencoder(latent_space=100, intermediate_dim=512),
}
SPECS["vae_latent100"] = {
    **SPECS["vae"], "epochs": 20,
    "build": lambda seed: keras_gen.VariationalAutoencoder(
        intermediate_dim=512, latent_dim=100, reconstruction_loss="binary_crossentropy",
        seed=seed),
}
# Linear-probe and 1-NN accuracy of their test codes (`evaluation.code_probes`).
PROBED = ("bigan", "autoencoder_latent100", "vae_latent100")

# CoGAN on Keras-GAN's two domains: MNIST, and MNIST rotated by 90 degrees.
SPECS["cogan"] = {**gan_spec(lambda seed: keras_gen.CoGAN(seed=seed), "image", epochs=20),
                  "datasets": ("mnist",), "domains": "rotated"}
# The same on MNIST and its negative, the CoGAN paper's kind of pair.
SPECS["cogan_inverted"] = {**SPECS["cogan"], "domains": "inverted"}

# The semi-supervised GANs, on the same 100 labels: Keras-GAN's SGAN, and
# Salimans et al.'s feature-matching recipe (MLP networks, batches of 100
# unlabelled and 100 labelled images, Adam(3e-3, beta_1=0.5)).
SPECS["sgan"] = {
    "datasets": ("mnist",), "epochs": 20, "batch_size": 100,
    "layout": "image", "value_range": (-1.0, 1.0), "labels": 100,
    "build": lambda seed: keras_gen.SGAN(seed=seed),
    "compile": lambda model, steps: model.compile(),
}
SPECS["sgan_feature_matching"] = {
    **SPECS["sgan"], "epochs": 100, "layout": "flat", "value_range": (0.0, 1.0),
    "build": lambda seed: keras_gen.SGAN(input_shape=(784,), feature_matching=True, seed=seed),
}
# Salimans et al. evaluate on a moving average of the discriminator's
# weights: Keras' optimizer averaging (`use_ema`), swapped in after training.
SPECS["sgan_feature_matching_ema"] = {
    **SPECS["sgan_feature_matching"],
    "compile": lambda model, steps: model.compile(d_optimizer=keras.optimizers.Adam(
        3e-3, beta_1=0.5, use_ema=True, ema_momentum=0.999)),
    "after_training": lambda model: model.d_optimizer.finalize_variable_values(
        model.discriminator.trainable_variables),
}
# The paper's semi-supervised recipe (`--recipe paper` in examples/aae.py)
# and its ablations: each drops, swaps or changes one ingredient.
_PAPER = semi.PAPER_ARCHITECTURE
SEMI_SUPERVISED_RECIPES = {
    "paper": (_PAPER, semi.paper_optimizers),
    "paper_no_noise": ({**_PAPER, "input_noise_std": 0.0}, semi.paper_optimizers),
    "paper_bce": ({**_PAPER, "reconstruction_loss": "binary_crossentropy"},
                  semi.paper_optimizers),
    "paper_adam": (_PAPER, lambda steps: {}),  # The post's Adam optimizers.
    "paper_no_decay": (_PAPER, lambda steps: semi.paper_optimizers(steps, ())),
    # As some public ports: the supervised phase every 4th batch.
    "paper_supervised_every_4": ({**_PAPER, "supervised_interval": 4},
                                 semi.paper_optimizers),
}
for _recipe, (_architecture, _optimizers) in SEMI_SUPERVISED_RECIPES.items():
    SPECS[f"aae_semi_supervised_{_recipe}"] = {
        **SPECS["aae_semi_supervised"], "epochs": 50,
        "build": lambda seed, a=_architecture: (
            keras_gen.SemiSupervisedAdversarialAutoencoder(seed=seed, **a)
        ),
        "compile": lambda model, steps, o=_optimizers: model.compile(**o(steps)),
    }

# Published figures comparable with ours; everything else has none (FCD and
# the classifier score depend on our own reference classifiers).
REFERENCES = {
    "sgan_feature_matching": "Salimans et al. (2016): 0.93% +- 0.065 test error "
    "(93 +- 6.5 errors of 10,000) with 100 labels on MNIST, after 300 epochs, "
    "evaluated on a moving average of the discriminator's weights",
    "aae_semi_supervised": "Makhzani et al. (2016): 1.90% +- 0.10 test error "
    "with 100 labels on MNIST. (The Paperspace post's \"about 3% with 100 "
    "labels\" is not comparable: its code keeps 300 labels per class, 3,000 "
    "in all, with a 2-D z)",
}


def git_commit():
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True,
            text=True, check=True, cwd=os.path.dirname(os.path.abspath(__file__)),
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def environment(args):
    return {
        "commit": git_commit(),
        "backend": keras.backend.backend(),
        "keras": keras.__version__,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "seed": args.seed,
        "date": datetime.date.today().isoformat(),
    }


def rounded(results, digits=4):
    return {
        key: round(value, digits) if isinstance(value, float)
        else [round(v, digits) for v in value] if isinstance(value, list) else value
        for key, value in results.items()
    }


def training_data(spec, x_train, y_train, args):
    """The positional `fit()` inputs: images, images and labels, or the
    semi-supervised batches (`spec["labels"]` class-balanced labels)."""
    labels = spec.get("labels")
    if labels is None:
        return (x_train,)
    if labels == "all":
        return (x_train, y_train)
    (x_labelled, y_labelled), (x_unlabelled, _) = labelled_split(
        x_train, y_train, labels, seed=args.seed
    )
    return (keras_gen.make_semi_supervised_dataset(
        x_unlabelled, x_labelled, y_labelled, batch_size=spec["batch_size"],
        seed=args.seed, value_range=spec["value_range"],
    ),)


def bench_model(name, dataset, args):
    spec = SPECS[name]
    epochs = args.epochs or spec["epochs"]
    low, high = spec["value_range"]
    (x_train, y_train), (x_test, y_test) = load_dataset(
        dataset, layout=spec["layout"], value_range=(low, high)
    )
    if args.train_examples:
        x_train, y_train = x_train[: args.train_examples], y_train[: args.train_examples]
    if spec.get("domains"):  # Two unpaired domains: fit(x_a, x_b).
        ((x_train, y_train), (x_b, _)), _ = load_domains(
            dataset, spec["domains"], layout=spec["layout"], value_range=(low, high))
        x_train, y_train, x_b = (a[: args.train_examples] for a in (x_train, y_train, x_b))
    keras.utils.set_random_seed(args.seed)
    model = spec["build"](args.seed)
    data = (x_train, x_b) if spec.get("domains") else training_data(spec, x_train, y_train, args)
    semi_supervised = spec.get("labels") not in (None, "all")
    # With the training steps per epoch, which learning-rate schedules count.
    spec["compile"](model, len(data[0]) if semi_supervised else None)
    timer = EpochTimer()
    # The semi-supervised AAE's test error after every epoch: the learning
    # curve, to plan longer runs (its s/epoch include this evaluation).
    validation = {}
    if semi_supervised:
        validation["validation_data"] = (x_test, y_test)
    start = time.perf_counter()
    history = model.fit(
        *data, epochs=epochs,
        batch_size=spec["batch_size"], verbose=args.verbose, callbacks=[timer],
        **validation,
    ).history
    train_seconds = time.perf_counter() - start
    if "after_training" in spec:  # E.g. the averaged weights swapped in.
        spec["after_training"](model)
    steady = timer.epoch_seconds[1:] or timer.epoch_seconds
    row = {
        "model": name, "dataset": dataset, "epochs": epochs,
        "batch_size": spec["batch_size"],
        "train_seconds": round(train_seconds, 1),
        "seconds_per_epoch": round(float(np.median(steady)), 1),
        "samples_per_second": round(len(x_train) / float(np.median(steady))),
        "train_examples": len(x_train),
    }
    start = time.perf_counter()
    if spec.get("domains"):  # Both images of a pair read as one digit?
        row.update(evaluation.pair_agreement(
            model, spec["domains"], dataset, num_samples=args.num_samples,
            value_range=spec["value_range"], seed=args.seed))
    if evaluation.can_generate(model) and not spec.get("domains"):
        row.update(rounded(evaluation.generator_quality(
            model, dataset, num_samples=args.num_samples,
            value_range=spec["value_range"], seed=args.seed,
        )))
        row["num_samples"] = args.num_samples
    if getattr(model, "decoder_classes", None) and evaluation.can_generate(model):
        row.update(rounded(evaluation.conditional_accuracy(
            model, dataset, num_samples=args.num_samples,
            value_range=spec["value_range"], seed=args.seed,
        )))
    if name in PROBED:  # How much of the class the codes hold (BiGAN's measure).
        row.update(evaluation.code_probes(
            model.encode(x_train), y_train, model.encode(x_test), y_test))
    if isinstance(model, keras_gen.InfoGAN):  # Its categorical code read as a classifier.
        row.update(evaluation.code_accuracy(model.predict_codes(x_test), y_test))
    if semi_supervised:
        error = model.classification_error(x_test, y_test)
        row["test_error_percent"] = round(100 * error, 2)
        row["test_error_percent_by_epoch"] = [
            round(100 * (1 - accuracy), 2)
            for accuracy in history["val_classification_acc"]
        ]
        row["num_labels"] = spec["labels"]
    if name in ("autoencoder", "denoising_autoencoder", "vae", "beta_vae", "beta_vae_1"):
        errors = evaluation.reconstruction_error(model, x_test)
        row["test_mse"] = round(errors["mse"], 5)
        row["test_bce_nats"] = round(errors["bce_nats"], 2)
    if name.startswith("beta_vae") and args.pictures:  # What each dimension does.
        traversal = keras_gen.callbacks.LatentTraversal(steps=9, limit=3.0)
        traversal.set_model(model)
        os.makedirs(args.pictures, exist_ok=True)
        keras_gen.callbacks.ImageSink(args.pictures).log(
            f"{name}_{dataset}_traversal", traversal.picture())
    if name in ("vae", "beta_vae", "beta_vae_1"):
        elbo = evaluation.negative_elbo(model, x_test, num_samples=10, seed=args.seed)
        row["test_negative_elbo_nats"] = round(elbo["negative_elbo"], 2)
        row["test_kl_nats"] = round(elbo["kl"], 2)
        x_nll = x_test[: args.nll_examples]
        iwae = evaluation.importance_weighted_nll(
            model, x_nll, num_samples=args.iwae_samples, seed=args.seed
        )
        row["test_iwae_nll_nats"] = round(iwae["nll"], 2)
        row["iwae_samples"] = args.iwae_samples
        row["nll_examples"] = len(x_nll)
    row["eval_seconds"] = round(time.perf_counter() - start, 1)
    return row


def bench_floor(dataset, args):
    start = time.perf_counter()
    results = evaluation.real_data_floor(dataset, num_samples=args.num_samples)
    return {
        "model": "real data (training images)", "dataset": dataset,
        **rounded(results), "num_samples": min(args.num_samples, 10000),
        "eval_seconds": round(time.perf_counter() - start, 1),
    }


def bench_classifier(dataset):
    info = evaluation.load_classifier_info(dataset)
    return {
        "model": "reference classifier", "dataset": dataset,
        "epochs": info.get("epochs"), "train_seconds": info.get("train_seconds"),
        "test_accuracy": info["test_accuracy"], "command": info["command"],
    }


# The markdown table -------------------------------------------------------------

COLUMNS = (
    ("model", "model", "{}"),
    ("dataset", "dataset", "{}"),
    ("epochs", "epochs", "{}"),
    ("train_seconds", "train time (s)", "{:.0f}"),
    ("seconds_per_epoch", "s/epoch", "{:.0f}"),
    ("samples_per_second", "samples/s", "{:.0f}"),
    ("fcd", "FCD", "{:.2f}"),
    ("classifier_score", "classifier score", "{:.2f}"),
    ("classes_covered", "classes", "{}"),
    ("class_kl", "class KL (nats)", "{:.3f}"),
    ("sample_precision", "precision", "{:.3f}"),
    ("sample_recall", "recall", "{:.3f}"),
    ("test_mse", "test MSE", "{:.4f}"),
    ("test_negative_elbo_nats", "-ELBO (nats)", "{:.1f}"),
    ("test_iwae_nll_nats", "IWAE NLL (nats)", "{:.1f}"),
    ("test_error_percent", "test error (%)", "{:.2f}"),
    ("test_accuracy", "test accuracy", "{:.4f}"),
    ("conditional_accuracy", "conditional accuracy", "{:.3f}"),
    ("code_accuracy", "code accuracy", "{:.3f}"),
    ("linear_probe_accuracy", "linear probe", "{:.3f}"),
    ("nearest_neighbour_accuracy", "1-NN", "{:.3f}"),
    ("pair_agreement", "pair agreement", "{:.3f}"),
)


def markdown_table(rows):
    """The results table: the last row of each (model, dataset, epochs).

    Rows with a `superseded` entry (measured with code since changed) stay in
    the JSON lines as a record but are left out.
    """
    latest = {}
    for row in rows:
        if row.get("superseded"):
            continue
        latest[(row["model"], row["dataset"], row.get("epochs"))] = row
    rows = list(latest.values())
    columns = [c for c in COLUMNS if any(c[0] in row for row in rows)]
    lines = [
        "| " + " | ".join(title for _, title, _ in columns) + " |",
        "|" + "---|" * len(columns),
    ]
    for row in rows:
        cells = [
            fmt.format(row[key]) if row.get(key) is not None else ""
            for key, _, fmt in columns
        ]
        lines.append("| " + " | ".join(cells) + " |")
    machines = sorted({row["machine"] for row in rows if "machine" in row})
    notes = [
        "",
        "FCD: Fréchet distance in the penultimate features of the reference "
        "classifier (not the FID; no published figure is comparable). "
        "Likelihoods in nats, Bernoulli on [0, 1] grey levels (not binarized "
        "MNIST, so not comparable with published NLLs).",
        f"Machine: {', '.join(machines) or 'not recorded'}.",
    ]
    notes += [f"Reference, {key}: {text}." for key, text in REFERENCES.items()]
    return "\n".join(lines + notes) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=sorted(SPECS), action="append")
    parser.add_argument("--all", action="store_true", help="Every model.")
    parser.add_argument("--dataset", choices=["mnist", "fashion_mnist"],
                        help="Only this dataset (default: each model's).")
    parser.add_argument("--epochs", type=int, help="Override every model's.")
    parser.add_argument("--num_samples", type=int, default=10000)
    parser.add_argument("--iwae_samples", type=int, default=5000)
    parser.add_argument("--nll_examples", type=int, default=1000)
    parser.add_argument("--train_examples", type=int,
                        help="Train on the first N images (smoke tests).")
    parser.add_argument("--floor", action="store_true",
                        help="Real-data floor of each dataset.")
    parser.add_argument("--classifiers", action="store_true",
                        help="The reference classifiers' accuracy.")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", type=int, default=0,
                        help="fit() verbosity; 2 prints a line per epoch.")
    parser.add_argument("--output", default=RESULTS, help="JSON lines file.")
    parser.add_argument("--pictures", help="Folder for pictures (the beta-VAEs' latent traversal).")
    parser.add_argument("--table", help="Write the markdown table here.")
    args = parser.parse_args()

    models = sorted(SPECS) if args.all else (args.model or [])
    jobs = []
    if args.classifiers:
        jobs += [(bench_classifier, (d,)) for d in evaluation.classifiers.DATASETS]
    if args.floor:
        jobs += [(bench_floor, (d, args)) for d in evaluation.classifiers.DATASETS
                 if args.dataset in (None, d)]
    for name in models:
        jobs += [(bench_model, (name, d, args)) for d in SPECS[name]["datasets"]
                 if args.dataset in (None, d)]
    for bench, bench_args in jobs:
        row = {**bench(*bench_args), **environment(args),
               "command": shlex.join(["python", "bench/quality.py", *sys.argv[1:]])}
        print(json.dumps(row), flush=True)
        if args.output:
            with open(args.output, "a") as file:
                file.write(json.dumps(row) + "\n")
    if args.table:
        with open(args.output) as file:
            rows = [json.loads(line) for line in file if line.strip()]
        with open(args.table, "w") as file:
            file.write(markdown_table(rows))
        print(f"Wrote {args.table}")


if __name__ == "__main__":
    main()
