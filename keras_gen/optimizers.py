"""`PlayerOptimizers`: the optimizers of an adversarial model, behind one."""

import keras


class PlayerOptimizers(keras.optimizers.Optimizer):
    """Holds one optimizer per player, as a model's single `model.optimizer`.

    Keras' trainers thread, save, restore and shard the state of
    `model.optimizer` only: the JAX trainer passes exactly
    `model.optimizer.variables` through its jitted step, so an optimizer
    kept in another attribute would silently lose its updates there, and
    `keras.callbacks.BackupAndRestore` builds only `model.optimizer`. This
    container makes every player's optimizer part of it: its `variables`
    concatenate theirs, in the order of `optimizers`, and `build()` builds
    each on its own player's variables.

    It applies nothing itself: the model's `train_step` applies each
    player's gradients with that player's optimizer
    (`keras_gen.backend.minimize`). `keras.optimizers.MultiOptimizer` cannot
    stand in: it maps each variable to exactly one optimizer, while an
    adversarial autoencoder's encoder has two.

    Args:
        optimizers: Dict `{name: keras.optimizers.Optimizer}`, e.g.
            `{"d_optimizer": ..., "g_optimizer": ...}`, each a distinct
            instance (an optimizer holds per-variable state).
        name: Name of the container.
    """

    def __init__(self, optimizers, name="player_optimizers"):
        super().__init__(learning_rate=0.0, name=name)
        optimizers = dict(optimizers)
        seen = {}
        for key, optimizer in optimizers.items():
            if not isinstance(optimizer, keras.optimizers.Optimizer):
                raise ValueError(
                    f"`optimizers[{key!r}]` must be a keras.optimizers."
                    f"Optimizer. Received: {optimizer!r}"
                )
            if id(optimizer) in seen:
                raise ValueError(
                    "Each player needs its own optimizer instance, since an "
                    "optimizer holds per-variable state. Received: the same "
                    f"optimizer for `{seen[id(optimizer)]}` and `{key}`"
                )
            seen[id(optimizer)] = key
        self.optimizers = optimizers

    def __getitem__(self, key):
        return self.optimizers[key]

    def build(self, variables):
        """Builds every player's optimizer on that player's variables.

        Args:
            variables: Dict `{name: list of variables}` with the keys of
                `optimizers`. Once built, further calls do nothing (Keras'
                own calls pass the model's flat list of variables).
        """
        if self.built:
            return
        if not isinstance(variables, dict) or set(variables) != set(self.optimizers):
            raise ValueError(
                "`variables` must be a dict with the keys "
                f"{sorted(self.optimizers)}: each player's variables. "
                f"Received: {type(variables).__name__}"
                + (f" with keys {sorted(variables)}" if isinstance(variables, dict) else "")
            )
        for key, optimizer in self.optimizers.items():
            if not optimizer.built:
                optimizer.build(variables[key])
        self.built = True

    @property
    def variables(self):
        return [
            variable
            for optimizer in self.optimizers.values()
            for variable in optimizer.variables
        ]

    @property
    def iterations(self):
        # The players step once per batch each: the first one's count is
        # the number of training steps.
        return next(iter(self.optimizers.values())).iterations

    @property
    def learning_rate(self):
        raise AttributeError(
            "A PlayerOptimizers has no single learning rate: set it on each "
            f"player's optimizer, one of {sorted(self.optimizers)} (e.g. "
            "model.d_optimizer.learning_rate), or pass a "
            "keras.optimizers.schedules.LearningRateSchedule to compile()."
        )

    @learning_rate.setter
    def learning_rate(self, value):
        self.learning_rate  # Raises the error above.

    def apply(self, grads, trainable_variables=None):
        raise NotImplementedError(
            "PlayerOptimizers applies no gradients itself: the model's "
            "train_step applies each player's with that player's optimizer, "
            f"one of {sorted(self.optimizers)}."
        )

    # The players save and load their own state (they are attributes of
    # the model too); the container's unused learning rate and step count
    # are not worth a place in the file.

    def save_own_variables(self, store):
        pass

    def load_own_variables(self, store):
        pass

    def get_config(self):
        return {
            "name": self.name,
            "optimizers": {
                key: keras.saving.serialize_keras_object(optimizer)
                for key, optimizer in self.optimizers.items()
            },
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        optimizers = {
            key: keras.saving.deserialize_keras_object(
                value, custom_objects=custom_objects
            )
            for key, value in config["optimizers"].items()
        }
        return cls(optimizers, name=config.get("name", "player_optimizers"))
