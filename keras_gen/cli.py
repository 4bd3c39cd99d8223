"""The `keras-gen` console script.

    keras-gen sweep sweeps/latent.yaml [--count N] [--sweep_id ID]

Also runs as `python -m keras_gen.cli ...`.
"""

import argparse
import sys


def build_parser():
    parser = argparse.ArgumentParser(
        prog="keras-gen", description="keras-gen command-line tools."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    from keras_gen import sweep

    sweep.build_parser(
        commands.add_parser(
            "sweep", help="Run a W&B sweep YAML locally, offline.",
        )
    ).set_defaults(main=sweep.main)
    return parser


def main(argv=None):
    """Entry point; returns the exit status."""
    args = build_parser().parse_args(argv)
    return args.main(args)


if __name__ == "__main__":
    sys.exit(main())
