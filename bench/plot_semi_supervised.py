"""Plots the semi-supervised AAE's test error against epochs, from the result files.

Reads every `aae_semi_supervised*` line with a per-epoch curve from
`bench/results_semi_supervised_recipes.jsonl` and `bench/results_quality.jsonl`
(the longest run of each recipe and seed) and draws them with the paper's
figures (16.5% after one epoch, 3.4% after 50, 1.90% after its full schedule).

    python bench/plot_semi_supervised.py   # writes docs/pictures/semi_supervised_error.png
"""

import argparse
import json
import os

from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter

from keras_gen import files

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCES = ("results_semi_supervised_recipes.jsonl", "results_quality.jsonl")
LABELS = {
    "aae_semi_supervised_paper": "paper's recipe",
    "aae_semi_supervised_paper_no_noise": "paper's, no input noise",
    "aae_semi_supervised_paper_adam": "paper's, the post's Adam",
    "aae_semi_supervised_paper_supervised_every_4": "paper's, classifying every 4th batch",
    "aae_semi_supervised": "the Paperspace post's recipe",
}


def curves():
    """`{(model, seed): per-epoch test errors}`, the longest run of each."""
    found = {}
    for name in SOURCES:
        with open(os.path.join(ROOT, "bench", name)) as lines:
            for line in lines:
                result = json.loads(line)
                curve = result.get("test_error_percent_by_epoch")
                key = (result.get("model"), result.get("seed", 0))
                if key[0] in LABELS and curve and len(curve) > len(found.get(key, [])):
                    found[key] = curve
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default=os.path.join(
        ROOT, "docs", "pictures", "semi_supervised_error.png"))
    args = parser.parse_args()
    figure = Figure(figsize=(9, 4.5), dpi=100)
    axes = figure.add_subplot()
    for (model, seed), curve in sorted(curves().items()):
        epochs = range(1, len(curve) + 1)
        axes.plot(epochs, curve, label=f"{LABELS[model]}, seed {seed}")
    axes.plot([1, 50], [16.5, 3.4], "k*", markersize=9, label="paper, epochs 1 and 50")
    axes.axhline(1.90, color="k", linestyle="--", linewidth=1,
                 label="paper, full schedule: 1.90%")
    axes.axhline(3.5, color="gray", linestyle=":", linewidth=1, label="3.5% bar")
    axes.set_yscale("log")
    axes.set_yticks([1.9, 2.5, 3.5, 5, 10, 20])
    axes.set_yticklabels(["1.9", "2.5", "3.5", "5", "10", "20"])
    axes.yaxis.set_minor_formatter(NullFormatter())
    axes.set_xlabel("epoch")
    axes.set_ylabel("test error (%), 100 labels")
    axes.set_title("Semi-supervised AAE on MNIST")
    axes.grid(alpha=0.3)
    axes.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize="small",
                borderaxespad=0.0)
    figure.tight_layout()
    os.makedirs(os.path.dirname(args.output), exist_ok=True)
    with files.atomic_path(args.output) as temporary:
        figure.savefig(temporary, format="png")
    print(args.output)


if __name__ == "__main__":
    main()
