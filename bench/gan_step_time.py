"""Where the MLP GAN's step time goes: ablations beside the peers, interleaved.

The MLP GAN (`keras_gen.GAN()`, batch 64, 784 -> Keras-GAN's networks) on
TensorFlow's CPU, with its defaults (`fit()` on a NumPy array, `compile()`'s
defaults), against variants that remove one thing each:

- `no_stop_on_nan`: `fit(stop_on_nan=False)`: no `StopOnNaN` callback, which
  reads every step's logs (a device-to-host sync per step).
- `tfdata_input`: a `tf.data.Dataset` of the same batches instead of the
  array, which `fit()` feeds as `keras_gen.data.ArrayBatches` (a seeded
  `PyDataset`).
- `two_logs`: a `train_step` logging `d_loss` and `g_loss` only (the
  default also logs `d_acc`, `d_x`, `d_g_z1`, `d_g_z2`).
- `direct_call`: the generator's update calls the discriminator directly
  (`discriminator(x, training=True)`) instead of `frozen()`'s
  `stateless_call`; the same function here (the MLP discriminator has no
  BatchNorm or dropout).
- `all_off`: every removal above (`two_logs`, `direct_call`,
  `no_stop_on_nan`, `tfdata_input`).

For WGAN's `n_critic` (Keras-GAN's conv networks, 28x28x1, batch 64,
`n_critic=5`): `wgan` (the default: the generator's forward pass only on
the 4 batches in 5 that skip its update, a `tf.cond`) against
`wgan_put_back` (the update computed and put back on those batches, as on
JAX).

For WGAN-GP (the same networks, `n_critic=5`, gradient penalty 10):
`wgan_gp` (keras-gen's `WGANGP`) against `wgan_gp_keras_io`, keras-io's
pattern (a hand-written `train_step`, the penalty from a `tf.GradientTape`
nested in the critic's, the generator's update under a `tf.cond` on the
critic's step count), and `pytorch_wgan_gp` (`bench/pytorch_reference.py`,
PyTorch eager, `torch.autograd.grad(create_graph=True)`).

And the peers, same networks, same batch: `fused_keras` (one hand-written
Keras `train_step` on TensorFlow, Keras-GAN's loop, no metrics:
`backend_speed.fused_gan`), `pytorch_example_loop` and
`pytorch_keras_gan_loop` (`bench/pytorch_reference.py`, PyTorch eager).

Every run is a fresh process; each round runs every configuration once, in
the same order; the table gives the median steps/s over rounds (each run's
figure is the median of its timed epochs, `on_epoch_begin` to
`on_epoch_end`, after a warm-up epoch that traces the step).

Usage:
    python bench/gan_step_time.py --rounds 3 --output bench/results_gan_step_time.jsonl
    python bench/gan_step_time.py --table bench/results_gan_step_time.jsonl
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

BATCH_SIZE = 64
VARIANTS = (
    "keras_gen", "no_stop_on_nan", "tfdata_input", "two_logs", "direct_call",
    "all_off", "fused_keras", "wgan", "wgan_put_back", "wgan_gp", "wgan_gp_keras_io",
)
PEERS = {"pytorch_example_loop": "pytorch_example", "pytorch_keras_gan_loop": "keras_gan",
         "pytorch_wgan_gp": "keras_gan"}


def keras_io_wgan_gp():
    """keras-io's WGAN-GP pattern on `WGANGP`'s networks: nested tapes, no metrics."""
    import keras
    import tensorflow as tf

    from keras_gen.models.dcgan import keras_gan_generator
    from keras_gen.models.wgan import keras_gan_critic

    class KerasIoWGANGP(keras.Model):
        def __init__(self):
            super().__init__()
            self.generator = keras_gan_generator(100, (28, 28, 1), kernel_size=4)
            self.critic = keras_gan_critic((28, 28, 1))
            self.seed_generator = keras.random.SeedGenerator(0)

        def compile(self, **kwargs):
            super().compile(**kwargs)
            self.d_optimizer = keras.optimizers.RMSprop(5e-5)
            self.g_optimizer = keras.optimizers.RMSprop(5e-5)
            self.d_optimizer.build(self.critic.trainable_variables)
            self.g_optimizer.build(self.generator.trainable_variables)

        def train_step(self, data):
            real, _, _ = keras.utils.unpack_x_y_sample_weight(data)
            size = tf.shape(real)[0]
            noise = keras.random.normal((size, 100), seed=self.seed_generator)
            fake = self.generator(noise, training=False)
            weights = self.critic.trainable_variables
            with tf.GradientTape() as tape:
                alpha = keras.random.uniform((size, 1, 1, 1), seed=self.seed_generator)
                interpolates = alpha * real + (1.0 - alpha) * fake
                with tf.GradientTape() as inner:
                    inner.watch(interpolates)
                    scores = self.critic(interpolates, training=True)
                grad = inner.gradient(scores, interpolates)
                norm = tf.sqrt(tf.reduce_sum(tf.square(grad), axis=[1, 2, 3]))
                penalty = 10.0 * tf.reduce_mean((norm - 1.0) ** 2)
                d_loss = (tf.reduce_mean(self.critic(fake, training=True))
                          - tf.reduce_mean(self.critic(real, training=True)) + penalty)
            self.d_optimizer.apply_gradients(zip(tape.gradient(d_loss, weights), weights))

            def generator_update():
                z = keras.random.normal((size, 100), seed=self.seed_generator)
                weights = self.generator.trainable_variables
                with tf.GradientTape() as tape:
                    g_loss = -tf.reduce_mean(
                        self.critic(self.generator(z, training=True), training=True))
                self.g_optimizer.apply_gradients(zip(tape.gradient(g_loss, weights), weights))
                return g_loss

            g_loss = tf.cond(self.d_optimizer.iterations % 5 == 0, generator_update,
                             lambda: tf.constant(0.0))
            return {"d_loss": d_loss, "g_loss": g_loss}

    return KerasIoWGANGP()


def make_model(variant):
    import keras_gen
    from keras_gen.models import gan as gan_module

    if variant == "wgan_gp":
        return keras_gen.WGANGP(seed=0)
    if variant == "wgan_gp_keras_io":
        return keras_io_wgan_gp()
    if variant.startswith("wgan"):
        if variant == "wgan_put_back":
            from keras_gen.models import adversarial

            adversarial.backend.branch = lambda *args: None
        return keras_gen.WGAN(seed=0)
    if variant == "fused_keras":
        from backend_speed import fused_gan

        return fused_gan()
    if variant in ("direct_call", "all_off"):
        gan_module.frozen = lambda network, inputs: network(inputs, training=True)
    if variant in ("two_logs", "all_off"):

        class TwoLogGAN(keras_gen.GAN):
            metric_names = ("d_loss", "g_loss")

            def train_step(self, data):
                real = self.unpack_batch(data)
                d_loss, _, _ = gan_module.discriminator_update(
                    self, real, self.discriminator_loss)
                g_loss, _ = gan_module.generator_update(self, real, self.generator_loss)
                return self.update_metrics({"d_loss": d_loss, "g_loss": g_loss})

        return TwoLogGAN(seed=0)
    return keras_gen.GAN(seed=0)


def worker(args):
    """One run, in this process: prints its JSON line."""
    import keras
    import numpy as np
    import tensorflow as tf

    from timing import EpochTimer

    keras.utils.set_random_seed(0)
    model = make_model(args.variant)
    model.compile()
    shape = (28, 28, 1) if args.variant.startswith("wgan") else (784,)
    x = np.random.default_rng(0).uniform(-1, 1, (args.steps * BATCH_SIZE, *shape))
    x = x.astype("float32")
    fit = {}
    if args.variant in ("no_stop_on_nan", "all_off"):
        fit["stop_on_nan"] = False
    if args.variant in ("tfdata_input", "all_off"):
        data = dict(x=tf.data.Dataset.from_tensor_slices(x).batch(BATCH_SIZE))
        warm = dict(x=tf.data.Dataset.from_tensor_slices(x[: 10 * BATCH_SIZE])
                    .batch(BATCH_SIZE))
    else:
        data = dict(x=x, batch_size=BATCH_SIZE, shuffle=False)
        warm = dict(x=x[: 10 * BATCH_SIZE], batch_size=BATCH_SIZE)
    model.fit(**warm, **fit, epochs=1, verbose=0)
    timer = EpochTimer()
    model.fit(**data, **fit, epochs=args.epochs, verbose=0, callbacks=[timer])
    rates = [args.steps / seconds for seconds in timer.epoch_seconds]
    print(json.dumps({
        "variant": args.variant, "batch_size": BATCH_SIZE, "steps": args.steps,
        "steps_per_second": round(statistics.median(rates), 2),
        "steps_per_second_all": [round(rate, 2) for rate in rates],
        "backend": keras.backend.backend(), "keras": keras.__version__,
        "tensorflow": tf.__version__, "load1": round(os.getloadavg()[0], 2),
    }), flush=True)


def run(args):
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True, cwd=HERE).stdout.strip()
    configs = list(args.variants) + [peer for peer in PEERS if args.peers]
    for round_index in range(args.rounds):
        for variant in configs:
            if variant in PEERS:
                model = "wgan_gp" if variant == "pytorch_wgan_gp" else "gan"
                command = [sys.executable, os.path.join(HERE, "pytorch_reference.py"),
                           "--models", model, "--batch_sizes", str(BATCH_SIZE),
                           "--repeats", "1", "--seconds", "3", "--loop", PEERS[variant]]
                backend = "torch"
            else:
                # WGAN's steps are ~20x slower than the MLP GAN's.
                steps = max(10, args.steps // 10) if variant.startswith("wgan") else args.steps
                command = [sys.executable, __file__, "--worker", "--variant", variant,
                           "--steps", str(steps), "--epochs", str(args.epochs)]
                backend = "tensorflow"
            env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": backend}
            result = subprocess.run(command, env=env, capture_output=True, text=True,
                                    cwd=HERE)
            lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
            record = (json.loads(lines[-1]) if lines and not result.returncode
                      else {"error": result.stderr[-500:]})
            record.update(variant=variant, round=round_index, commit=commit,
                          date=time.strftime("%Y-%m-%dT%H:%M:%S"))
            line = json.dumps(record)
            print(line, flush=True)
            if args.output:
                with open(args.output, "a") as file:
                    file.write(line + "\n")


def table(path):
    """The markdown table: median steps/s per variant, and against keras_gen."""
    rates = {}
    with open(path) as file:
        for line in file:
            record = json.loads(line)
            if "steps_per_second" in record:
                rates.setdefault(record["variant"], []).append(record["steps_per_second"])
    base = statistics.median(rates.get("keras_gen", [float("nan")]))
    print("| variant | steps/s (median) | x keras_gen | rounds |")
    print("|---|---|---|---|")
    for variant, values in rates.items():
        median = statistics.median(values)
        print(f"| {variant} | {median:.1f} | {median / base:.2f} | {len(values)} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=VARIANTS)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=200, help="Batches per timed epoch.")
    parser.add_argument("--epochs", type=int, default=2, help="Timed epochs per run.")
    parser.add_argument("--no_peers", dest="peers", action="store_false")
    parser.add_argument("--output", help="Appends the JSON lines to this file.")
    parser.add_argument("--table", metavar="JSONL")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--variant", default="keras_gen", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.table:
        table(args.table)
    elif args.worker:
        worker(args)
    else:
        run(args)


if __name__ == "__main__":
    main()
