"""The tutorials as notebooks (`docs/notebooks/`) are stored clean and run top to bottom.

Each notebook is executed by a Jupyter kernel (nbclient and ipykernel, the
`test` extra), in a temporary folder, exactly as stored except for one cell
inserted after its `parameters` cell (papermill's convention) that makes the
run small: fewer epochs and iterations, a few hundred training images. Every
name the parameters cell sets needs a small value in `SMALL` or a place in
`KEPT`, so a new knob cannot slip past the suite at full size.
"""

import ast
import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS_DIR = Path(__file__).resolve().parents[1] / "docs" / "notebooks"

# Each tutorial's notebook, with the files its run must write.
NOTEBOOKS = {
    "wandb_autoencoder": ["autoencoder.keras", "pictures/reconstructions/epoch_0001.png"],
    "wandb_vae": ["vae.keras", "pictures/vae_digits.png", "pictures/latent_space/epoch_0001.png",
                  "pictures/latent_manifold/epoch_0001.png"],
    "keras_gan": ["gan.keras", "images/generated_images/iteration_000000.png",
                  "images_dcgan/generated_images/iteration_000000.png",
                  "pictures/generated_images/epoch_0001.png"],
    "pytorch_dcgan": ["dcgan64.keras", "pictures/generated_images/epoch_0001.png"],
    "lecture_notes_gan": ["pictures/generated_images/epoch_0001.png",
                          "pictures/loss_curves/epoch_0001.png"],
    "paperspace_aae": ["pictures/latent_space/epoch_0001.png", "pictures/style_grid/epoch_0001.png"],
}
# Inline figures (plt.show()) each run must display, at least.
FIGURES = {"wandb_autoencoder": 2, "wandb_vae": 3, "keras_gan": 4, "pytorch_dcgan": 2,
           "lecture_notes_gan": 2, "paperspace_aae": 3}
W_AND_B = {"wandb_autoencoder", "wandb_vae", "keras_gan"}

SMALL = {
    "EPOCHS": 1, "SEMI_EPOCHS": 1, "TRAIN_EXAMPLES": 256, "ITERATIONS": 2,
    "DCGAN_ITERATIONS": 2, "SAMPLE_INTERVAL": 1, "EVERY": 1,
}
KEPT = {"LATENT_SPACE", "LATENT_DIM", "LABELS"}


def read(name):
    return nbformat.read(NOTEBOOKS_DIR / f"{name}.ipynb", as_version=4)


def parameters_cell(notebook):
    """The index of the notebook's one cell tagged `parameters`."""
    tagged = [i for i, cell in enumerate(notebook.cells)
              if "parameters" in cell.metadata.get("tags", [])]
    assert len(tagged) == 1, f"one cell tagged 'parameters' expected, found {len(tagged)}"
    return tagged[0]


def parameter_names(source):
    tree = ast.parse(source)
    return [target.id for node in tree.body if isinstance(node, ast.Assign)
            for target in node.targets if isinstance(target, ast.Name)]


def test_the_folder_holds_the_six_tutorials():
    assert sorted(path.stem for path in NOTEBOOKS_DIR.glob("*.ipynb")) == sorted(NOTEBOOKS)


@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_stored_without_outputs(name):
    notebook = read(name)
    nbformat.validate(notebook)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    assert notebook.cells[0].cell_type == "markdown", "a notebook opens with what it follows"
    for number, cell in enumerate(notebook.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"cell {number} has stored outputs"
            assert cell.execution_count is None, f"cell {number} has an execution count"
    first_code = next(i for i, cell in enumerate(notebook.cells) if cell.cell_type == "code")
    assert parameters_cell(notebook) == first_code, "the parameters come first"
    names = parameter_names(notebook.cells[first_code].source)
    unknown = sorted(set(names) - set(SMALL) - KEPT)
    assert not unknown, f"give these parameters a small value in SMALL (or list them in KEPT): {unknown}"


def small(notebook):
    """The notebook with a cell that shrinks its parameters after the parameters cell."""
    index = parameters_cell(notebook)
    names = parameter_names(notebook.cells[index].source)
    lines = [f"{name} = {SMALL[name]!r}" for name in names if name in SMALL]
    notebook.cells.insert(index + 1, nbformat.v4.new_code_cell("\n".join(lines)))
    return notebook


def figures(notebook):
    return sum("image/png" in output.get("data", {})
               for cell in notebook.cells if cell.cell_type == "code"
               for output in cell.outputs)


@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_runs_top_to_bottom(name, tmp_path, monkeypatch):
    # The kernel inherits this environment: inline figures (not the suite's
    # Agg), W&B offline inside the temporary folder.
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_DIR", str(tmp_path))
    monkeypatch.setenv("WANDB_SILENT", "true")
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "3")
    notebook = small(read(name))
    client = NotebookClient(notebook, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # Raises CellExecutionError, with the cell, on any error.

    assert figures(notebook) >= FIGURES[name]
    for path in NOTEBOOKS[name]:
        assert (tmp_path / path).is_file(), path
    if name in W_AND_B:
        runs = list((tmp_path / "wandb").glob("offline-run-*"))
        assert len(runs) >= 1, os.listdir(tmp_path)
