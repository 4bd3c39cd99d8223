"""Trains one example per model family and keeps a picture of each for the README.

Each run is an example script with the flags below (`--no-wandb`, seed 0,
the full training set); its last picture of the listed kind is copied to
`docs/pictures/<name>.png`, and a JSON line (the command, the epochs, the
wall time, the machine) is appended to `bench/results_pictures.jsonl`.

    python bench/readme_pictures.py                 # every family, ~30 min on 2 CPU cores
    python bench/readme_pictures.py --only vae gan  # some of them
"""

import argparse
import datetime
import glob
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# name -> (script, picture key, flags)
RUNS = {
    "autoencoder": ("autoencoder.py", "reconstructions", ["--epochs", "10"]),
    "vae": ("vae.py", "latent_manifold", ["--epochs", "20"]),
    "gan": ("gan.py", "generated_images", ["--epochs", "10", "--quality_samples", "0"]),
    "dcgan": ("dcgan.py", "generated_images", ["--epochs", "1"]),
    "ebgan": ("ebgan.py", "generated_images", ["--epochs", "10"]),
    "aae_supervised": ("aae.py", "style_grid", ["--mode", "supervised", "--epochs", "10"]),
}


def run(name, output_dir):
    script, key, flags = RUNS[name]
    with tempfile.TemporaryDirectory() as out:
        command = [sys.executable, os.path.join("examples", script), *flags,
                   "--no-wandb", "--seed", "0", "--out", out]
        start = time.monotonic()
        subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        seconds = time.monotonic() - start
        last = sorted(glob.glob(os.path.join(out, "pictures", key, "epoch_*.png")))[-1]
        target = os.path.join(output_dir, f"{name}.png")
        shutil.copyfile(last, target)
    epochs = int(flags[flags.index("--epochs") + 1])
    return {
        "name": name,
        "command": " ".join(["python", f"examples/{script}", *flags, "--no-wandb",
                             "--seed", "0"]),
        "picture": os.path.relpath(target, ROOT),
        "epochs": epochs,
        "seconds": round(seconds, 1),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "date": datetime.date.today().isoformat(),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=sorted(RUNS), default=sorted(RUNS))
    parser.add_argument("--output_dir", default=os.path.join(ROOT, "docs", "pictures"))
    parser.add_argument("--results", default=os.path.join(
        ROOT, "bench", "results_pictures.jsonl"))
    args = parser.parse_args()
    os.makedirs(args.output_dir, exist_ok=True)
    for name in args.only:
        line = run(name, args.output_dir)
        print(json.dumps(line), flush=True)
        with open(args.results, "a") as results:
            results.write(json.dumps(line) + "\n")


if __name__ == "__main__":
    main()
