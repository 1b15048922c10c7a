"""How every script's command line reads: --help shows each flag's default, a usage error is two short lines.

    p = argparse.ArgumentParser(description=..., formatter_class=cli.Defaults, usage=cli.USAGE)
"""
import argparse

USAGE = "%(prog)s [options]   (--help lists them with their defaults)"


class Defaults(argparse.ArgumentDefaultsHelpFormatter):
    """argparse's "(default: X)" after every flag's help, except where there is nothing to show: required flags,
    on/off switches (off unless given), and flags whose help says what happens when they are not given."""

    def _get_help_string(self, action):
        if action.required or any(action.default is v for v in (None, False, argparse.SUPPRESS)):
            return action.help
        return super()._get_help_string(action)


def add_device_and_dataset_args(p):
    """--device and --dataset_dir, worded once for every script that reads the dataset."""
    p.add_argument("--device", default="auto",
                   help="auto (CUDA when usable, else the CPU, saying why), cpu, cuda, cuda:1, ...")
    p.add_argument("--dataset_dir", default=None,
                   help="dataset folder; when not given: $R2N2_DATASET_DIR, then dataset_location.py, "
                        "then the embedded chairs in data/r2n2_synth")
    return p
