"""Draws a picture callback's picture every few training batches."""

import keras

from keras_gen.validation import check_positive_int


class EveryNBatches(keras.callbacks.Callback):
    """Logs `picture`'s picture at iterations 0, n, 2n, ... of training.

    Keras-GAN counts iterations (one batch each) and saves its images when
    `iteration % save_interval == 0`, after that iteration's update, the
    first at iteration 0. This callback does the same with any picture
    callback of this package (`SampleGrid`, `ReconstructionLogger`, ...):
    the picture is drawn by `picture.picture()` and logged by its sink as
    `{key}/iteration_{iteration:06d}.png` (and to W&B, with an `"iteration"`
    value, when a run is active). Iterations are counted from the start of
    `fit()`, across epochs. With `steps_per_execution` > 1 Keras reports
    batches by executions; a picture is then drawn after each execution
    that reaches a multiple of `every_n_batches`.

    The wrapped callback is not added to `fit()` itself, so it draws no
    per-epoch pictures.

    Args:
        picture: A picture callback (a `keras_gen.callbacks.PictureCallback`)
            whose sink has `log(key, image, iteration=...)`, as `ImageSink`.
        every_n_batches: Draw a picture every this many iterations.

    Attributes:
        paths: The files written, in order.
    """

    def __init__(self, picture, every_n_batches=50):
        super().__init__()
        if not callable(getattr(picture, "picture", None)) or not hasattr(
            picture, "sink"
        ):
            raise ValueError(
                "`picture` must be a picture callback such as "
                "`keras_gen.callbacks.SampleGrid(...)`. Received: "
                f"picture={picture!r}"
            )
        self.picture = picture
        self.every_n_batches = check_positive_int(every_n_batches, "every_n_batches")
        self.paths = []
        self._iterations = 0  # Iterations done since `fit()` began.
        self._epoch_start = 0  # Iterations done when this epoch began.

    def set_model(self, model):
        self.picture.set_model(model)
        super().set_model(model)

    def on_train_begin(self, logs=None):
        self._iterations = 0
        self._epoch_start = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = self._iterations

    def on_train_batch_end(self, batch, logs=None):
        # `batch` is the epoch's index of the execution's last step.
        first = self._iterations
        self._iterations = self._epoch_start + batch + 1
        last = self._iterations - 1
        if last // self.every_n_batches * self.every_n_batches >= first:
            image = self.picture.presented(self.picture.picture(), f"iteration {last}")
            self.paths.append(
                self.picture.sink.log(self.picture.key, image, iteration=last)
            )
