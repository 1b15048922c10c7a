"""How every script's command line reads: --help shows each flag's default, a usage error is two short lines, a
bad input found later (an InputError raised by library code) is one line.

    p = argparse.ArgumentParser(description=..., formatter_class=cli.Defaults, usage=cli.USAGE)
"""
import argparse
import sys

USAGE = "%(prog)s [options]   (--help lists them with their defaults)"


class InputError(ValueError):
    """Something the user can put right (a flag, a path, a file, the dataset). The message is one line saying what
    is wrong and what to do, with no "error: " in front: run() adds that when it prints it."""


def run(entry, *args):
    """entry(*args), as a script's main guard calls it: `sys.exit(cli.run(main, args))`. Returns the exit code for
    the script to end with: 0; 1 after printing an InputError as one line, "error: <message>", on stderr (no
    traceback); 130 on Ctrl-C (KeyboardInterrupt, after whatever saving the entry point did on its way out), the
    shell's code for SIGINT. The script, not this module, ends the process."""
    try:
        entry(*args)
    except InputError as e:
        print(f"error: {e}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


def check_at_least(args, *flags, minimum=1):
    """An integer flag of `args` below `minimum` (None is skipped) is an InputError naming it, before any work."""
    for flag in flags:
        value = getattr(args, flag)
        if value is not None and value < minimum:
            raise InputError(f"--{flag} must be at least {minimum}, not {value}; pass --{flag} {minimum} or more")


class Defaults(argparse.ArgumentDefaultsHelpFormatter):
    """argparse's "(default: X)" after every flag's help, except where there is nothing to show: required flags,
    on/off switches (off unless given), and flags whose help says what happens when they are not given."""

    def _get_help_string(self, action):
        if action.required or any(action.default is v for v in (None, False, argparse.SUPPRESS)):
            return action.help
        return super()._get_help_string(action)


def add_device_and_dataset_args(p):
    """--device, --dataset_dir and --classes, worded once for every script that reads the dataset."""
    p.add_argument("--device", default="auto",
                   help="auto (CUDA when usable, else the CPU, saying why), cpu, cuda, cuda:1, ...")
    p.add_argument("--dataset_dir", default=None,
                   help="dataset folder; when not given: $R2N2_DATASET_DIR, then dataset_location.py, "
                        "then the embedded chairs in data/r2n2_synth")
    p.add_argument("--classes", default="chair",
                   help="R2N2 classes: all, or a comma list of names (airplane, bench, cabinet, car, chair, display, "
                        "lamp, loudspeaker, rifle, sofa, table, telephone, vessel) or synset ids")
    return p
