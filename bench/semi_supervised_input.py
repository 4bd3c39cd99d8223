"""Epoch times of the semi-supervised AAE fed by Keras' PyDataset path or ours.

Keras feeds a `keras.utils.PyDataset` to TensorFlow through
`tf.data.Dataset.from_generator`; `SemiSupervisedAdversarialAutoencoder.fit()`
instead trains on `keras_gen.backend.training_data()`, which on TensorFlow is
one endless `tf.data` dataset of the same batches. This times both on full MNIST (100 labels, the model's defaults):
each epoch's wall time, and the wait before its first step ends (the stall
that the PyDataset path shows at the start of some epochs). Prints one JSON
line per epoch and a summary line per path (medians).

Usage:
    python bench/semi_supervised_input.py --epochs 4
"""

import argparse
import json
import time

import keras
import numpy as np

import keras_gen
from keras_gen.data import labelled_split, load_dataset

from timing import EpochTimer


class FirstStepTimer(EpochTimer):
    """`EpochTimer` that also records how long each epoch's first step took."""

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        self.first_step_seconds = []

    def on_train_batch_end(self, batch, logs=None):
        if batch == 0:
            self.first_step_seconds.append(time.perf_counter() - self.start)


def time_path(path, args):
    (x_train, y_train), _ = load_dataset("mnist", layout="flat", value_range=(0.0, 1.0))
    (x_labelled, y_labelled), (x_unlabelled, _) = labelled_split(
        x_train, y_train, 100, seed=0
    )
    dataset = keras_gen.make_semi_supervised_dataset(
        x_unlabelled, x_labelled, y_labelled, batch_size=100, seed=0
    )
    keras.utils.set_random_seed(0)
    model = keras_gen.SemiSupervisedAdversarialAutoencoder(seed=0)
    model.compile()
    timer = FirstStepTimer()
    # keras.Model.fit skips our override: Keras' own PyDataset adapter.
    fit = keras.Model.fit if path == "pydataset" else type(model).fit
    fit(model, dataset, epochs=args.epochs, verbose=0, shuffle=False, callbacks=[timer])
    epochs = list(zip(timer.epoch_seconds, timer.first_step_seconds))
    for epoch, (seconds, first_step) in enumerate(epochs, start=1):
        print(json.dumps({"path": path, "epoch": epoch, "epoch_seconds": round(seconds, 2),
                          "first_step_seconds": round(first_step, 2)}), flush=True)
    later = epochs[1:]  # The first epoch includes tracing.
    print(json.dumps({
        "path": path, "epochs": args.epochs,
        "median_epoch_seconds": round(float(np.median([s for s, _ in later])), 2),
        "max_first_step_seconds": round(max(f for _, f in later), 2),
        "keras": keras.__version__, "backend": keras.backend.backend(),
    }), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--paths", nargs="+", default=["pydataset", "tf_dataset"],
                        choices=["pydataset", "tf_dataset"])
    args = parser.parse_args()
    for path in args.paths:
        time_path(path, args)


if __name__ == "__main__":
    main()
