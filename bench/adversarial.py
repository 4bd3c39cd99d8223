"""Training speed of the adversarial models against the machine's matmul peak.

Prints one JSON line per model and batch size: steps/s and samples/s of
`fit()` on random data of the right shape, the floating-point operations of
one training step counted from the layer shapes, the achieved GFLOP/s, the
machine's float32 matrix-multiply peak measured in the same run, and their
ratio.

How it measures:

- Every configuration (model x batch size) is built and compiled first, then
  warmed up (a short `fit()` that traces the step and estimates its speed,
  then one untimed epoch on the timed data). The timed runs are interleaved:
  each round runs the 2048x2048 matmul peak probe, then one epoch of `fit()`
  per configuration, so slow phases of a shared machine hit every
  configuration alike. An epoch is `--steps` batches (default: about
  `--seconds` of training); its wall time is taken from `on_epoch_begin` to
  `on_epoch_end` (so it includes Keras' per-step loop and the input
  pipeline, not the tracing). steps/s is the median over `--repeats` rounds.
- The peak is the median over rounds of the median of 5 float32 2048x2048
  `tf.matmul` calls, on the same threads as the models.
- The load average (1 minute) is read before each timed epoch; each line
  gives the median and the range. On a shared machine, `*_best` (the
  fastest round, against the fastest peak round) estimates the undisturbed
  figures; the medians are what a user sees under that load.

FLOPs (see `bench/flops.py` for the rules): only Dense, Conv2D and
Conv2DTranspose count (Dense `2*in*out` per example, Conv2D
`2*kh*kw*cin*cout*H_out*W_out`); elementwise ops (bias, activations,
BatchNorm, dropout, losses, optimizer updates) are ignored. The backward pass
of a layer costs one forward for the gradient of its input, if needed, plus
one for the gradient of its weights, if its network is trained
(`gflop_per_step`, the work TensorFlow actually does); `gflop_per_step_3x` is
the cruder "training = 3 x forward" rule. For the GAN game:
D step = G forward for the fakes + D forward on real and fake + D backward;
G step = G forward + D forward + backward through D (inputs only) and G.

Diagnostics:

- `kernel_*`: the same matmuls/convolutions (forward and the gradients the
  step needs, same shapes, same batch) timed alone, back to back, with
  nothing else: the best a step could do if all the rest were free. It
  shows how far below peak small matrices run on their own.
- `--profile_phases`: times `train_step` and each phase (`discriminator_step`,
  `generator_step`, ...) as bare `tf.function`s on one fixed batch, without
  `fit()` around them.
- `--keras_gan_loop`: Keras-GAN's own loop for the MLP GAN at batch 64
  (`generator.predict` or `predict_on_batch`, then `train_on_batch` on the
  discriminator twice and on the combined model, toggling `trainable`).

Usage:
    python bench/adversarial.py                        # all models, defaults
    python bench/adversarial.py --models gan --batch_sizes 64 256
    python bench/adversarial.py --jit_compile true --output bench/results_adversarial.jsonl
    python bench/adversarial.py --input tfdata --steps_per_execution 10
"""

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# Earlier measurements on this machine: PyTorch eager and a fused fit(), steps/s.
REFERENCE = {
    ("gan", 64): {"pytorch_eager": 137, "earlier_fit": 157},
    ("dcgan", 32): {"pytorch_eager": 7.7, "earlier_fit": 10.6},
    ("dcgan", 128): {"pytorch_eager": 1.3, "earlier_fit": 2.7},
    ("aae", 100): {"pytorch_eager": 18, "earlier_fit": 34},
}
DEFAULT_BATCH_SIZES = {
    "gan": (64, 32, 128, 256),
    "dcgan": (32, 128),
    "aae": (100,),
    "ebgan": (64,),
}
PEAK_SIZE = 2048


def parse_args():
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--models", nargs="+", default=list(DEFAULT_BATCH_SIZES),
                        choices=list(DEFAULT_BATCH_SIZES))
    parser.add_argument("--batch_sizes", nargs="+", type=int,
                        help="batch sizes for every model (default: per model: "
                        + ", ".join(f"{k} {'/'.join(map(str, v))}"
                                    for k, v in DEFAULT_BATCH_SIZES.items()) + ")")
    parser.add_argument("--steps", type=int,
                        help="steps per timed epoch (default: about --seconds)")
    parser.add_argument("--seconds", type=float, default=2.0,
                        help="target length of one timed epoch")
    parser.add_argument("--repeats", type=int, default=5,
                        help="interleaved timed rounds (median taken)")
    parser.add_argument("--jit_compile", nargs="+", default=["auto"],
                        choices=["auto", "true", "false"],
                        help="XLA; 'auto' is off on a CPU. Several values: "
                        "each is a configuration, interleaved with the others")
    parser.add_argument("--steps_per_execution", nargs="+", type=int, default=[1],
                        help="batches per compiled call (several: compared)")
    parser.add_argument("--input", nargs="+", choices=["numpy", "tfdata"],
                        default=["numpy"],
                        help="NumPy arrays (fit shuffles and batches them) or a "
                        "cached, batched, repeated, prefetched tf.data.Dataset "
                        "(several: compared)")
    parser.add_argument("--threads", type=int, default=0,
                        help="TensorFlow intra-op threads (0: TensorFlow's default)")
    parser.add_argument("--inter_threads", type=int, default=0,
                        help="TensorFlow inter-op threads (0: TensorFlow's default)")
    parser.add_argument("--no_kernels", action="store_true",
                        help="skip timing the matmuls/convolutions alone")
    parser.add_argument("--kernel_detail", action="store_true",
                        help="list each kernel's shapes and GFLOP/s alone")
    parser.add_argument("--profile_phases", action="store_true",
                        help="also time train_step and each phase alone")
    parser.add_argument("--keras_gan_loop", action="store_true",
                        help="also time Keras-GAN's loop (MLP GAN, batch 64)")
    parser.add_argument("--clean_share", type=float, default=0.1,
                        help="a round is clean when other processes used less "
                        "than this share of the machine's CPU during it")
    parser.add_argument("--output", help="also append the JSON lines to this file")
    parser.add_argument("--tag", default="", help="free text stored in each line")
    return parser.parse_args()


ARGS = parse_args()

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

if ARGS.threads:
    tf.config.threading.set_intra_op_parallelism_threads(ARGS.threads)
if ARGS.inter_threads:
    tf.config.threading.set_inter_op_parallelism_threads(ARGS.inter_threads)

import keras_gen  # noqa: E402
from flops import step_work  # noqa: E402
from timing import EpochTimer  # noqa: E402

JIT = {"auto": "auto", "true": True, "false": False}


def note(message):
    print(f"# {message}", file=sys.stderr, flush=True)


def load1():
    return os.getloadavg()[0]


def cpu_snapshot():
    """(machine jiffies, machine idle jiffies, this process's CPU seconds)."""
    try:
        with open("/proc/stat") as f:
            values = [int(v) for v in f.readline().split()[1:9]]
    except OSError:
        return None
    times = os.times()
    return sum(values), values[3] + values[4], times.user + times.system


def others_share(before, after):
    """Share of the machine's CPU time used by other processes (or stolen
    by the hypervisor) between two `cpu_snapshot()`s: 0 on a quiet machine,
    about 0.5 when another process keeps one of two cores busy."""
    if before is None or after is None or after[0] == before[0]:
        return None
    total = after[0] - before[0]
    busy = total - (after[1] - before[1])
    own = (after[2] - before[2]) * os.sysconf("SC_CLK_TCK")
    return max(0.0, (busy - own) / total)


def clean(values, shares):
    """The values measured while others used < `--clean_share` of the CPU."""
    return [v for v, share in zip(values, shares)
            if share is not None and share < ARGS.clean_share]


# Models and what one training step runs (for the FLOP count).


def gan_phases(model):
    """The phases of the GAN game (GAN, DCGAN and EBGAN)."""
    generator, discriminator = model.generator, model.discriminator
    return [
        ("discriminator_step", [
            ([(generator, False)], 1),          # fakes, no gradient
            ([(discriminator, True)], 2),       # real batch, fake batch
        ]),
        ("generator_step", [
            ([(generator, True), (discriminator, False)], 1),
        ]),
    ]


def build_gan():
    return keras_gen.GAN(seed=0), (784,), gan_phases, -1.0


def build_dcgan():
    return (keras_gen.DCGAN(architecture="keras_gan", seed=0), (28, 28, 1),
            gan_phases, -1.0)


def build_aae():
    # Inputs in [0, 1]: the decoder ends in a sigmoid (binary cross-entropy).
    model = keras_gen.AdversarialAutoencoder(seed=0)
    return model, tuple(model.input_shape), aae_phases, 0.0


def aae_phases(model):
    """Reconstruction, discriminator and regularization phases of an AAE."""
    encoder, decoder = model.encoder, model.decoder
    discriminator = model.discriminator
    return [
        ("reconstruction_step", [([(encoder, True), (decoder, True)], 1)]),
        ("discriminator_step", [
            ([(encoder, False)], 1),            # codes of the batch, no gradient
            ([(discriminator, True)], 2),       # prior samples, codes
        ]),
        ("regularization_step", [([(encoder, True), (discriminator, False)], 1)]),
    ]


def build_ebgan():
    model = keras_gen.EBGAN(seed=0)
    return model, tuple(model.input_shape), gan_phases, -1.0


BUILDERS = {"gan": build_gan, "dcgan": build_dcgan, "aae": build_aae,
            "ebgan": build_ebgan}


# Timing helpers.


class StepTimer(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.ends = []

    def on_train_batch_end(self, batch, logs=None):
        self.ends.append(time.perf_counter())


def time_calls(function, arguments, calls):
    """Median wall time of `calls` calls of `function(*arguments)`."""
    seconds = []
    for _ in range(calls):
        start = time.perf_counter()
        function(*arguments)
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


class PeakProbe:
    """float32 matmul peak: median of 5 `PEAK_SIZE`-square `tf.matmul`s."""

    def __init__(self):
        rng = np.random.default_rng(0)
        self.a = tf.constant(rng.standard_normal((PEAK_SIZE, PEAK_SIZE), "float32"))
        self.b = tf.constant(rng.standard_normal((PEAK_SIZE, PEAK_SIZE), "float32"))
        self.matmul = tf.function(tf.matmul)
        for _ in range(2):
            self.matmul(self.a, self.b)
        self.gflops, self.shares = [], []

    def measure(self):
        before = cpu_snapshot()
        seconds = time_calls(self.matmul, (self.a, self.b), 5)
        self.shares.append(others_share(before, cpu_snapshot()))
        self.gflops.append(2 * PEAK_SIZE**3 / seconds / 1e9)
        return self.gflops[-1]


def kernel_function(kernel, batch, jit):
    """A tf.function running one layer's matmul/conv (+ needed gradients).

    It runs independent copies on distinct inputs (enough for about
    50 MFLOP a call), so the call overhead is amortized and nothing can be
    shared between copies.
    """
    passes = 1 + int(kernel["input_grad"]) + int(kernel["weight_grad"])
    copies = max(1, min(8, round(5e7 / (passes * kernel["flops"] * batch))))
    rng = np.random.default_rng(0)
    kind = kernel["kind"]
    in_shape, out_shape = kernel["input_shape"], kernel["output_shape"]
    layer = kernel["layer"]
    if kind == "dense":
        in_shape = (int(np.prod(in_shape[:-1])) * batch, in_shape[-1])
        out_shape = (in_shape[0], out_shape[-1])
        batch_shape = lambda shape: shape  # noqa: E731
    else:
        batch_shape = lambda shape: (batch, *shape)  # noqa: E731
    xs = [tf.constant(rng.standard_normal(batch_shape(in_shape), "float32"))
          for _ in range(copies)]
    dys = [tf.constant(rng.standard_normal(batch_shape(out_shape), "float32"))
           for _ in range(copies)]
    w = tf.constant(rng.standard_normal(kernel["kernel_shape"], "float32"))

    if kind == "dense":
        def op(x):
            return tf.matmul(x, w)
    elif kind == "conv2d":
        strides, padding = layer.strides, layer.padding.upper()
        def op(x):
            return tf.nn.conv2d(x, w, strides, padding)
    else:
        strides, padding = layer.strides, layer.padding.upper()
        full_out = (batch, *out_shape)
        def op(x):
            return tf.nn.conv2d_transpose(x, w, full_out, strides, padding)

    @tf.function(jit_compile=jit)
    def run(xs, dys):
        outputs = []
        for x, dy in zip(xs, dys):
            with tf.GradientTape() as tape:
                tape.watch(x)
                tape.watch(w)
                y = op(x)
            sources = ([x] if kernel["input_grad"] else []) + (
                [w] if kernel["weight_grad"] else [])
            outputs.append(y)
            if sources:
                outputs += tape.gradient(y, sources, output_gradients=dy)
        return outputs

    return run, (xs, dys), copies


def time_kernels(work, batch, jit):
    """Seconds per step if only the weight layers' kernels ran, alone.

    Returns:
        `(seconds, details)`, `details` a list with, per layer and phase,
        its shapes, which gradients it computes, and its GFLOP/s alone.
    """
    total = 0.0
    details = []
    for kernel, batches in work["kernels"]:
        run, arguments, copies = kernel_function(kernel, batch, jit)
        run(*arguments)
        seconds = time_calls(run, arguments, 5) / copies
        total += batches * seconds
        passes = 1 + int(kernel["input_grad"]) + int(kernel["weight_grad"])
        details.append({
            "kind": kernel["kind"], "batch": batch,
            "input": list(kernel["input_shape"]),
            "kernel": list(kernel["kernel_shape"]),
            "grads": "".join(flag for flag, on in (
                ("i", kernel["input_grad"]), ("w", kernel["weight_grad"])) if on),
            "runs": batches, "us": round(1e6 * seconds, 1),
            "gflops": round(passes * kernel["flops"] * batch / seconds / 1e9, 1),
        })
    return total, details


def random_images(rng, count, input_shape, low=-1.0):
    return rng.uniform(low, 1.0, (count, *input_shape)).astype("float32")


class Config:
    """One model at one batch size, compiled and ready to time."""

    def __init__(self, name, batch_size, jit_compile, steps_per_execution,
                 input_kind):
        self.name, self.batch_size = name, batch_size
        self.jit_compile = jit_compile
        self.steps_per_execution = steps_per_execution
        self.input_kind = input_kind
        # What "auto" means for bare tf.functions: Keras turns XLA off on a CPU.
        self.probe_jit = JIT[jit_compile] is True
        keras.utils.set_random_seed(0)
        self.model, self.input_shape, phases, self.low = BUILDERS[name]()
        self.model.compile(jit_compile=JIT[jit_compile],
                           steps_per_execution=steps_per_execution)
        self.work = step_work(phases(self.model), batch_size)
        self.phase_names = [phase for phase, _ in phases(self.model)]
        self.rng = np.random.default_rng(0)
        self.timer = EpochTimer()
        self.seconds, self.loads, self.shares = [], [], []

    def data(self, steps):
        if self.input_kind == "numpy":
            x = random_images(self.rng, steps * self.batch_size,
                              self.input_shape, self.low)
            return {"x": x, "batch_size": self.batch_size}
        distinct = min(steps, 20)
        x = random_images(self.rng, distinct * self.batch_size,
                          self.input_shape, self.low)
        dataset = (tf.data.Dataset.from_tensor_slices(x)
                   .batch(self.batch_size, drop_remainder=True)
                   .cache().repeat().prefetch(tf.data.AUTOTUNE))
        return {"x": dataset, "steps_per_epoch": steps}

    def warm_up(self):
        """Traces the step, estimates its speed, picks the epoch length."""
        spe = self.steps_per_execution
        probe_steps = spe * max(4, -(-8 // spe))
        timer = StepTimer()
        start = time.perf_counter()
        self.model.fit(**self.data(probe_steps), epochs=1, verbose=0,
                       callbacks=[timer])
        self.trace_seconds = time.perf_counter() - start
        ends = timer.ends
        rate = spe * (len(ends) - 2) / (ends[-1] - ends[1])
        steps = ARGS.steps or max(5, round(ARGS.seconds * rate))
        self.steps = spe * max(1, -(-steps // spe))
        self.fit_data = self.data(self.steps)
        self.run_epoch(record=False)

    def settings(self):
        return {"jit_compile": self.jit_compile,
                "steps_per_execution": self.steps_per_execution,
                "input": self.input_kind}

    def run_epoch(self, record=True):
        load = load1()
        before = cpu_snapshot()
        self.model.fit(**self.fit_data, epochs=1, verbose=0,
                       callbacks=[self.timer])
        share = others_share(before, cpu_snapshot())
        if record:
            self.seconds.append(self.timer.epoch_seconds[-1])
            self.loads.append(load)
            self.shares.append(share)


def profile_phases(config):
    """ms per call of `train_step` and of each phase, as bare tf.functions."""
    model = config.model
    batch = tf.constant(random_images(config.rng, config.batch_size,
                                      config.input_shape, config.low))
    names = ["train_step", *config.phase_names]
    functions = {name: tf.function(getattr(model, name),
                                   jit_compile=config.probe_jit)
                 for name in names}
    # `train_step` takes the batch, the phases what `unpack_batch` makes of it.
    inputs = {name: batch if name == "train_step" else model.unpack_batch(batch)
              for name in names}
    for name, function in functions.items():
        for _ in range(2):
            function(inputs[name])
    calls = max(3, min(50, config.steps // 2))
    times = {name: [] for name in names}
    for _ in range(3):
        for name, function in functions.items():
            times[name].append(time_calls(function, (inputs[name],), calls))
    return {name: round(1e3 * statistics.median(value), 3)
            for name, value in times.items()}


class KerasGanLoop:
    """Keras-GAN's training loop for the MLP GAN, timed like a `Config`.

    Per step: `generator.predict` (or `predict_on_batch`) on fresh noise,
    `discriminator.train_on_batch` on the real and on the fake batch with
    `discriminator.trainable = True`, then `combined.train_on_batch` with it
    set back to False. The networks are `GAN`'s, so the FLOPs are the same.
    """

    def __init__(self, variant, batch_size=64):
        self.name, self.variant, self.batch_size = "gan", variant, batch_size
        self.loop = f"keras_gan_{variant}"
        keras.utils.set_random_seed(0)
        self.model = keras_gen.GAN(seed=0)
        self.work = step_work(gan_phases(self.model), batch_size)
        generator = self.model.generator
        self.discriminator = self.model.discriminator
        self.discriminator.compile(
            loss="binary_crossentropy", metrics=["accuracy"],
            optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5))
        self.discriminator.trainable = False
        noise = keras.Input((self.model.latent_dim,))
        self.combined = keras.Model(noise, self.discriminator(generator(noise)))
        self.combined.compile(loss="binary_crossentropy",
                              optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5))
        if variant == "predict":
            self.predict = lambda z: generator.predict(z, verbose=0)
        else:
            self.predict = generator.predict_on_batch
        self.rng = np.random.default_rng(0)
        self.real = random_images(self.rng, batch_size, (784,))
        self.valid = np.ones((batch_size, 1), "float32")
        self.fake = np.zeros((batch_size, 1), "float32")
        self.seconds, self.loads, self.shares = [], [], []

    def settings(self):
        return {"jit_compile": "false", "steps_per_execution": 1,
                "input": "numpy", "loop": self.loop}

    def step(self):
        noise = self.rng.standard_normal(
            (self.batch_size, self.model.latent_dim)).astype("float32")
        images = self.predict(noise)
        self.discriminator.trainable = True
        self.discriminator.train_on_batch(self.real, self.valid)
        self.discriminator.train_on_batch(images, self.fake)
        self.discriminator.trainable = False
        self.combined.train_on_batch(noise, self.valid)

    def warm_up(self):
        start = time.perf_counter()
        for _ in range(3):
            self.step()
        self.trace_seconds = time.perf_counter() - start
        start = time.perf_counter()
        for _ in range(5):
            self.step()
        rate = 5 / (time.perf_counter() - start)
        self.steps = ARGS.steps or max(5, round(ARGS.seconds * rate))

    def run_epoch(self, record=True):
        load, before = load1(), cpu_snapshot()
        start = time.perf_counter()
        for _ in range(self.steps):
            self.step()
        self.seconds.append(time.perf_counter() - start)
        self.loads.append(load)
        self.shares.append(others_share(before, cpu_snapshot()))


def environment():
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True,
                                cwd=os.path.dirname(__file__)).stdout.strip()
    except OSError:
        commit = None
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f
                       if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {
        "backend": keras.backend.backend(), "keras": keras.__version__,
        "tensorflow": tf.__version__, "cpu": cpu, "cpus": os.cpu_count(),
        "intra_threads": tf.config.threading.get_intra_op_parallelism_threads(),
        "inter_threads": tf.config.threading.get_inter_op_parallelism_threads(),
        "commit": commit, "tag": ARGS.tag,
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
    }


def emit(line, output):
    text = json.dumps(line)
    print(text, flush=True)
    if output:
        output.write(text + "\n")
        output.flush()


def main():
    if keras.backend.backend() != "tensorflow":
        # The matmul peak and the kernel timings use TensorFlow ops.
        sys.exit("bench/adversarial.py measures on the TensorFlow backend: "
                 "set KERAS_BACKEND=tensorflow.")
    output = open(ARGS.output, "a") if ARGS.output else None
    env = environment()
    load_start = os.getloadavg()
    note(f"load average at start: {load_start}")

    configs = []
    for name in ARGS.models:
        for batch_size in ARGS.batch_sizes or DEFAULT_BATCH_SIZES[name]:
            for jit_compile in ARGS.jit_compile:
                for spe in ARGS.steps_per_execution:
                    for input_kind in ARGS.input:
                        configs.append(Config(name, batch_size, jit_compile,
                                              spe, input_kind))
    if ARGS.keras_gan_loop:
        configs += [KerasGanLoop("predict"), KerasGanLoop("predict_on_batch")]
    report(configs, env, output)
    note(f"load average at end: {os.getloadavg()}")
    if output:
        output.close()


def report(configs, env, output=None):
    """Warms up, times `configs` in interleaved rounds, prints their lines."""
    peak = PeakProbe()
    for config in configs:
        config.warm_up()
        note(f"{config.name} batch {config.batch_size} {config.settings()}: traced in "
             f"{config.trace_seconds:.1f} s, {config.steps} steps per epoch")

    for _ in range(ARGS.repeats):
        peak.measure()
        for config in configs:
            config.run_epoch()
    peak.measure()
    clean_peaks = clean(peak.gflops, peak.shares)
    peak_gflops = statistics.median(
        clean_peaks if len(clean_peaks) >= 3 else peak.gflops)

    for config in configs:
        all_rates = [config.steps / s for s in config.seconds]
        clean_rates = clean(all_rates, config.shares)
        # Medians over the clean rounds when there are at least 3 of them.
        rates = clean_rates if len(clean_rates) >= 3 else all_rates
        rate = statistics.median(rates)
        work = config.work
        gflops = rate * work["flops"] / 1e9
        line = {
            "model": type(config.model).__name__, "key": config.name,
            "loop": getattr(config, "loop", "fit"),
            "batch_size": config.batch_size, "steps_per_epoch": config.steps,
            "repeats": len(all_rates),
            "clean_rounds": len(clean_rates),
            "rounds_used": "clean" if rates is clean_rates else "all",
            "steps_per_second": round(rate, 2),
            "samples_per_second": round(rate * config.batch_size),
            "gflop_per_step": round(work["flops"] / 1e9, 5),
            "gflop_per_step_3x": round(work["flops_3x"] / 1e9, 5),
            "gflop_per_phase": {k: round(v / 1e9, 5)
                                for k, v in work["per_phase"].items()},
            "gflops": round(gflops, 1),
            "peak_gflops": round(peak_gflops, 1),
            "percent_of_peak": round(100 * gflops / peak_gflops, 1),
            "peak_bound_steps_per_second": round(peak_gflops * 1e9 / work["flops"], 1),
            # Every round, with the CPU share other processes took during it.
            "steps_per_second_all": [round(v, 2) for v in all_rates],
            "others_cpu_all": [None if v is None else round(v, 2)
                               for v in config.shares],
            "steps_per_second_best": round(max(all_rates), 2),
            "peak_gflops_all": [round(v, 1) for v in peak.gflops],
            "peak_others_cpu_all": [None if v is None else round(v, 2)
                                    for v in peak.shares],
            # Fastest round against the fastest peak: the least disturbed
            # estimate when no round was clean.
            "percent_of_peak_best": round(
                100 * max(all_rates) * work["flops"] / 1e9
                / max(peak.gflops), 1),
        }
        if not ARGS.no_kernels and not isinstance(config, KerasGanLoop):
            before = cpu_snapshot()
            kernel_seconds, details = time_kernels(work, config.batch_size,
                                                   config.probe_jit)
            line["kernel_bound_steps_per_second"] = round(1 / kernel_seconds, 1)
            line["kernel_gflops"] = round(work["flops"] / kernel_seconds / 1e9, 1)
            line["kernel_percent_of_peak"] = round(
                100 * work["flops"] / kernel_seconds / 1e9 / peak_gflops, 1)
            line["kernel_share_of_step"] = round(kernel_seconds * rate, 3)
            share = others_share(before, cpu_snapshot())
            line["kernel_others_cpu"] = None if share is None else round(share, 2)
            if ARGS.kernel_detail:
                line["kernels"] = details
        if ARGS.profile_phases and not isinstance(config, KerasGanLoop):
            before = cpu_snapshot()
            line["ms_per_call"] = profile_phases(config)
            line["ms_per_fit_step"] = round(1e3 / rate, 3)
            share = others_share(before, cpu_snapshot())
            line["profile_others_cpu"] = None if share is None else round(share, 2)
        reference = REFERENCE.get((config.name, config.batch_size))
        if reference:
            line["pytorch_eager_steps_per_second"] = reference["pytorch_eager"]
            line["vs_pytorch"] = round(rate / reference["pytorch_eager"], 2)
            line["earlier_fit_steps_per_second"] = reference["earlier_fit"]
        line.update({
            **config.settings(),
            "load1_median": round(statistics.median(config.loads), 2),
            "load1_range": [round(min(config.loads), 2), round(max(config.loads), 2)],
            **env,
        })
        emit(line, output)



if __name__ == "__main__":
    main()
