"""The "Coming from the tutorials" blocks run as written.

The README's section of that name points at `docs/tutorials.md`, the page
that holds the blocks. Each Python block of that page is executed in order
in one namespace, in a temporary working directory, with two changes so the
suite stays fast: after the first (set-up) block the data arrays are cut to
a few hundred images, and every literal `epochs=N` becomes
`epochs=min(N, 2)`.
"""

import re
from pathlib import Path

import numpy as np

PAGE = Path(__file__).resolve().parents[1] / "docs" / "tutorials.md"
TITLE = "# Coming from the tutorials\n"
EXAMPLES = 256


def tutorial_blocks():
    text = PAGE.read_text()
    assert text.startswith(TITLE), f"docs/tutorials.md does not start with {TITLE!r}"
    return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)


def shortened(code):
    return re.sub(r"\bepochs=(\d+)", r"epochs=min(\1, 2)", code)


def test_the_section_has_the_tutorials_calls():
    code = "\n".join(tutorial_blocks())
    for call in (
        "ae.build_model()",
        "vae.build_model()",
        'model.compile("adam", "mean_squared_error")',
        "dcgan.train(epochs=4000, batch_size=32, save_interval=50)",
        "gan.train(epochs=30000, batch_size=32, sample_interval=200)",
        "vae.encoder.predict(x_test)",
        "sample_prior(64, seed=0)",
        "every_n_epochs=20",
    ):
        assert call in code, call


def test_the_blocks_run_in_order(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    blocks = tutorial_blocks()
    namespace = {"__name__": "readme"}
    exec(compile(blocks[0], "docs/tutorials.md block 1", "exec"), namespace)
    for name in ("x_train", "y_train", "x_test", "y_test"):
        namespace[name] = namespace[name][:EXAMPLES]
    for number, block in enumerate(blocks[1:], start=2):
        exec(compile(shortened(block), f"docs/tutorials.md block {number}", "exec"), namespace)

    # What each block promises.
    assert namespace["model"] is namespace["vae"]  # build_model() gives the model.
    assert namespace["ae"].optimizer is not None
    assert namespace["decoded"].shape == (EXAMPLES, 784)
    assert namespace["z_mean"].shape == (EXAMPLES, 2)
    assert namespace["fake"].shape == (64, 64, 64, 1)
    np.testing.assert_array_equal(
        namespace["fixed_noise"], namespace["dcgan64"].sample_prior(64, seed=0)
    )
    assert len(namespace["history"].history["d_loss"]) == 2
    for path in (
        "vae_latent_space.png",
        "gan_losses.png",
        "pictures/vae_digits.png",
        "images/generated_images/iteration_000000.png",
        "pictures/generated_images/epoch_0002.png",
        "pictures/loss_curves/epoch_0002.png",
    ):
        assert (tmp_path / path).is_file(), path

