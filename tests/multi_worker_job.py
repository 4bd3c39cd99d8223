"""Multi-worker training, run by tests/test_multi_worker.py: one process per worker.

    TF_CONFIG='{"cluster": ..., "task": ...}' python tests/multi_worker_job.py OUT BACKUP
    python tests/multi_worker_job.py OUT BACKUP   # no TF_CONFIG: one device

With `TF_CONFIG` the process is one worker of a
`tf.distribute.MultiWorkerMirroredStrategy`; without it, it trains the same
way on one device, the reference. Each trains a GAN for two epochs with a
backup in BACKUP and pictures in OUT, evaluates it, saves it to OUT, and
resumes from the backup for a third epoch; a worker then trains every model
of the zoo for two epochs, and tries to resume from a backup only the chief
sees. It prints one JSON line of its weights and
histories.
"""

import json
import os
import sys

import tensorflow as tf

# Before any other TensorFlow op: the collectives are set up at start-up.
if "TF_CONFIG" in os.environ:
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
else:
    strategy = tf.distribute.get_strategy()

import keras  # noqa: E402
import numpy as np  # noqa: E402

import keras_gen  # noqa: E402
import zoo  # noqa: E402  (tests/, the script's folder)
from keras_gen import callbacks, tracking  # noqa: E402

OUT, BACKUP = sys.argv[1], sys.argv[2]
BATCH = 16


def make_gan():
    # BatchNorm-free, so every variable is synchronised across workers
    # (BatchNorm's moving statistics are per replica under tf.distribute).
    with strategy.scope():
        gan = keras_gen.GAN(input_shape=(16,), latent_dim=4, generator_units=(6,),
                            discriminator_units=(6,), seed=3)
        gan.compile(d_optimizer=keras.optimizers.SGD(0.1),
                    g_optimizer=keras.optimizers.SGD(0.1))
    return gan


def fit(gan, epochs, pictures):
    backup = callbacks.BackupAndRestore(BACKUP, delete_checkpoint=False)
    history = gan.fit(
        x, batch_size=BATCH, epochs=epochs, verbose=0,
        callbacks=[backup, *pictures],
    )
    return {key: [float(v) for v in values] for key, values in history.history.items()}


keras.utils.set_random_seed(1)
x = np.random.default_rng(0).uniform(-1, 1, (4 * BATCH, 16)).astype("float32")

gan = make_gan()
grid = callbacks.SampleGrid(num_samples=4, columns=2, value_range=(-1, 1),
                            directory=os.path.join(OUT, "pictures"))
history = fit(gan, 2, [grid])
evaluation = gan.evaluate(x, batch_size=BATCH, verbose=0, return_dict=True)
tracking.save_model(gan, os.path.join(OUT, "gan.keras"))
weights = [w.tolist() for w in gan.get_weights()]

resumed = make_gan()
resumed_history = fit(resumed, 3, [])  # Epoch 3 only, from the backup.

smoke, disagreement = {}, None
if "TF_CONFIG" in os.environ:
    # Every model's fit() under the strategy (the one-device run has no need).
    smoke = zoo.train_every_model(strategy.scope)
    # A backup folder only the chief sees: the workers would resume from
    # different epochs, which both must refuse before training.
    gan = make_gan()
    folder = BACKUP if keras_gen.files.is_chief() else os.path.join(OUT, "no_backup")
    try:
        gan.fit(x, batch_size=BATCH, epochs=4, verbose=0,
                callbacks=[callbacks.BackupAndRestore(folder)])
    except ValueError as error:
        disagreement = str(error)

print("RESULT " + json.dumps({
    "replicas": strategy.num_replicas_in_sync,
    "history": history,
    "evaluation": {k: float(v) for k, v in evaluation.items()},
    "weights": weights,
    "resumed_history": resumed_history,
    "resumed_weights": [w.tolist() for w in resumed.get_weights()],
    "smoke": smoke,
    "disagreement": disagreement,
}), flush=True)
