"""Keras-GAN's `train()` against `fit()`: the same compiled step, the same speed?

Each round times, in a fresh process for each, `GAN.train(epochs=N)` (N
iterations of one random batch, pictures only at iteration 0) and
`GAN.fit()` over N batches of the same size, after a warm-up call that
traces the step. Rounds alternate the two, and the medians are printed as
JSON lines (also appended to `bench/results_tutorial_train.jsonl`).

    python bench/tutorial_train.py --rounds 3 --steps 400
"""

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

ONE_RUN = """
import sys, tempfile, time
import keras, numpy as np
import keras_gen
mode, steps, batch_size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
keras.utils.set_random_seed(0)
x = keras_gen.data.load_dataset("mnist", layout="flat", value_range=(-1.0, 1.0))[0][0]
gan = keras_gen.GAN()
gan.compile()
folder = tempfile.mkdtemp()
def once(n):
    if mode == "train":
        gan.train(epochs=n, batch_size=batch_size, save_interval=10**9, x=x,
                  directory=folder, verbose=0)
    else:
        gan.fit(x[: n * batch_size], batch_size=batch_size, epochs=1, verbose=0)
once(20)  # Traces the step.
start = time.perf_counter()
once(steps)
print(steps / (time.perf_counter() - start))
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--batch_size", type=int, default=32)
    parser.add_argument("--output", default=os.path.join(
        ROOT, "bench", "results_tutorial_train.jsonl"))
    args = parser.parse_args()
    speeds = {"train": [], "fit": []}
    for _ in range(args.rounds):
        for mode in speeds:
            result = subprocess.run(
                [sys.executable, "-c", ONE_RUN, mode, str(args.steps),
                 str(args.batch_size)],
                cwd=tempfile.gettempdir(), capture_output=True, text=True, check=True,
            )
            speeds[mode].append(float(result.stdout.split()[-1]))
    for mode, values in speeds.items():
        line = {
            "bench": "tutorial_train", "model": "GAN", "mode": mode,
            "batch_size": args.batch_size, "steps": args.steps,
            "steps_per_second_median": round(statistics.median(values), 1),
            "rounds": [round(v, 1) for v in values],
            "command": "python bench/tutorial_train.py " + " ".join(sys.argv[1:]),
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
            "date": datetime.date.today().isoformat(),
        }
        print(json.dumps(line))
        with open(args.output, "a") as output:
            output.write(json.dumps(line) + "\n")


if __name__ == "__main__":
    main()
