"""A Keras callback that scores a generative model's samples while it trains."""

import keras

from keras_gen.tracking import active_wandb_run
from keras_gen.evaluation import classifiers
from keras_gen.evaluation import metrics
from keras_gen.validation import check_choice, check_positive_int


class SampleQuality(keras.callbacks.Callback):
    """Computes the sample-quality metrics every few epochs, like any metric.

    At the end of every epoch where `(epoch + 1) % every_n_epochs == 0`, and
    of the last epoch of `fit()`, it draws `num_samples` samples with
    `model.generate(num_samples, seed)` (the same codes every time) and
    scores them with `keras_gen.evaluation.generator_quality()` against the
    test set of `dataset`. The metrics are added to the epoch's `logs`:

    - `fcd`: Fréchet Classifier Distance (not the FID) to the test set;
    - `classifier_score`: the Inception Score with the reference classifier;
    - `classes_covered`, `class_kl`: class coverage (KL in nats);
    - `sample_precision`, `sample_recall`: k-NN precision and recall.

    Keras hands every callback the same `logs` dict, in the order of the
    list, and appends its own `History` and progress bar after yours. So the
    metrics reach `History` (`fit()`'s return value) and the progress bar
    whatever the order, but reach another callback (a W&B
    `keras_gen.callbacks.MetricsLogger`, `ModelCheckpoint(monitor="fcd")`,
    `EarlyStopping`) only if this callback comes **before** it: put it first
    in `callbacks=[...]`. On epochs without an evaluation the keys are absent,
    as Keras' `val_` metrics are with `validation_freq`, so `History` lists
    are shorter than the number of epochs; `self.history` keeps every
    evaluation with its 1-based epoch.

    When a W&B run is active (and `log_to_wandb` is set), the metrics are
    also logged to it in a row with `epoch`, plotted against `epoch`. A
    `MetricsLogger` placed after this callback logs them too; pass
    `log_to_wandb=False` then to log them once.

    An evaluation with 10,000 samples costs about as much as generating and
    classifying 20,000 images: use fewer
    samples (e.g. 2000) or a larger `every_n_epochs` for frequent checks, and
    only compare FCDs computed with the same `num_samples`.

    ```python
    from keras_gen.evaluation import SampleQuality

    history = gan.fit(
        x_train * 2 - 1, epochs=30,
        callbacks=[SampleQuality(every_n_epochs=5, num_samples=2000),
                   callbacks.MetricsLogger()],
    )
    history.history["fcd"]  # one value per 5 epochs
    ```

    Args:
        dataset: `"mnist"` or `"fashion_mnist"`: the data the model learns.
        every_n_epochs: Evaluate every this many epochs.
        num_samples: Samples per evaluation (at most 10,000 are compared with
            as many test images; see `sample_quality()`).
        value_range: `(low, high)` range of the model's outputs; by default
            inferred from its decoder's output activation (tanh: (-1, 1),
            sigmoid: (0, 1)).
        k: Nearest neighbour of the precision/recall manifolds.
        seed: Seed of the latent codes.
        log_to_wandb: Whether to log to the active W&B run, if any.

    Attributes:
        history: List of dicts, one per evaluation: `epoch` (1-based) and the
            metrics.
    """

    def __init__(
        self,
        dataset="mnist",
        every_n_epochs=1,
        num_samples=metrics.DEFAULT_NUM_SAMPLES,
        value_range=None,
        k=metrics.DEFAULT_K,
        seed=0,
        log_to_wandb=True,
    ):
        super().__init__()
        self.dataset = check_choice(dataset, "dataset", classifiers.DATASETS)
        self.every_n_epochs = check_positive_int(every_n_epochs, "every_n_epochs")
        self.num_samples = check_positive_int(num_samples, "num_samples")
        if value_range is not None:
            value_range = classifiers.check_value_range(value_range)
        self.value_range = value_range
        self.k = check_positive_int(k, "k")
        self.seed = seed
        if not isinstance(log_to_wandb, bool):
            raise ValueError(
                "`log_to_wandb` must be True or False. Received: "
                f"log_to_wandb={log_to_wandb!r}"
            )
        self.log_to_wandb = log_to_wandb
        self.history = []
        self._value_range = None

    def set_model(self, model):
        if not metrics.can_generate(model):
            raise ValueError(
                "SampleQuality needs a model with a `generate(num_samples, "
                "seed)` method, like the VAE and the GANs. Received a "
                f"{type(model).__name__} without one."
            )
        super().set_model(model)

    def on_train_begin(self, logs=None):
        self._value_range = self.value_range or metrics.infer_value_range(
            self.model
        )
        # Load the classifier and the test features now, so a missing file
        # fails before the first epoch rather than after it.
        classifiers.load_reference_classifier(self.dataset)
        metrics.reference_features(
            self.dataset, min(self.num_samples, metrics.DEFAULT_NUM_SAMPLES)
        )

    def on_epoch_end(self, epoch, logs=None):
        last_epoch = (self.params or {}).get("epochs")
        if (epoch + 1) % self.every_n_epochs and epoch + 1 != last_epoch:
            return
        results = self.evaluate()
        if logs is not None:
            logs.update(results)
        self.history.append({"epoch": epoch + 1, **results})
        run = active_wandb_run() if self.log_to_wandb else None
        if run is not None:
            for name in results:
                run.define_metric(name, step_metric="epoch")
            run.log({**results, "epoch": epoch + 1})

    def evaluate(self):
        """Scores the model's samples now.

        Returns:
            The dict of `keras_gen.evaluation.sample_quality()`.
        """
        value_range = self._value_range or self.value_range
        return metrics.generator_quality(
            self.model,
            self.dataset,
            num_samples=self.num_samples,
            value_range=value_range,
            seed=self.seed,
            k=self.k,
        )

    def get_config(self):
        return {
            "dataset": self.dataset,
            "every_n_epochs": self.every_n_epochs,
            "num_samples": self.num_samples,
            "value_range": self.value_range,
            "k": self.k,
            "seed": self.seed,
            "log_to_wandb": self.log_to_wandb,
        }
