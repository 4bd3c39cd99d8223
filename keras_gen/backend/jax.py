"""JAX: gradients with `jax.value_and_grad`, state threaded through scopes.

Keras' JAX trainer is functional: it jits `train_step(state, data)`, where
`state` holds the values of `model.trainable_variables`,
`model.non_trainable_variables`, `model.optimizer.variables` and
`model.metrics_variables`, and the variables themselves are emptied for the
duration of `fit()`. `Model` runs the models' ordinary stateful
`train_step(data)` inside a `keras.StatelessScope` that maps every one of
those variables to its value in `state`; whatever the step assigns (weights,
optimizer slots, BatchNorm statistics, seed generator states, metrics) is
read back from the scope as the new state. For that, every optimizer the
step uses must be reachable from `model.optimizer.variables`
(`keras_gen.optimizers.PlayerOptimizers`).

`minimize()` differentiates the loss with respect to its own variables only,
in a scope of its own that maps them to the values being differentiated
and reads everything else through the enclosing scope.
"""

import inspect

import jax
import keras


class _Scope(keras.StatelessScope):
    """A `keras.StatelessScope` that reads through to the enclosing `_Scope`.

    Keras' scopes do not fall back to an enclosing scope: a variable they do
    not map reads as its stored value, which during a JAX `fit()` is its
    initializer's. This one asks the enclosing `_Scope` for the variables it
    does not map, and remembers which of its own it read and which variables
    were assigned in it.
    """

    current = None  # The innermost open `_Scope`.

    def __init__(self, state_mapping=()):
        super().__init__(state_mapping=state_mapping)
        self.parent = None
        self.assigned = {}
        self.read = set()

    def __enter__(self):
        self.parent, _Scope.current = _Scope.current, self
        return super().__enter__()

    def __exit__(self, *args):
        _Scope.current = self.parent
        return super().__exit__(*args)

    def add_update(self, update):
        super().add_update(update)
        self.assigned[id(update[0])] = update[0]

    def get_current_value(self, variable):
        value = super().get_current_value(variable)
        if value is not None:
            self.read.add(id(variable))
        elif self.parent is not None:
            value = self.parent.get_current_value(variable)
        return value


def minimize(loss_fn, variables, optimizer):
    """Runs `loss_fn` and applies its gradients to `variables`.

    See `keras_gen.backend.tensorflow.minimize` for the arguments. Works in
    a JAX `fit()` (inside `Model`'s scope) and eagerly alike. Variables
    other than `variables` that `loss_fn` assigns (BatchNorm statistics,
    seed generator states) get their new values, without gradient.
    """
    variables = list(variables)
    own = {id(variable) for variable in variables}
    found = {}

    def loss_of(values):
        with _Scope(zip(variables, values)) as scope:
            loss, aux = loss_fn()
        found["read"] = set(scope.read)
        found["assigned"] = [
            variable for key, variable in scope.assigned.items() if key not in own
        ]
        new_values = [scope.get_current_value(v) for v in found["assigned"]]
        return loss, (aux, new_values)

    values = [variable.value for variable in variables]
    (loss, (aux, new_values)), gradients = jax.value_and_grad(
        loss_of, has_aux=True
    )(values)
    for variable, value in zip(found["assigned"], new_values):
        variable.assign(value)
    # A variable the loss never read gets no gradient (not zeros), as on
    # the other backends: the optimizer skips it with a warning.
    gradients = [
        gradient if id(variable) in found["read"] else None
        for gradient, variable in zip(gradients, variables)
    ]
    optimizer.apply(gradients, variables)
    return loss, aux


def gradients(fn, inputs):
    """Gradients of the scalar `fn(*inputs)` with respect to the tensors `inputs`.

    See `keras_gen.backend.tensorflow.gradients`. A `jax.grad` inside the
    function that `minimize()` differentiates, so it differentiates this
    too. `fn` runs in a scope of its own that reads the enclosing scope's
    values; what it assigns (BatchNorm statistics, seed generator states)
    is handed back out of the `jax.grad` and assigned where it was called.
    """
    single = not isinstance(inputs, (list, tuple))
    inputs = [keras.ops.convert_to_tensor(x) for x in ([inputs] if single else inputs)]
    found = {}

    def value_of(values):
        with _Scope() as scope:
            value = fn(*values)
        found["assigned"] = list(scope.assigned.values())
        return value, [scope.get_current_value(v) for v in found["assigned"]]

    grads, new_values = jax.grad(value_of, has_aux=True)(inputs)
    for variable, value in zip(found["assigned"], new_values):
        variable.assign(value)
    return grads[0] if single else list(grads)


def branch(pred, then_fn, else_fn):
    """Returns None: the caller runs both branches and selects with a `where`.

    See `keras_gen.backend.tensorflow.branch`. A `lax.cond` would have to
    return, from both branches, every variable either branch assigns inside
    the step's scope (the optimizer's, BatchNorm's), which this does not do.
    """
    del pred, then_fn, else_fn
    return None


class Model(keras.Model):
    """`keras.Model`, which also runs a model's own stateful `train_step(data)`.

    Keras' JAX trainer calls `train_step(state, data)`, a pure function of
    the state. A model class that defines `train_step(self, data)` (and
    `test_step(self, data)`), written with ordinary variable updates as on
    TensorFlow and PyTorch (the adversarial models' phases, each a
    `minimize()`), gets functions that run it inside a scope over the state
    Keras threads, jitted once unless `run_eagerly` (or
    `jit_compile=False`), `steps_per_execution` batches per call, as in
    Keras. A model that keeps Keras' own steps (`compute_loss()` only)
    trains with Keras' functions, unchanged.
    """

    def make_train_function(self, force=False):
        if not _stateful(self, "train_step"):
            return super().make_train_function(force)
        if self.train_function is None or force:
            self.train_function = _make_function(self, self.train_step, _train_state)
        return self.train_function

    def make_test_function(self, force=False):
        if not _stateful(self, "test_step"):
            return super().make_test_function(force)
        if self.test_function is None or force:
            self.test_function = _make_function(self, self.test_step, _test_state)
        return self.test_function


def _stateful(model, name):
    """Whether the model's class defines its own `name(self, data)`."""
    method = getattr(type(model), name)
    if method is getattr(keras.Model, name):
        return False
    return len(inspect.signature(method).parameters) == 2


def _train_state(model):
    return (model.trainable_variables, model.non_trainable_variables,
            model.optimizer.variables, model.metrics_variables)


def _test_state(model):
    return (model.trainable_variables, model.non_trainable_variables,
            model.metrics_variables)


def _make_function(model, step, state_variables):
    """`(state, iterator) -> (logs, state)` over `steps_per_execution` batches."""

    def one_step(state, data):
        variables = state_variables(model)
        mapping = [
            (variable, value)
            for group, values in zip(variables, state)
            for variable, value in zip(group, values)
        ]
        with _Scope(mapping) as scope:
            logs = step(data)
        new_state = tuple(
            [scope.get_current_value(variable) for variable in group]
            for group in variables
        )
        return logs, new_state

    if not model.run_eagerly and model.jit_compile:
        # Under `keras.distribution`, the new state keeps the layout Keras
        # gave each variable (replicated by `DataParallel`), as in Keras'
        # own trainer; without one, XLA places it.
        out_shardings = None
        if keras.distribution.distribution() is not None:
            out_shardings = (None, tuple(
                [variable.value.sharding for variable in group]
                for group in state_variables(model)
            ))
        one_step = jax.jit(one_step, donate_argnums=0, out_shardings=out_shardings)

    def execution(state, iterator):
        # The first batch's StopIteration ends the epoch, as in Keras.
        logs, state = one_step(state, next(iterator))
        for _ in range(model.steps_per_execution - 1):
            try:
                data = next(iterator)
            except StopIteration:
                break
            logs, state = one_step(state, data)
        return logs, state

    return execution


def training_data(batches, steps_per_epoch):
    """Returns `(batches, [])`: Keras' own `PyDataset` route is fast here.

    See `keras_gen.backend.tensorflow.training_data` for the arguments.
    """
    return batches, []
