"""What the adversarial models share: players, each with its own optimizer.

Keras-GAN trains a GAN with `generator.predict()` and `train_on_batch()` calls
on the discriminator and on a `combined` model whose discriminator was frozen
with `trainable = False` before compiling. On Keras 3 that freezing silently
stops the discriminator from ever learning, and the loop is slower than one
compiled step. Here every player (a network with its own
optimizer and loss) is updated in turn inside one `train_step` per batch,
which `fit()` compiles once, on every backend.
"""

import keras
from keras import ops

from keras_gen import backend
from keras_gen.validation import check_positive_int


def default_optimizer():
    """A fresh Adam(2e-4, beta_1=0.5), the optimizer of Keras-GAN and DCGAN."""
    return keras.optimizers.Adam(learning_rate=2e-4, beta_1=0.5)


def frozen(network, inputs):
    """Runs `network` as the frozen player of another player's update.

    The network runs in training mode, as in its own update, so the other
    player learns from the function that update trains (BatchNorm on the
    batch's statistics, dropout on). The call is stateless: the BatchNorm
    moving statistics and dropout seed states it would update are discarded,
    and since `keras_gen.backend.minimize` differentiates the updated
    player's variables only, nothing of `network` changes. This is what
    Keras-GAN's `combined` model with `discriminator.trainable = False` did
    on Keras 2.

    A network without non-trainable variables (no BatchNorm statistics, no
    dropout seed state: the MLP discriminators) has no state to discard, so
    it is called directly, which saves the stateless call's bookkeeping.

    Args:
        network: A `keras.Model`.
        inputs: What the network takes.

    Returns:
        The network's outputs.
    """
    if not network.non_trainable_variables:
        return network(inputs, training=True)
    outputs, _ = network.stateless_call(
        [variable.value for variable in network.trainable_variables],
        [variable.value for variable in network.non_trainable_variables],
        inputs,
        training=True,
    )
    return outputs


def minimize_every(loss_fn, variables, optimizer, interval):
    """`backend.minimize()`, with the update kept on every `interval`-th step only.

    Some players train less often than once a batch (the ports of Makhzani
    et al.'s semi-supervised AAE that run the supervised phase every k-th
    batch). On the steps it should not happen, `variables` and the
    optimizer's state (slots such as momentum) stay as they were, bit for
    bit. On TensorFlow (outside `tf.distribute`) and PyTorch such a step runs
    the forward pass only (`backend.branch`: a `tf.cond`, a Python `if`); on
    JAX, where `ops.cond` cannot hold the variable updates of a step, and
    under a strategy, the update runs and is put back with a `where` on the
    values from before the step. Either way the forward pass runs, so random
    draws and BatchNorm's moving statistics in `loss_fn` move on as on any
    step.

    The step is counted by `optimizer.iterations`, which goes on counting
    every step (it is not put back): it is part of the optimizer's state, so
    it runs on inside compiled loops of `steps_per_execution` steps, is
    threaded through JAX's stateless steps, and is saved and restored with
    the model (`.keras` files, `BackupAndRestore`) where a Python counter
    would start over; and a learning-rate schedule, which counts
    `iterations`, keeps counting batches, in step with the epochs like the
    other players' schedules. (Adam's bias correction counts the same steps,
    so its first updates, while `beta ** iterations` is not yet negligible,
    are a little smaller than after as many updates on every step.)

    Args:
        loss_fn: As in `backend.minimize()`.
        variables: As in `backend.minimize()`.
        optimizer: As in `backend.minimize()`; one counting its own steps
            (no `gradient_accumulation_steps`).
        interval: A positive int: the update is kept on the steps whose
            index (from 0, `optimizer.iterations` before the step) is a
            multiple of `interval`. With 1 this is `backend.minimize()`.

    Returns:
        `(loss, aux)` of every step, as `backend.minimize()` returns them.
    """
    interval = check_positive_int(interval, "interval")
    if interval == 1:
        return backend.minimize(loss_fn, variables, optimizer)
    _check_can_put_back(optimizer)
    keep_update = ops.equal(ops.mod(optimizer.iterations, interval), 0)
    state = [v for v in optimizer.variables if v is not optimizer.iterations]
    return _minimize_kept(keep_update, loss_fn, variables, optimizer, state)


def minimize_if(keep, loss_fn, variables, optimizer, state=()):
    """`backend.minimize()`, with the update taken only where `keep` is true.

    For a player that trains less often than the other, such as the
    generator of a Wasserstein GAN, updated once every `n_critic` critic
    updates. On the steps where `keep` is false, `variables`, the
    optimizer's whole state (its `iterations` included, so `iterations`
    counts the updates taken and Adam's bias correction sees those) and
    `state` stay as they were, bit for bit. Where the backend can branch
    (`backend.branch`: TensorFlow outside `tf.distribute`, PyTorch) such a
    step runs nothing of `loss_fn`; elsewhere (JAX) the update runs and is
    put back with a `where`. Either way the result is the same.

    Args:
        keep: A boolean scalar tensor: whether this step's update happens.
        loss_fn: As in `backend.minimize()`; its `aux` is not returned.
        variables: As in `backend.minimize()`.
        optimizer: As in `backend.minimize()`, built, without
            `gradient_accumulation_steps`.
        state: Other variables to put back with them: the player's
            non-trainable variables (BatchNorm moving statistics), so a
            skipped step leaves the player exactly as it was.

    Returns:
        The loss of the update, 0 on the steps without one (a scalar tensor;
        weigh it by `keep` when averaging, as `WGAN`'s history does).
    """
    _check_can_put_back(optimizer)
    loss, _ = _minimize_kept(
        keep, lambda: (loss_fn()[0], None), variables, optimizer,
        [*optimizer.variables, *state], skip_forward=True)
    return ops.where(keep, loss, ops.zeros_like(loss))


def _check_can_put_back(optimizer):
    if not optimizer.built:
        # Slots made inside the step would escape the put-back.
        raise ValueError(
            "An update kept every few steps puts the optimizer's state back, "
            "so the optimizer must be built first: call "
            "`optimizer.build(variables)` (a keras-gen model's compile() "
            f"does). Received: an unbuilt {type(optimizer).__name__}"
        )
    if optimizer.gradient_accumulation_steps:
        raise ValueError(
            "An update kept every few steps counts the steps with the "
            "optimizers' `iterations`, which gradient accumulation divides: "
            "use an optimizer without `gradient_accumulation_steps`. Received: "
            f"gradient_accumulation_steps={optimizer.gradient_accumulation_steps}"
        )


def _minimize_kept(keep, loss_fn, variables, optimizer, state, skip_forward=False):
    """The update where `keep` holds; elsewhere `state` stays as it was.

    Where the backend can branch around variable updates
    (`backend.branch`), a skipped step runs `loss_fn` without gradient or
    update and counts the step in `optimizer.iterations` (as
    `minimize_every` needs) or, with `skip_forward`, runs nothing and
    returns a zero loss and no `aux`. Elsewhere the update runs on every
    step and `variables` and `state` are put back with a `where`. The two
    give the same values (`tests/test_gan_variants.py`).
    """
    variables = list(variables)

    def update():
        return backend.minimize(loss_fn, variables, optimizer)

    def skipped():
        if skip_forward:
            return ops.zeros((), "float32"), None
        loss, aux = loss_fn()
        optimizer.iterations.assign_add(1)
        return loss, aux

    branched = backend.branch(keep, update, skipped)
    if branched is not None:
        return branched
    kept = variables + list(state)
    # Copies: PyTorch updates the variables in place.
    before = [ops.copy(variable.value) for variable in kept]
    loss, aux = update()
    for variable, value in zip(kept, before):
        variable.assign(ops.where(keep, variable.value, value))
    return loss, aux


def generator_and_discriminator(model, d_optimizer, g_optimizer):
    """The two players of a GAN, for `GenerativeModel.compile_players()`.

    Returns:
        `{"d_optimizer": (d_optimizer, discriminator variables),
        "g_optimizer": (g_optimizer, generator variables)}`.
    """
    return {
        "d_optimizer": (d_optimizer, model.discriminator.trainable_variables),
        "g_optimizer": (g_optimizer, model.generator.trainable_variables),
    }
