"""Print the on-chip training tables of docs/results/training.md: final test accuracy (digits MLP)
or final weight error (5 x 5 task) per algorithm and reference offset, mean and per seed, with the
pulses the transfers held back because of ``max_steps``.

    python -m explorer.tools.study_onchip digits --epochs 15 --offsets 0 0.2 0.5 0.8
    python -m explorer.tools.study_onchip five --offsets 0 0.2
    python -m explorer.tools.study_onchip five --set read_noise=0.02 --set up_down_d2d=0   # one change undone
    python -m explorer.tools.study_onchip bias     # the 5 x 5 shift toward the symmetry point, seeds 0 to 3

Every run is `explorer.models.training.on_chip.OnChipTraining` at its defaults (the task's preset), changed
only by ``--set name=value`` (as many as wanted; values parsed as Python literals)."""

from __future__ import annotations

import argparse
import ast
import time
from collections.abc import Sequence

import numpy as np

from ..models.digits import load_digits
from ..models.training.on_chip import ALGORITHMS, OnChipTraining

TASKS = {"digits": "digits MLP", "five": "5 x 5 correlation", "bias": "5 x 5 correlation"}


def bias(seeds):
    """The shift of the learned 5 x 5 weights toward the symmetry point w* = a (200 states, no label
    noise, 3 epochs; in-memory SGD at lr 0.1, TTv2 at lr 0.2 and lr_h 0.02) and its t over the 25
    weights, at asymmetry +-0.5 (the setting of `tests/test_onchip.py`)."""
    for a in (0.5, -0.5):
        for seed in seeds:
            kw = dict(task=TASKS["five"], n_states=200, asymmetry=a, label_noise=0.0, seed=seed)
            line = []
            for algorithm, rates in (("analog SGD", dict(lr=0.1)), ("TTv2", dict(lr=0.2, lr_h=0.02))):
                run = OnChipTraining(algorithm=algorithm, **rates, **kw).run()
                run.run_epochs(3)
                toward = (run.weights - run.target) * np.sign(a - run.target)
                t = toward.mean() / (toward.std(ddof=1) / np.sqrt(toward.size))
                error = run.history[-1].weight_error
                line.append(f"{algorithm} shift {toward.mean():+.3f} (t {t:+.1f}), error {error:.3f}")
            print(f"asymmetry {a:+g} seed {seed}: " + "; ".join(line))


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


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("task", choices=sorted(TASKS))
    ap.add_argument(
        "--algorithms",
        nargs="+",
        default=None,
        choices=ALGORITHMS,
        help="default: every algorithm on the 5 x 5 task, the Tiki-Taka variants with a buffer on digits",
    )
    ap.add_argument("--offsets", nargs="+", type=float, default=[0.0, 0.2])
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    ap.add_argument("--epochs", type=int, default=None, help="default: the task preset's")
    ap.add_argument(
        "--set",
        dest="settings",
        action="append",
        type=_setting,
        default=[],
        help="name=value: a setting of OnChipTraining changed from its default",
    )
    args = ap.parse_args(argv)
    if args.task == "bias":
        bias(args.seeds if args.seeds != [0, 1, 2] else [0, 1, 2, 3])
        return
    algorithms = args.algorithms or (
        list(ALGORITHMS[:2]) + ["TTv2", "c-TTv2", "AGAD"] if args.task == "five" else ["TTv2", "c-TTv2", "AGAD"]
    )
    settings = dict(args.settings)
    epochs = args.epochs or OnChipTraining(task=TASKS[args.task], **settings).epochs
    digits = load_digits() if args.task == "digits" else None
    what = "test accuracy" if args.task == "digits" else "weight error"
    print(f"{TASKS[args.task]}: final {what}, {epochs} epochs, seeds {args.seeds}, settings {settings or 'defaults'}")
    started = time.perf_counter()
    for offset in args.offsets:
        for algorithm in algorithms:
            t0 = time.perf_counter()
            runs = [final(args.task, algorithm, seed, offset, epochs, settings, digits) for seed in args.seeds]
            per_run = (time.perf_counter() - t0) / len(args.seeds)
            values = np.array([r[0] for r in runs])
            capped = [r[1] for r in runs]
            per_seed = ", ".join(f"{100 * v:.1f}" for v in values)
            print(
                f"offset {offset:g}  {algorithm:10s} {100 * values.mean():5.1f} %  ({per_seed})  "
                f"pulses held back by the cap: {capped}  ({per_run:.3f} s a run, evaluations included)"
            )
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
