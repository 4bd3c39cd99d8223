"""Plain PyTorch eager baselines of the adversarial models; prints JSON lines.

The issue's speed bar compares keras-gen's `fit()` with "a plain PyTorch
eager implementation of the same networks". This script is that
implementation, so the comparison can be made in the same session on the
same machine as `bench/adversarial.py` (figures quoted from another day mix
in the machine's load). It is a baseline only: keras-gen does not use it.

The networks have the same layers and parameter counts as keras-gen's `GAN`,
`DCGAN(architecture="keras_gan")`, `AdversarialAutoencoder` and `WGANGP`; the loops are
the PyTorch DCGAN example's (one fake batch per step, reused for both
updates; `--loop keras_gan` for Keras-GAN's, which keras-gen follows: fakes
without gradient for the discriminator, fresh noise for the generator) and,
for the AAE, the Paperspace post's three updates per batch; for WGAN-GP,
keras-gen's: a critic update with the gradient penalty
(`torch.autograd.grad(..., create_graph=True)`) on every batch, the
generator's on every 5th.
Images are NCHW, PyTorch's native layout. Each line gives steps/s as the
median of `--repeats` timed runs of about `--seconds` each, after warm-up.

Usage:
    python bench/pytorch_reference.py
    python bench/pytorch_reference.py --models gan --batch_sizes 64 256
"""

import argparse
import datetime
import json
import os
import platform
import statistics
import time

import torch
from torch import nn

DEFAULT_BATCH_SIZES = {"gan": (64,), "dcgan": (32, 128), "aae": (100,), "wgan_gp": (64,)}


def mlp_gan():
    generator = nn.Sequential(
        nn.Linear(100, 128), nn.LeakyReLU(0.2),
        nn.Linear(128, 256), nn.LeakyReLU(0.2), nn.BatchNorm1d(256, momentum=0.2),
        nn.Linear(256, 512), nn.LeakyReLU(0.2), nn.BatchNorm1d(512, momentum=0.2),
        nn.Linear(512, 784), nn.Tanh(),
    )
    discriminator = nn.Sequential(
        nn.Linear(784, 512), nn.LeakyReLU(0.2),
        nn.Linear(512, 256), nn.LeakyReLU(0.2),
        nn.Linear(256, 1), nn.Sigmoid(),
    )
    return generator, discriminator, (784,)


def keras_gan_dcgan():
    def up_block(in_channels, out_channels):
        return [
            nn.Upsample(scale_factor=2),
            nn.Conv2d(in_channels, out_channels, 3, padding=1),
            nn.BatchNorm2d(out_channels, momentum=0.2), nn.ReLU(),
        ]

    generator = nn.Sequential(
        nn.Linear(100, 128 * 7 * 7), nn.ReLU(), nn.Unflatten(1, (128, 7, 7)),
        *up_block(128, 128), *up_block(128, 64),
        nn.Conv2d(64, 1, 3, padding=1), nn.Tanh(),
    )
    discriminator = nn.Sequential(
        nn.Conv2d(1, 32, 3, stride=2, padding=1), nn.LeakyReLU(0.2), nn.Dropout(0.25),
        nn.Conv2d(32, 64, 3, stride=2, padding=1), nn.ZeroPad2d((0, 1, 0, 1)),
        nn.BatchNorm2d(64, momentum=0.2), nn.LeakyReLU(0.2), nn.Dropout(0.25),
        nn.Conv2d(64, 128, 3, stride=2, padding=1),
        nn.BatchNorm2d(128, momentum=0.2), nn.LeakyReLU(0.2), nn.Dropout(0.25),
        nn.Conv2d(128, 256, 3, stride=1, padding=1),
        nn.BatchNorm2d(256, momentum=0.2), nn.LeakyReLU(0.2), nn.Dropout(0.25),
        nn.Flatten(), nn.Linear(256 * 4 * 4, 1), nn.Sigmoid(),
    )
    return generator, discriminator, (1, 28, 28)


def gan_step_function(generator, discriminator, batch_size, loop="pytorch_example"):
    d_optimizer = torch.optim.Adam(discriminator.parameters(), 2e-4, betas=(0.5, 0.999))
    g_optimizer = torch.optim.Adam(generator.parameters(), 2e-4, betas=(0.5, 0.999))
    loss = nn.BCELoss()
    ones, zeros = torch.ones(batch_size, 1), torch.zeros(batch_size, 1)

    def step(real):
        discriminator.zero_grad()
        d_real = loss(discriminator(real), ones)
        fake = generator(torch.randn(batch_size, 100))
        d_fake = loss(discriminator(fake.detach()), zeros)
        (d_real + d_fake).backward()
        d_optimizer.step()
        generator.zero_grad()
        loss(discriminator(fake), ones).backward()
        g_optimizer.step()

    def keras_gan_step(real):
        # Keras-GAN's (and keras-gen's) loop: the discriminator's fakes come
        # from the generator in inference mode, without gradient; the
        # generator update draws fresh noise.
        generator.eval()
        with torch.no_grad():
            fake = generator(torch.randn(batch_size, 100))
        generator.train()
        discriminator.zero_grad()
        d_loss = loss(discriminator(real), ones) + loss(discriminator(fake), zeros)
        (0.5 * d_loss).backward()
        d_optimizer.step()
        generator.zero_grad()
        loss(discriminator(generator(torch.randn(batch_size, 100))), ones).backward()
        g_optimizer.step()

    return keras_gan_step if loop == "keras_gan" else step


def same_conv(in_channels, out_channels, kernel_size):
    """Keras' `padding="same"` at stride 1: an even kernel pads one more after."""
    total = kernel_size - 1
    return [nn.ZeroPad2d((total // 2, total - total // 2, total // 2, total - total // 2)),
            nn.Conv2d(in_channels, out_channels, kernel_size)]


def keras_gan_wgan_gp():
    """keras-gen's `WGANGP` networks: Keras-GAN's, kernel 4, critic 16-32-64-128."""
    def up_block(in_channels, out_channels):
        return [nn.Upsample(scale_factor=2), *same_conv(in_channels, out_channels, 4),
                nn.BatchNorm2d(out_channels, momentum=0.2), nn.ReLU()]

    generator = nn.Sequential(
        nn.Linear(100, 128 * 7 * 7), nn.ReLU(), nn.Unflatten(1, (128, 7, 7)),
        *up_block(128, 128), *up_block(128, 64), *same_conv(64, 1, 4), nn.Tanh(),
    )
    critic = nn.Sequential(
        nn.Conv2d(1, 16, 3, stride=2, padding=1), nn.LeakyReLU(0.2), nn.Dropout(0.25),
        nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ZeroPad2d((0, 1, 0, 1)),
        nn.BatchNorm2d(32, momentum=0.2), nn.LeakyReLU(0.2), nn.Dropout(0.25),
        nn.Conv2d(32, 64, 3, stride=2, padding=1),
        nn.BatchNorm2d(64, momentum=0.2), nn.LeakyReLU(0.2), nn.Dropout(0.25),
        nn.Conv2d(64, 128, 3, stride=1, padding=1),
        nn.BatchNorm2d(128, momentum=0.2), nn.LeakyReLU(0.2), nn.Dropout(0.25),
        nn.Flatten(), nn.Linear(128 * 4 * 4, 1),
    )
    return generator, critic


def wgan_gp_step_function(batch_size, n_critic=5, weight=10.0):
    """keras-gen's WGANGP loop: a critic update with the penalty every batch,
    the generator's every `n_critic`-th; RMSprop(5e-5), Keras-GAN's."""
    generator, critic = keras_gan_wgan_gp()
    d_optimizer = torch.optim.RMSprop(critic.parameters(), 5e-5)
    g_optimizer = torch.optim.RMSprop(generator.parameters(), 5e-5)
    count = [0]

    def step(real):
        generator.eval()
        with torch.no_grad():
            fake = generator(torch.randn(batch_size, 100))
        generator.train()
        critic.zero_grad()
        alpha = torch.rand(batch_size, 1, 1, 1)
        interpolates = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
        grad, = torch.autograd.grad(critic(interpolates).sum(), interpolates,
                                    create_graph=True)
        penalty = weight * ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()
        (critic(fake).mean() - critic(real).mean() + penalty).backward()
        d_optimizer.step()
        count[0] += 1
        if count[0] % n_critic == 0:
            generator.zero_grad()
            (-critic(generator(torch.randn(batch_size, 100))).mean()).backward()
            g_optimizer.step()

    return step, (1, 28, 28)


def dense_stack(sizes, dropout_rate):
    layers = []
    for in_size, out_size in zip(sizes, sizes[1:]):
        layers += [nn.Linear(in_size, out_size), nn.ReLU(), nn.Dropout(dropout_rate)]
    return layers


def aae_step_function(batch_size):
    encoder = nn.Sequential(*dense_stack([784, 1000, 1000], 0.25), nn.Linear(1000, 2))
    decoder = nn.Sequential(
        *dense_stack([2, 1000, 1000], 0.25), nn.Linear(1000, 784), nn.Sigmoid()
    )
    discriminator = nn.Sequential(
        *dense_stack([2, 1000, 1000], 0.2), nn.Linear(1000, 1), nn.Sigmoid()
    )
    reconstruction_optimizer = torch.optim.Adam(
        [*encoder.parameters(), *decoder.parameters()], 6e-4
    )
    d_optimizer = torch.optim.Adam(discriminator.parameters(), 8e-4)
    regularization_optimizer = torch.optim.Adam(encoder.parameters(), 8e-4)
    loss = nn.BCELoss()
    ones, zeros = torch.ones(batch_size, 1), torch.zeros(batch_size, 1)

    def step(real):
        encoder.zero_grad(), decoder.zero_grad()
        loss(decoder(encoder(real)), real).backward()
        reconstruction_optimizer.step()
        discriminator.zero_grad()
        prior = 5.0 * torch.randn(batch_size, 2)
        codes = encoder(real).detach()
        (loss(discriminator(prior), ones) + loss(discriminator(codes), zeros)).backward()
        d_optimizer.step()
        encoder.zero_grad()
        loss(discriminator(encoder(real)), ones).backward()
        regularization_optimizer.step()

    return step, (784,)


def make_step(name, batch_size, loop="pytorch_example"):
    if name == "aae":
        return aae_step_function(batch_size)
    if name == "wgan_gp":
        return wgan_gp_step_function(batch_size)
    generator, discriminator, image_shape = (
        mlp_gan() if name == "gan" else keras_gan_dcgan()
    )
    return gan_step_function(generator, discriminator, batch_size, loop), image_shape


def steps_per_second(step, batches, seconds):
    count, start = 0, time.perf_counter()
    while True:
        step(batches[count % len(batches)])
        count += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return count / elapsed


def measure(name, batch_size, args):
    torch.manual_seed(0)
    step, image_shape = make_step(name, batch_size, args.loop)
    batches = [torch.rand(batch_size, *image_shape) for _ in range(8)]
    if name != "aae":
        batches = [2 * batch - 1 for batch in batches]
    steps_per_second(step, batches, 1.0)  # Warm-up: allocator, oneDNN caches.
    runs = [steps_per_second(step, batches, args.seconds) for _ in range(args.repeats)]
    median = statistics.median(runs)
    return {
        "model": name, "framework": "pytorch_eager", "batch_size": batch_size,
        "loop": {"aae": "paperspace", "wgan_gp": "keras_gen_n_critic"}.get(name, args.loop),
        "steps_per_second": round(median, 2),
        "steps_per_second_all": [round(run, 2) for run in runs],
        "samples_per_second": round(median * batch_size),
        "torch": torch.__version__, "threads": torch.get_num_threads(),
        "cpus": os.cpu_count(), "machine": platform.machine(),
        "load1": round(os.getloadavg()[0], 2),
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(DEFAULT_BATCH_SIZES),
                        choices=list(DEFAULT_BATCH_SIZES))
    parser.add_argument("--batch_sizes", nargs="+", type=int,
                        help="Instead of each model's defaults.")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--loop", choices=["pytorch_example", "keras_gan"],
                        default="pytorch_example",
                        help="GAN loop: the PyTorch DCGAN example's (one fake "
                             "batch for both updates) or Keras-GAN's (fresh "
                             "noise for the generator update), as keras-gen.")
    parser.add_argument("--output", help="Also append the JSON lines to this file.")
    args = parser.parse_args()
    for name in args.models:
        for batch_size in args.batch_sizes or DEFAULT_BATCH_SIZES[name]:
            line = json.dumps(measure(name, batch_size, args))
            print(line, flush=True)
            if args.output:
                with open(args.output, "a") as file:
                    file.write(line + "\n")


if __name__ == "__main__":
    main()
