"""Why the frozen discriminator runs in training mode: a DCGAN ablation.

Trains the Keras-GAN DCGAN on the first `steps * batch_size` MNIST images and
scores 2,000 samples with the reference classifier after every `steps`
batches, for two ways of freezing the discriminator in the generator update:

- `training` (keras-gen's `GAN.generator_step`, `keras_gen.models.adversarial.frozen`):
  training mode (BatchNorm on the batch's statistics, dropout on), stateless,
  no gradient;
- `inference` (`InferenceModeDCGAN` below): `discriminator(fakes,
  training=False)`, what `trainable = False` gives on Keras 3 (BatchNorm on
  moving statistics).

Prints one JSON line per evaluation. Usage:
    python bench/dcgan_frozen_mode.py training
    python bench/dcgan_frozen_mode.py inference --rounds 4
"""

import argparse
import json
import time

import keras
from keras import ops

import keras_gen
from keras_gen import backend
from keras_gen import evaluation
from keras_gen import losses
from keras_gen.data import load_dataset


class InferenceModeDCGAN(keras_gen.DCGAN):
    """The DCGAN whose generator step runs the discriminator in inference mode."""

    def generator_step(self, real_images):
        noise = self.sample_prior_codes(ops.shape(real_images)[0])

        def loss():
            fake_images = self.generator(noise, training=True)
            fake_scores = self.discriminator(fake_images, training=False)
            return losses.generator_loss(fake_scores), fake_scores

        g_loss, fake_scores = backend.minimize(
            loss, self.generator.trainable_variables, self.g_optimizer
        )
        return {"g_loss": g_loss, "d_g_z2": ops.mean(fake_scores)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variant", choices=["training", "inference"])
    parser.add_argument("--steps", type=int, default=400, help="Batches per round.")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--batch_size", type=int, default=32)
    args = parser.parse_args()
    model_class = InferenceModeDCGAN if args.variant == "inference" else keras_gen.DCGAN

    keras.utils.set_random_seed(0)
    (x_train, _), _ = load_dataset("mnist", layout="image", value_range=(-1, 1))
    x_train = x_train[: args.steps * args.batch_size]
    model = model_class(input_shape=(28, 28, 1), latent_dim=100, seed=0)
    model.compile()
    for round_index in range(args.rounds):
        start = time.perf_counter()
        history = model.fit(x_train, batch_size=args.batch_size, verbose=0).history
        quality = evaluation.generator_quality(model, num_samples=2000)
        print(json.dumps({
            "variant": args.variant,
            "steps": (round_index + 1) * args.steps,
            "seconds": round(time.perf_counter() - start, 1),
            **{key: round(values[-1], 3) for key, values in history.items()},
            **{key: round(value, 3) for key, value in quality.items()},
        }), flush=True)


if __name__ == "__main__":
    main()
