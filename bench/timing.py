"""Timing helpers shared by the benchmark scripts (run as `python bench/NAME.py`,
which puts this folder on `sys.path`)."""

import time

import keras


class EpochTimer(keras.callbacks.Callback):
    """Records the wall time of each training epoch in `epoch_seconds`."""

    def on_train_begin(self, logs=None):
        self.epoch_seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.epoch_seconds.append(time.perf_counter() - self.start)
