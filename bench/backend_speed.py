"""Training speed of every adversarial model on TensorFlow, JAX and PyTorch.

Prints one JSON line per run: steps/s of `fit()` on random data of the
model's shape at its examples' default batch size, on the CPU, for each
backend and compile setting:

    python bench/backend_speed.py                       # everything, 3 rounds
    python bench/backend_speed.py --models gan --rounds 1
    python bench/backend_speed.py --output bench/results_backend_speed.jsonl
    python bench/backend_speed.py --table bench/results_backend_speed.jsonl

How it measures: every run is a fresh Python process (Keras picks its
backend at import), so no run inherits another's threads, caches or
compiled functions. The runs are interleaved: each round runs every
configuration once, in the same order, so a slow phase of a shared machine
hits them alike; the table gives the median over rounds. Within a run, the
model is built with `keras.utils.set_random_seed(0)`, compiled with the
setting under test, warmed up (one epoch of 10 steps, which traces or jits
the step), then timed over `--epochs` epochs of `--steps` batches from
`on_epoch_begin` to `on_epoch_end`; steps/s is the median over those epochs.

Settings: `jit_compile` False or True (`"auto"` is what `compile()` picks:
True on JAX, False on TensorFlow's CPU and on PyTorch) and
`steps_per_execution` 1 or 10 (PyTorch runs eagerly, so only 1 there).
PyTorch runs with one thread per core (its default).

Peers, in the same rounds: `pytorch_reference` runs `bench/pytorch_reference.py`
(plain PyTorch eager, the same networks: GAN, DCGAN, AAE) for `--seconds 3`,
with the PyTorch DCGAN example's loop, and `pytorch_reference_keras_gan_loop`
with Keras-GAN's (the GAN and the DCGAN; the loop keras-gen follows);
`gan_fused` is the MLP GAN as one hand-written Keras `train_step` on
TensorFlow (`FusedGAN`: one `tf.GradientTape` a player, no metrics), the
least a `fit()` step can cost there.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# model -> (default batch size, input shape). The GAN at 64, as measured before.
MODELS = {
    "gan": (64, (784,)),
    "dcgan": (32, (28, 28, 1)),
    "ebgan": (64, (784,)),
    "aae": (100, (784,)),
    "aae_supervised": (100, (784,)),
    "aae_semi_supervised": (100, (784,)),
    "gan_fused": (64, (784,)),
}
# The models bench/pytorch_reference.py implements.
PYTORCH_REFERENCE = ("gan", "dcgan", "aae")
BACKENDS = ("tensorflow", "jax", "torch")
# (jit_compile, steps_per_execution) per backend; the first is its default.
SETTINGS = {
    "tensorflow": [("auto", 1), (True, 1), ("auto", 10)],
    "jax": [("auto", 1), (False, 1), ("auto", 10)],
    "torch": [("auto", 1)],
}


def fused_gan():
    """The peer: `GAN`'s networks trained by one hand-written TensorFlow step."""
    import keras
    import tensorflow as tf

    from keras_gen.models.gan import mlp_discriminator, mlp_generator

    class FusedGAN(keras.Model):
        def __init__(self):
            super().__init__()
            self.generator = mlp_generator(100, (128, 256, 512), (784,))
            self.discriminator = mlp_discriminator((784,), (512, 256))
            self.seed_generator = keras.random.SeedGenerator(0)

        def compile(self, **kwargs):
            super().compile(**kwargs)
            self.d_optimizer = keras.optimizers.Adam(2e-4, beta_1=0.5)
            self.g_optimizer = keras.optimizers.Adam(2e-4, beta_1=0.5)
            self.d_optimizer.build(self.discriminator.trainable_variables)
            self.g_optimizer.build(self.generator.trainable_variables)

        def train_step(self, data):
            real, _, _ = keras.utils.unpack_x_y_sample_weight(data)
            bce = keras.losses.BinaryCrossentropy()
            size = tf.shape(real)[0]
            noise = keras.random.normal((size, 100), seed=self.seed_generator)
            fake = self.generator(noise, training=False)
            weights = self.discriminator.trainable_variables
            with tf.GradientTape() as tape:
                real_scores = self.discriminator(real, training=True)
                fake_scores = self.discriminator(fake, training=True)
                d_loss = 0.5 * (bce(tf.ones_like(real_scores), real_scores)
                                + bce(tf.zeros_like(fake_scores), fake_scores))
            self.d_optimizer.apply_gradients(zip(tape.gradient(d_loss, weights), weights))
            noise = keras.random.normal((size, 100), seed=self.seed_generator)
            weights = self.generator.trainable_variables
            with tf.GradientTape() as tape:
                scores = self.discriminator(self.generator(noise, training=True),
                                            training=True)
                g_loss = bce(tf.ones_like(scores), scores)
            self.g_optimizer.apply_gradients(zip(tape.gradient(g_loss, weights), weights))
            return {"d_loss": d_loss, "g_loss": g_loss}

    return FusedGAN()


def build(name, batch_size, num_examples):
    """The model, compiled later, and its training data (NumPy)."""
    import numpy as np

    import keras_gen

    rng = np.random.default_rng(0)
    if name == "gan":
        return keras_gen.GAN(seed=0), rng.uniform(-1, 1, (num_examples, 784))
    if name == "gan_fused":
        return fused_gan(), rng.uniform(-1, 1, (num_examples, 784))
    if name == "dcgan":
        return (keras_gen.DCGAN(seed=0),
                rng.uniform(-1, 1, (num_examples, 28, 28, 1)))
    if name == "ebgan":
        return keras_gen.EBGAN(seed=0), rng.uniform(-1, 1, (num_examples, 784))
    x = rng.random((num_examples, 784))
    y = rng.integers(0, 10, num_examples)
    if name == "aae":
        return keras_gen.AdversarialAutoencoder(seed=0), x
    if name == "aae_supervised":
        return keras_gen.SupervisedAdversarialAutoencoder(seed=0), (x, y)
    dataset = keras_gen.make_semi_supervised_dataset(
        x.astype("float32"), x[:100].astype("float32"), y[:100],
        batch_size=batch_size, seed=0,
    )
    return keras_gen.SemiSupervisedAdversarialAutoencoder(seed=0), dataset


def worker(args):
    """One run, in this process: prints its JSON line."""
    import keras

    from timing import EpochTimer

    batch_size, _ = MODELS[args.model]
    keras.utils.set_random_seed(0)
    model, data = build(args.model, batch_size, args.steps * batch_size)
    jit_compile = {"auto": "auto", "True": True, "False": False}[args.jit_compile]
    model.compile(jit_compile=jit_compile,
                  steps_per_execution=args.steps_per_execution)
    if isinstance(data, tuple):
        x, y = data
        x = x.astype("float32")
        fit = dict(x=x, y=y, batch_size=batch_size, shuffle=False)
        warm = dict(x=x[: 10 * batch_size], y=y[: 10 * batch_size],
                    batch_size=batch_size)
    elif hasattr(data, "batch"):  # The semi-supervised batches.
        fit = dict(x=data)
        warm = dict(x=data, steps_per_epoch=10)
    else:
        x = data.astype("float32")
        fit = dict(x=x, batch_size=batch_size, shuffle=False)
        warm = dict(x=x[: 10 * batch_size], batch_size=batch_size)
    started = time.perf_counter()
    model.fit(**warm, epochs=1, verbose=0)
    warm_seconds = time.perf_counter() - started
    timer = EpochTimer()
    model.fit(**fit, epochs=args.epochs, verbose=0, callbacks=[timer])
    rates = [args.steps / seconds for seconds in timer.epoch_seconds]
    print(json.dumps({
        "model": args.model, "backend": keras.backend.backend(),
        "jit_compile": args.jit_compile,
        "jit_compile_used": bool(model.jit_compile),
        "steps_per_execution": args.steps_per_execution,
        "batch_size": batch_size, "steps": args.steps,
        "steps_per_second": round(statistics.median(rates), 2),
        "steps_per_second_all": [round(rate, 2) for rate in rates],
        "warm_up_seconds": round(warm_seconds, 1),
        "keras": keras.__version__, "cpus": os.cpu_count(),
        "load1": round(os.getloadavg()[0], 2),
    }), flush=True)


def run(args):
    """Runs every configuration in fresh processes, interleaved by round."""
    configs = [
        (model, backend, jit, spe)
        for model in args.models
        if model != "gan_fused"
        for backend in args.backends
        for jit, spe in SETTINGS[backend]
    ]
    if "gan_fused" in args.models and "tensorflow" in args.backends:
        configs.append(("gan_fused", "tensorflow", "auto", 1))
    if args.peers:
        configs += [(model, "pytorch_reference", "auto", 1)
                    for model in args.models if model in PYTORCH_REFERENCE]
        configs += [(model, "pytorch_reference_keras_gan_loop", "auto", 1)
                    for model in args.models if model in ("gan", "dcgan")]
    if args.only_defaults:
        configs = [config for config in configs
                   if config[2:] == ("auto", 1)]
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True,
        text=True, cwd=HERE,
    ).stdout.strip()
    for round_index in range(args.rounds):
        for model, backend, jit, spe in configs:
            command = [
                sys.executable, __file__, "--worker", "--models", model,
                "--jit_compile", str(jit), "--steps_per_execution", str(spe),
                "--steps", str(args.steps), "--epochs", str(args.epochs),
            ]
            if backend.startswith("pytorch_reference"):
                command = [
                    sys.executable, os.path.join(HERE, "pytorch_reference.py"),
                    "--models", model, "--batch_sizes", str(MODELS[model][0]),
                    "--repeats", "1", "--seconds", "3",
                    "--loop", "keras_gan" if backend.endswith("keras_gan_loop")
                    else "pytorch_example",
                ]
            env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3",
                   "KERAS_BACKEND": backend if backend in BACKENDS else "torch"}
            result = subprocess.run(command, env=env, capture_output=True,
                                    text=True, cwd=HERE)
            lines = [line for line in result.stdout.splitlines()
                     if line.startswith("{")]
            if result.returncode or not lines:
                record = {"model": model, "backend": backend,
                          "jit_compile": str(jit), "steps_per_execution": spe,
                          "error": result.stderr[-500:]}
            else:
                record = json.loads(lines[-1])
            record.update(backend=backend, jit_compile=str(jit),
                          steps_per_execution=spe, round=round_index, commit=commit)
            line = json.dumps(record)
            print(line, flush=True)
            if args.output:
                with open(args.output, "a") as f:
                    f.write(line + "\n")


def table(path):
    """The markdown table of the median steps/s per configuration."""
    rates = {}
    with open(path) as f:
        for line in f:
            record = json.loads(line)
            if "steps_per_second" not in record:
                continue
            key = (record["model"], record["backend"], record["jit_compile"],
                   record["steps_per_execution"])
            rates.setdefault(key, []).append(record["steps_per_second"])
    print("| model | backend | jit_compile | steps_per_execution | steps/s (median) | rounds |")
    print("|---|---|---|---|---|---|")
    for (model, backend, jit, spe), values in rates.items():
        print(f"| {model} | {backend} | {jit} | {spe} | "
              f"{statistics.median(values):.1f} | {len(values)} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS),
                        choices=list(MODELS))
    parser.add_argument("--backends", nargs="+", default=list(BACKENDS),
                        choices=list(BACKENDS))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=40,
                        help="Batches per timed epoch.")
    parser.add_argument("--epochs", type=int, default=2,
                        help="Timed epochs per run.")
    parser.add_argument("--only_defaults", action="store_true",
                        help="Each backend's default settings only.")
    parser.add_argument("--no_peers", dest="peers", action="store_false",
                        help="Leave out the PyTorch eager reference runs.")
    parser.add_argument("--output", help="Appends the JSON lines to this file.")
    parser.add_argument("--table", metavar="JSONL",
                        help="Prints the markdown table of a results file.")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--jit_compile", default="auto", help=argparse.SUPPRESS)
    parser.add_argument("--steps_per_execution", type=int, default=1,
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.table:
        table(args.table)
    elif args.worker:
        args.model = args.models[0]
        worker(args)
    else:
        run(args)


if __name__ == "__main__":
    main()
