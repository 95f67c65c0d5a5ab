"""Print the README's on-chip training tables: final test accuracy (digits MLP) or final weight
error (5 x 5 task) per algorithm and reference offset, mean and per seed, with the pulses the
transfers held back because of ``max_steps``.

    python -m explorer.study_onchip digits --epochs 15 --offsets 0 0.2 0.5 0.8
    python -m explorer.study_onchip five --offsets 0 0.2
    python -m explorer.study_onchip five --set read_noise=0.02 --set up_down_d2d=0   # one change undone

Every run is `explorer.models.onchip.OnChipTraining` at its defaults (the task's preset), changed
only by ``--set name=value`` (as many as wanted; values parsed as Python literals)."""

import argparse
import ast
import time

import numpy as np

from .models.digits import load_digits
from .models.onchip import ALGORITHMS, OnChipTraining

TASKS = {"digits": "digits MLP", "five": "5 x 5 correlation"}


def _setting(text):
    name, _, value = text.partition("=")
    if not name or not value:
        raise argparse.ArgumentTypeError(f"--set must be name=value, got {text!r}")
    try:
        return name, ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return name, value


def final(task, algorithm, seed, offset, epochs, settings, digits=None):
    """(final measure, capped pulses) of one run: test accuracy (digits) or weight error (5 x 5)."""
    cfg = OnChipTraining(task=TASKS[task], algorithm=algorithm, seed=seed, reference_offset=offset, **settings)
    point = cfg.train(epochs, digits=digits)[-1]
    return (point.test_accuracy if task == "digits" else point.weight_error), point.capped_pulses


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("task", choices=sorted(TASKS))
    ap.add_argument("--algorithms", nargs="+", default=None, choices=ALGORITHMS,
                    help="default: every algorithm on the 5 x 5 task, the Tiki-Taka variants with a buffer on digits")
    ap.add_argument("--offsets", nargs="+", type=float, default=[0.0, 0.2])
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    ap.add_argument("--epochs", type=int, default=None, help="default: the task preset's")
    ap.add_argument("--set", dest="settings", action="append", type=_setting, default=[],
                    help="name=value: a setting of OnChipTraining changed from its default")
    args = ap.parse_args(argv)
    algorithms = args.algorithms or (list(ALGORITHMS[:2]) + ["TTv2", "c-TTv2", "AGAD"] if args.task == "five"
                                     else ["TTv2", "c-TTv2", "AGAD"])
    settings = dict(args.settings)
    epochs = args.epochs or OnChipTraining(task=TASKS[args.task], **settings).epochs
    digits = load_digits() if args.task == "digits" else None
    what = "test accuracy" if args.task == "digits" else "weight error"
    print(f"{TASKS[args.task]}: final {what}, {epochs} epochs, seeds {args.seeds}, settings {settings or 'defaults'}")
    started = time.perf_counter()
    for offset in args.offsets:
        for algorithm in algorithms:
            runs = [final(args.task, algorithm, seed, offset, epochs, settings, digits) for seed in args.seeds]
            values = np.array([r[0] for r in runs])
            capped = [r[1] for r in runs]
            per_seed = ", ".join(f"{100 * v:.1f}" for v in values)
            print(f"offset {offset:g}  {algorithm:10s} {100 * values.mean():5.1f} %  ({per_seed})  "
                  f"pulses held back by the cap: {capped}")
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
