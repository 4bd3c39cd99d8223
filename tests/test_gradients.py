"""`keras_gen.backend.gradients`: gradients with respect to tensors, second order.

A linear critic `D(x) = w . x` has `grad_x D = w` everywhere, so WGAN-GP's
penalty is `lam * (|w| - 1)^2` whatever the points, and one SGD step on
`mean(D(fake)) - mean(D(real)) + penalty` is known in closed form; a
quadratic critic `D(x) = |W x|^2` has `grad_x D = 2 W^T W x`, one row per
example. Each backend runs in a fresh interpreter.
"""

import importlib.util
import os
import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent(
    """
    import sys
    import keras
    import numpy as np
    from keras import ops
    from keras_gen import backend

    assert keras.backend.backend() == sys.argv[1]
    rng = np.random.default_rng(0)
    w = np.array([[0.3], [-1.2], [0.5]], "float32")
    real = rng.normal(size=(8, 3)).astype("float32")
    fake = rng.normal(size=(8, 3)).astype("float32")
    points = rng.normal(size=(8, 3)).astype("float32")

    def linear_critic():
        critic = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, use_bias=False)])
        critic.layers[0].kernel.assign(w)
        return critic

    # 1. The gradient of a linear critic is w, for every example.
    critic = linear_critic()
    found = backend.gradients(lambda x: ops.sum(critic(x)), ops.convert_to_tensor(points))
    np.testing.assert_allclose(ops.convert_to_numpy(found), np.tile(w.T, (8, 1)), rtol=1e-6)

    # 2. Several inputs, one unused: zeros for it.
    a, b = backend.gradients(lambda x, y: ops.sum(critic(x)) * 3.0,
                             [ops.convert_to_tensor(points), ops.convert_to_tensor(fake)])
    np.testing.assert_allclose(ops.convert_to_numpy(a), np.tile(3 * w.T, (8, 1)), rtol=1e-6)
    np.testing.assert_array_equal(ops.convert_to_numpy(b), np.zeros((8, 3)))

    # 3. A quadratic critic: each example's own gradient, 2 W^T W x.
    W = rng.normal(size=(3, 4)).astype("float32")
    quadratic = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, use_bias=False)])
    quadratic.layers[0].kernel.assign(W)
    found = backend.gradients(lambda x: ops.sum(ops.square(quadratic(x))),
                              ops.convert_to_tensor(points))
    np.testing.assert_allclose(ops.convert_to_numpy(found), 2 * points @ W @ W.T,
                               rtol=1e-5, atol=1e-6)

    # 4. Second order: one SGD step of WGAN-GP's critic loss on the linear critic.
    lam, lr = 10.0, 0.01
    critic = linear_critic()
    optimizer = keras.optimizers.SGD(lr)
    optimizer.build(critic.trainable_variables)

    def loss():
        score = lambda x: ops.sum(critic(x, training=True))
        grad = backend.gradients(score, ops.convert_to_tensor(points))
        norms = ops.sqrt(ops.sum(ops.square(grad), axis=1))
        penalty = lam * ops.mean(ops.square(norms - 1.0))
        wasserstein = ops.mean(critic(fake)) - ops.mean(critic(real))
        return wasserstein + penalty, penalty

    _, penalty = backend.minimize(loss, critic.trainable_variables, optimizer)
    norm = np.linalg.norm(w)
    np.testing.assert_allclose(float(penalty), lam * (norm - 1) ** 2, rtol=1e-5)
    step = (fake.mean(0) - real.mean(0))[:, None] + 2 * lam * (norm - 1) * w / norm
    np.testing.assert_allclose(ops.convert_to_numpy(critic.layers[0].kernel),
                               w - lr * step, rtol=1e-5, atol=1e-6)
    # Without the second-order term the step would be this, far from it:
    assert np.abs((w - lr * (fake.mean(0) - real.mean(0))[:, None])
                  - ops.convert_to_numpy(critic.layers[0].kernel)).max() > 1e-2
    print("ok")
    """
)


@pytest.mark.parametrize("backend", ["tensorflow", "jax", "torch"])
def test_gradients_match_closed_forms(backend):
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} is not installed")
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, backend],
        env={**os.environ, "KERAS_BACKEND": backend},
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    assert result.stdout.strip().endswith("ok")
