"""Trains the reference classifiers of `keras_gen.evaluation` and ships them.

For each dataset it trains `keras_gen.evaluation.build_classifier()` on the
full training set (60,000 images in [0, 1]) with a fixed schedule, measures
the accuracy on the full test set (10,000 images, never used for training or
for stopping), and writes into `keras_gen/evaluation/weights/`:

- `<dataset>_classifier.weights.h5`: the weights (about 1.2 MB);
- `<dataset>_classifier.json`: the test accuracy and loss, the command, the
  date, the schedule, the seed and the library versions.

Schedule (both datasets): Adam, learning rate 1e-3 decayed to 0 along a
cosine over all steps, batch size 128, cross-entropy, dropout 0.3 on the
feature layer's input and output. Light augmentation, drawn afresh every
epoch: random translations of up to 10% (2.8 pixels) each way, zero-filled,
and for Fashion-MNIST also random horizontal flips (a flipped digit is not
the same digit; a flipped shirt is). Epochs: 12 for MNIST, 20 for
Fashion-MNIST.

Reproducibility: the seed sets Python's, NumPy's and the backend's random
generators, and on TensorFlow `enable_op_determinism()` makes the run
repeatable on the same machine and library versions (not bit-identical
across CPU types or on GPUs).

Usage:
    python bench/train_classifiers.py                    # both datasets
    python bench/train_classifiers.py --dataset mnist --epochs 12
    python bench/train_classifiers.py --output_dir /tmp/weights  # dry run

Prints one JSON line per dataset.
"""

import argparse
import datetime
import json
import os
import platform
import shlex
import sys
import time

import keras
import numpy as np

from keras_gen.data import load_dataset
from keras_gen.evaluation import classifiers

DEFAULT_EPOCHS = {"mnist": 12, "fashion_mnist": 20}
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def build_training_model(classifier, dataset, seed):
    """Wraps the classifier with augmentation layers active in training only."""
    inputs = keras.Input(shape=classifiers.IMAGE_SHAPE)
    x = keras.layers.RandomTranslation(
        0.1, 0.1, fill_mode="constant", fill_value=0.0, seed=seed
    )(inputs)
    if dataset == "fashion_mnist":
        x = keras.layers.RandomFlip("horizontal", seed=seed + 1)(x)
    return keras.Model(inputs, classifier(x), name="training_model")


def train(dataset, epochs, args):
    keras.utils.set_random_seed(args.seed)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    (x_train, y_train), (x_test, y_test) = load_dataset(
        dataset, layout="image", value_range=(0.0, 1.0)
    )
    classifier = classifiers.build_classifier(name=f"{dataset}_classifier")
    model = build_training_model(classifier, dataset, args.seed)
    steps = epochs * int(np.ceil(len(x_train) / args.batch_size))
    schedule = keras.optimizers.schedules.CosineDecay(
        args.learning_rate, decay_steps=steps
    )
    model.compile(
        optimizer=keras.optimizers.Adam(schedule),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    start = time.perf_counter()
    model.fit(
        x_train, y_train, epochs=epochs, batch_size=args.batch_size,
        shuffle=True, verbose=args.verbose,
    )
    train_seconds = time.perf_counter() - start

    classifier.compile(
        loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    test_loss, test_accuracy = classifier.evaluate(
        x_test, y_test, batch_size=1000, verbose=0
    )
    os.makedirs(args.output_dir, exist_ok=True)
    weights_file = os.path.join(
        args.output_dir, f"{dataset}_classifier.weights.h5"
    )
    classifier.save_weights(weights_file)
    info = {
        "dataset": dataset,
        "test_accuracy": round(float(test_accuracy), 4),
        "test_loss": round(float(test_loss), 4),
        "test_examples": int(len(x_test)),
        "train_examples": int(len(x_train)),
        "epochs": epochs,
        "batch_size": args.batch_size,
        "learning_rate": args.learning_rate,
        "seed": args.seed,
        "parameters": int(classifier.count_params()),
        "weights_bytes": os.path.getsize(weights_file),
        "train_seconds": round(train_seconds, 1),
        "command": "python bench/train_classifiers.py "
        + " ".join(shlex.quote(a) for a in sys.argv[1:]),
        "date": datetime.date.today().isoformat(),
        "keras_version": keras.__version__,
        "backend": keras.backend.backend(),
        "backend_version": _backend_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
    }
    with open(os.path.join(args.output_dir, f"{dataset}_classifier.json"), "w") as f:
        json.dump(info, f, indent=2)
        f.write("\n")
    return info


def _backend_version():
    backend = keras.backend.backend()
    module = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}.get(
        backend
    )
    try:
        return __import__(module).__version__
    except (ImportError, TypeError, AttributeError):
        return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--dataset", choices=["mnist", "fashion_mnist", "all"], default="all"
    )
    parser.add_argument(
        "--epochs", type=int, default=None,
        help="Default: 12 for MNIST, 20 for Fashion-MNIST.",
    )
    parser.add_argument("--batch_size", type=int, default=128)
    parser.add_argument("--learning_rate", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--output_dir", default=classifiers.WEIGHTS_DIR,
        help="Where to write the weights and JSON (default: the package).",
    )
    parser.add_argument("--verbose", type=int, default=2)
    args = parser.parse_args()
    datasets = classifiers.DATASETS if args.dataset == "all" else (args.dataset,)
    for dataset in datasets:
        epochs = args.epochs or DEFAULT_EPOCHS[dataset]
        print(json.dumps(train(dataset, epochs, args)), flush=True)


if __name__ == "__main__":
    main()
