"""`fit()` speed of the MLP GAN on the current Keras backend; prints a JSON line.

`bench/adversarial.py` measures on TensorFlow only (its matmul peak and
kernel timings are TensorFlow ops). This script times the same training step
on whichever backend `KERAS_BACKEND` selects, so TensorFlow and PyTorch can be
compared on one machine:

    KERAS_BACKEND=tensorflow python bench/backend_speed.py
    KERAS_BACKEND=torch python bench/backend_speed.py --torch_threads 1

steps/s is the median over `--epochs` epochs of `--steps` batches of random
data (batch 64, `keras_gen.GAN` defaults), after a 20-step warm-up.
"""

import argparse
import datetime
import json
import os
import statistics

import keras
import numpy as np

import keras_gen

from timing import EpochTimer


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch_size", type=int, default=64)
    parser.add_argument("--torch_threads", type=int,
                        help="torch.set_num_threads() before training (torch only).")
    args = parser.parse_args()
    if args.torch_threads and keras.backend.backend() == "torch":
        import torch

        torch.set_num_threads(args.torch_threads)

    keras.utils.set_random_seed(0)
    model = keras_gen.GAN(seed=0)
    model.compile()
    images = np.random.default_rng(0).uniform(
        -1, 1, (args.steps * args.batch_size, 784)
    ).astype("float32")
    model.fit(images[: 20 * args.batch_size], batch_size=args.batch_size, verbose=0)
    timer = EpochTimer()
    load = os.getloadavg()[0]
    model.fit(images, batch_size=args.batch_size, epochs=args.epochs, verbose=0,
              callbacks=[timer])
    rates = [args.steps / seconds for seconds in timer.epoch_seconds]
    print(json.dumps({
        "model": "GAN", "backend": keras.backend.backend(),
        "batch_size": args.batch_size, "torch_threads": args.torch_threads,
        "steps_per_second": round(statistics.median(rates), 1),
        "steps_per_second_all": [round(rate, 1) for rate in rates],
        "load1_before": round(load, 2), "cpus": os.cpu_count(),
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
    }))


if __name__ == "__main__":
    main()
