"""The results tables of README.md and docs/, each printed by one command.

    python -m explorer.tools.tables              # the tables' names and what each shows
    python -m explorer.tools.tables NAME [...]   # compute and print those tables as Markdown
    python -m explorer.tools.tables --check [NAME ...]   # compare them with the documents' copies
    python -m explorer.tools.tables --write [NAME ...]   # replace the documents' copies and stamp them

In README.md and the pages under docs/ every results table follows a line ``<!-- table NAME -->``
(each name once in all of them). `--write` also puts a line ``<!-- measured DATE at COMMIT on
MACHINE -->`` just before the marker (UTC date, short hash of HEAD, the machine's name and core
count), replacing the one there; the comparison ignores it. `tests/test_tables.py` recomputes
each table and compares it with the documents' copy, number by number: text must be equal, and
each number within the table's tolerance. The runs are seeded, so on this machine the numbers
are equal; the tolerance only admits what another machine's floating point can change (an image
classified the other way on one chip, say), and each table says how it was derived.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import re
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
MARKER = re.compile(r"^<!-- table (?P<name>[\w-]+) -->\s*$")
STAMP = re.compile(r"^<!-- measured .* -->\s*$")
NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?(?:e[-+]?\d+)?")

HOUR, DAY, MONTH, YEAR = 3600.0, 86400.0, 30 * 86400.0, 3.156e7
DIGITS_ENCODING = dict(mapping="differential", n_slices=1, dac_bits=None, adc_bits=None)
ONE_IMAGE_ON_ONE_CHIP = 100.0 / 359 / 10
"""Percentage points that one test image (of 359) classified differently on one chip of ten moves a
mean: the grain of the digits tables."""


@dataclass(frozen=True)
class Table:
    """A results table: `compute()` returns the header and the rows, each a list of cell strings;
    a printed number matches the documents' copy if they differ by at most
    ``abs_tol + rel_tol |x|``."""

    name: str
    about: str
    compute: Callable[[], tuple]
    abs_tol: float
    rel_tol: float = 0.0
    tolerance_reason: str = ""

    def markdown(self):
        header, rows = self.compute()
        return to_markdown(header, rows)


def to_markdown(header, rows):
    """A Markdown table (header, separator, rows) as one string without a trailing newline."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


# ----------------------------------------------------------------------------- formatting


def pct(x, digits=2):
    """A fraction as a percentage: 0.9504 -> '95.04 %'."""
    return f"{100 * x:.{digits}f} %"


def pct_ci(mean, ci, digits=2):
    """Mean and 95 % half-width as percentages: '95.04 ± 1.08 %'."""
    return f"{100 * mean:.{digits}f} ± {100 * ci:.{digits}f} %"


def count(x):
    """A count of reads or cycles in the documents' style: 3.3e7, 1e8."""
    if x is None:
        return "none"
    mantissa, exponent = f"{x:.1e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exponent)}"


# ----------------------------------------------------------------------------- the tables


def _compensation():
    from explorer.models.deployment import accuracy_vs_time

    times = [HOUR, DAY, MONTH, YEAR]
    rows = []
    for compensation, label in (
        ("none", "no compensation"),
        ("global", "global compensation"),
        ("per-column", "per-column compensation"),
    ):
        r = accuracy_vs_time(times, chips=10, seed=0, compensation=compensation, technology="PCM", **DIGITS_ENCODING)
        rows.append([label] + [pct_ci(m, c) for m, c in zip(r["mean"], r["ci95"])])
    return ["", "1 hour", "1 day", "30 days", "1 year"], rows


def _technologies():
    from explorer.models.deployment import technology_comparison

    times = [HOUR, DAY, YEAR, 10 * YEAR]
    by = {
        c: technology_comparison(times, chips=10, seed=0, compensation=c, **DIGITS_ENCODING) for c in ("none", "global")
    }
    rows = []
    for tech in by["none"]:
        cells = []
        for c in ("none", "global"):
            mean = by[c][tech]["mean"]
            cells.append(" / ".join(f"{100 * m:.2f}" for m in mean) + " %")
        rows.append([tech] + cells)
    return ["technology", "no compensation", "global compensation"], rows


def _hwa_networks():
    from explorer.models.dashboards.reliability import TIMES_S, ReliabilityExplorer

    day, year = (int(np.argmin(np.abs(np.log(TIMES_S / t)))) for t in (DAY, YEAR))
    rows = []
    for label, kw in (
        ("plain", dict(training="plain")),
        ("additive x1 (shipped hwa)", dict(training="hwa")),
        ("additive x2", dict(training="hwa", hwa_noise_scale=2.0)),
        ("multiplicative x1", dict(training="hwa", hwa_noise="multiplicative")),
        ("PCM-like x1", dict(training="hwa", hwa_noise="PCM-like")),
        ("PCM-like x2", dict(training="hwa", hwa_noise="PCM-like", hwa_noise_scale=2.0)),
    ):
        c = ReliabilityExplorer(technology="PCM", chips=10, seed=0, compensation="none", **kw).curve()
        rows.append([label, pct(c["float_accuracy"])] + [pct_ci(c["mean"][i], c["ci95"][i]) for i in (day, year)])
    return ["network", "float", f"~{TIMES_S[day] / DAY:.2f} days", f"~{TIMES_S[year] / YEAR:.2f} years"], rows


def _lower_bound(x):
    """A lower bound floored to one significant figure: 20,761 -> '> 20,000'."""
    step = 10 ** int(np.floor(np.log10(x)))
    return f"> {int(x // step * step):,}"


def _read_disturb():
    from explorer.models.dashboards.reliability import READS
    from explorer.models.deployment import accuracy_vs_reads, reads_before_loss

    at = {n: list(READS).index(n) for n in (10**8, 10**10)}
    rows = []
    for v in (0.2, 0.3, 0.4, 0.5):
        uni, bi = (
            accuracy_vs_reads(READS, polarity=p, v_read=v, chips=10, seed=0, **DIGITS_ENCODING)
            for p in ("unipolar", "bipolar")
        )
        n_uni, n_bi = (reads_before_loss(READS, c["mean"], 0.02) for c in (uni, bi))
        if n_uni is None:
            loss, factor = f"none within {count(READS[-1])}", "-"
        elif n_bi is None:
            loss, factor = f"{count(n_uni)} reads", _lower_bound(READS[-1] / n_uni)
        else:
            loss, factor = f"{count(n_uni)} reads", f"{n_bi / n_uni:,.0f}"
        rows.append(
            [
                f"{v:.1f} V",
                loss,
                pct_ci(uni["mean"][at[10**8]], uni["ci95"][at[10**8]]),
                pct_ci(uni["mean"][at[10**10]], uni["ci95"][at[10**10]]),
                pct_ci(bi["mean"][at[10**10]], bi["ci95"][at[10**10]]),
                factor,
            ]
        )
    return [
        "read voltage",
        "unipolar: 2-point loss after",
        "unipolar at 1e8 reads",
        "unipolar at 1e10 reads",
        "bipolar at 1e10 reads",
        "factor",
    ], rows


def _flash_precision():
    from explorer.models import CrossbarModel, protocol_inputs, protocol_weights
    from kernels import flash
    from kernels.rng import derive_seed

    g = np.repeat(flash.level_targets(256), 80)  # 20,480 cells over the 256 levels
    vth = flash.program(g, seed=2024, ispp=flash.IsppSchedule(medium_step=flash.MEDIUM_STEP))["vth"]
    tuning = (flash.conductance(vth) / g - 1).std()
    W = protocol_weights(128, 128, derive_seed(0, "weights"))
    X = protocol_inputs(200, 128, derive_seed(0, "inputs"))
    xb = CrossbarModel(technology="Flash", **DIGITS_ENCODING)
    prog = xb.program(W, seed=derive_seed(0, "programming"))
    ideal = prog.error(X, 0.0, seed=derive_seed(0, "read", 0))
    xb.adc_bits = xb.dac_bits = 8
    converters = prog.error(X, 0.0, seed=derive_seed(0, "read", 0))
    model = f"model ({1e3 * flash.FINE_STEP:g} mV fine step, {100 * flash.READ_NOISE:g} % read noise)"
    return (
        ["", "tuning spread", "128 x 128 MVM error", "with 8-bit DAC and ADC"],
        [[model, pct(tuning), pct(ideal), pct(converters)], ["sources (section 7b)", "about 1 %", "about 2 %", ""]],
    )


def _flash_reads():
    from explorer.models.deployment import accuracy_vs_flash_reads, reads_before_loss

    reads = [0, 10**4, 10**5, 10**6, 3 * 10**6, 10**7, 3 * 10**7, 10**8, 3 * 10**8, 10**9]
    at = {n: reads.index(n) for n in (10**7, 10**8)}
    rows = []
    for cells in (16, 64, 128, 256):
        f = accuracy_vs_flash_reads(reads, cells_per_bitline=cells, chips=10, seed=0, **DIGITS_ENCODING)
        n = reads_before_loss(reads, f["mean"], 0.02)
        rows.append(
            [str(cells), "none within 1e9" if n is None else f"{count(n)} reads"]
            + [pct_ci(f["mean"][i], f["ci95"][i]) for i in at.values()]
        )
    return ["cells per bit line", "2-point loss after", "at 1e7 reads", "at 1e8 reads"], rows


def _flash_wear():
    from explorer.models.deployment import accuracy_vs_cycles

    cycles = [10, 10**3, 10**4, 3 * 10**4, 10**5]
    times = [HOUR, YEAR, 10 * YEAR]
    r = accuracy_vs_cycles(cycles, times, chips=10, seed=0, **DIGITS_ENCODING)
    rows = [[count(n)] + [pct_ci(m, c) for m, c in zip(r["mean"][i], r["ci95"][i])] for i, n in enumerate(cycles)]
    return ["P/E cycles", "1 hour", "1 year", "10 years"], rows


TECHNOLOGY_CHIPS = 10
"""Chips of the technology table in docs/results/technologies.md (the tab's default is fewer)."""


def _technology_table():
    from explorer.models.technologies import TechnologyTable

    return TechnologyTable(seed=0, chips=TECHNOLOGY_CHIPS)


def _technology_cells():
    from explorer.models.technologies import QUALITATIVE, ROWS, TECHNOLOGIES_COMPARED

    cells = _technology_table().cells()
    rows = [[r.label] + [cells[(r.key, t)].text() for t in TECHNOLOGIES_COMPARED] for r in ROWS]
    rows += [[f"{metric} (seed)"] + [texts[t] for t in TECHNOLOGIES_COMPARED] for metric, texts in QUALITATIVE]
    return ["metric", *TECHNOLOGIES_COMPARED], rows


def _technology_how():
    from explorer.models.technologies import ROWS, TECHNOLOGIES_COMPARED

    cells = _technology_table().cells()
    rows = [[r.label, t, cells[(r.key, t)].how.replace("|", "/")] for r in ROWS for t in TECHNOLOGIES_COMPARED]
    return ["metric", "technology", "how it was computed"], rows


def _digits_final(algorithm, seed, **settings):
    from explorer.models import OnChipTraining

    return OnChipTraining(algorithm=algorithm, seed=seed, **settings).train(15)[-1]


BUFFERED = ("TTv2", "c-TTv2", "AGAD")
"""The algorithms with a digital buffer H, whose transfers a pulse cap can hold back."""


def _onchip_digits():
    rows = []
    for algorithm, label in (
        ("float SGD", "floating-point SGD"),
        ("analog SGD", "in-memory SGD"),
        ("TTv2", "TTv2"),
        ("c-TTv2", "c-TTv2"),
        ("AGAD", "AGAD"),
    ):
        last = [_digits_final(algorithm, s) for s in range(3)]
        acc = [p.test_accuracy for p in last]
        per_seed = ", ".join(f"{100 * a:.1f}" for a in acc)
        mean = f"{100 * np.mean(acc):.1f} %"
        if algorithm in ("float SGD", "analog SGD", "TTv2"):
            mean = f"**{mean}**"
        capped = ", ".join(f"{p.capped_pulses:,}" for p in last) if algorithm in BUFFERED else "-"
        rows.append([label, f"{mean} ({per_seed})", capped])
    return ["algorithm", "test accuracy (mean; per seed)", "pulses held back by the cap (per seed)"], rows


def _onchip_digits_offset():
    offsets = (0.0, 0.2, 0.5, 0.8)
    rows, held_back = [], []
    for algorithm in BUFFERED:
        last = [[_digits_final(algorithm, s, reference_offset=o) for s in range(3)] for o in offsets]
        rows.append([algorithm] + [f"{100 * np.mean([p.test_accuracy for p in ps]):.1f} %" for ps in last])
        if algorithm == "TTv2":
            held_back = [f"{min(p.capped_pulses for p in ps):,} to {max(p.capped_pulses for p in ps):,}" for ps in last]
    rows.append(["TTv2 pulses held back (per seed)"] + held_back)
    return ["reference offset"] + [f"{o:g}" for o in offsets], rows


def _chopped_5x5():
    from explorer.models import train_correlation

    offsets = (0.0, 0.1, 0.2, 0.3)
    setting = dict(
        steps=4000, lr=1.0, lr_h=0.005, transfer_every=1, chopper_p=0.05, n_states=200, label_noise=0.1, asymmetry=0.5
    )  # aihwkit's transfer rules: the defaults
    rows, held = [], np.zeros(len(offsets), dtype=np.int64)
    for algorithm in ("TTv2", "c-TTv2", "AGAD"):
        runs = [
            [train_correlation(algorithm, seed=s, reference_offset=o, **setting) for s in range(3)] for o in offsets
        ]
        rows.append([algorithm] + [pct(np.mean([r["error"][-1] for r in rs]), 1) for rs in runs])
        held += [sum(r["capped_pulses"] for r in rs) for rs in runs]
    rows.append(["pulses held back by the cap (all nine runs)"] + [f"{h:,}" for h in held])
    return ["reference offset"] + [f"{o:g}" for o in offsets], rows


def _tab_5x5():
    from explorer.models import OnChipTraining

    algorithms = ("float SGD", "analog SGD", "TTv2", "c-TTv2", "AGAD")
    rows = []
    for offset in (0.0, 0.2):
        means = [
            np.mean(
                [
                    OnChipTraining(task="5 x 5 correlation", algorithm=a, reference_offset=offset, seed=s)
                    .train()[-1]
                    .weight_error
                    for s in range(3)
                ]
            )
            for a in algorithms
        ]
        rows.append([f"{offset:g}"] + [pct(m, 1) for m in means])
    return ["reference offset"] + list(algorithms), rows


BIAS_SEEDS = range(4)
"""Seeds pooled by the bias table: 4 x 25 weights."""


def _shift_toward(weights, target, symmetry_point):
    """Each weight's distance from its target, signed toward the symmetry point."""
    return ((weights - target) * np.sign(symmetry_point - target)).ravel()


def _bias_row(model, algorithm, asymmetry, shifts, errors):
    toward = np.concatenate(shifts)
    se = toward.std(ddof=1) / np.sqrt(toward.size)
    return [
        model,
        algorithm,
        f"{asymmetry:g}",
        f"{toward.mean():.3f} ± {se:.3f}",
        f"{100 * min(errors):.1f} to {100 * max(errors):.1f} %",
    ]


def _bias_5x5():
    from explorer.models import OnChipTraining, train_correlation

    rows = []
    rates = {"analog SGD": dict(lr=0.1), "TTv2": dict(lr=0.2, lr_h=0.02)}
    for algorithm, asymmetry in (
        ("analog SGD", 0.5),
        ("analog SGD", -0.5),
        ("analog SGD", 0.0),
        ("TTv2", 0.5),
        ("TTv2", -0.5),
    ):
        runs = [
            train_correlation(algorithm, steps=3000, n_states=200, asymmetry=asymmetry, seed=s, **rates[algorithm])
            for s in BIAS_SEEDS
        ]
        rows.append(
            _bias_row(
                "Python tile",
                algorithm,
                asymmetry,
                [_shift_toward(r["weights"], r["target"], asymmetry) for r in runs],
                [r["error"][-1] for r in runs],
            )
        )
    for algorithm, asymmetry in (("analog SGD", 0.5), ("analog SGD", -0.5), ("TTv2", 0.5), ("TTv2", -0.5)):
        runs = []
        for s in BIAS_SEEDS:
            run = OnChipTraining(
                algorithm=algorithm,
                task="5 x 5 correlation",
                n_states=200,
                asymmetry=asymmetry,
                label_noise=0.0,
                seed=s,
                **rates[algorithm],
            ).run()
            run.run_epochs(3)
            runs.append(run)
        rows.append(
            _bias_row(
                "kernels",
                algorithm,
                asymmetry,
                [_shift_toward(r.weights, r.target, asymmetry) for r in runs],
                [r.history[-1].weight_error for r in runs],
            )
        )
    return [
        "model",
        "algorithm",
        "asymmetry",
        "shift toward the symmetry point (100 weights)",
        "final error, seeds 0 to 3",
    ], rows


TABLES = {
    t.name: t
    for t in (
        Table(
            "compensation",
            "digits MLP on PCM: accuracy at 1 h to 1 y without and with global drift compensation (10 chips, seed 0)",
            _compensation,
            abs_tol=4 * ONE_IMAGE_ON_ONE_CHIP,
            tolerance_reason="four images on one chip",
        ),
        Table(
            "technologies",
            "digits MLP on every technology preset: mean accuracy at 1 h / 1 d / 1 y / 10 y (10 chips, seed 0)",
            _technologies,
            abs_tol=4 * ONE_IMAGE_ON_ONE_CHIP,
            tolerance_reason="four images on one chip",
        ),
        Table(
            "hwa-networks",
            "digits MLPs trained with and without noise, on the Reliability tab's PCM chips: "
            "accuracy at the curve's grid points near 1 day and 1 year (10 chips, seed 0)",
            _hwa_networks,
            abs_tol=4 * ONE_IMAGE_ON_ONE_CHIP,
            tolerance_reason="four images on one chip",
        ),
        Table(
            "read-disturb",
            "digits MLP on RRAM against reads at 0.2 to 0.5 V, unipolar and bipolar: reads "
            "before a 2-point loss and the accuracy at 1e8 and 1e10 reads (10 chips, seed 0)",
            _read_disturb,
            abs_tol=4 * ONE_IMAGE_ON_ONE_CHIP,
            rel_tol=0.05,
            tolerance_reason="four images on one chip; 5 % on a count, log-interpolated between grid points",
        ),
        Table(
            "flash-precision",
            "NOR Flash: single-cell tuning spread and the 128 x 128 MVM error (section 12), "
            "against the measured arrays of physics reference section 7b",
            _flash_precision,
            abs_tol=0.0,
            rel_tol=0.02,
            tolerance_reason="2 % of a figure: 20,480 cells and 25,600 outputs, seeded",
        ),
        Table(
            "flash-reads",
            "digits MLP on Flash against inference reads, by cells per bit line: reads before a "
            "2-point loss and the accuracy at 1e7 and 1e8 reads (10 chips, seed 0)",
            _flash_reads,
            abs_tol=4 * ONE_IMAGE_ON_ONE_CHIP,
            rel_tol=0.05,
            tolerance_reason="four images on one chip; 5 % on a count, log-interpolated between grid points",
        ),
        Table(
            "flash-wear",
            "digits MLP on Flash after P/E cycling: accuracy at 1 h, 1 y and 10 y (10 chips, seed 0)",
            _flash_wear,
            abs_tol=4 * ONE_IMAGE_ON_ONE_CHIP,
            tolerance_reason="four images on one chip",
        ),
        Table(
            "technology-table",
            "the technology table of seed section 6.1: what the models compute for PCM, RRAM and Flash "
            "(10 chips, seed 0), beside the seed's qualitative rows",
            _technology_cells,
            abs_tol=0.02,
            rel_tol=0.05,
            tolerance_reason="5 % on a count, log-interpolated between grid points; 0.02 on a printed figure",
        ),
        Table(
            "technology-table-how",
            "how each cell of the technology table was computed (10 chips, seed 0)",
            _technology_how,
            abs_tol=0.02,
            rel_tol=0.05,
            tolerance_reason="as the technology table (the lines name devices left, chips and sizes)",
        ),
        Table(
            "onchip-digits",
            "the digits MLP trained on analog tiles, 15 epochs, the defaults: final test accuracy of seeds 0 to 2",
            _onchip_digits,
            abs_tol=0.15,
            tolerance_reason="printed to 0.1 points; a mean of three seeds moves 0.1 for one image on one seed",
        ),
        Table(
            "onchip-digits-offset",
            "the digits MLP on analog tiles against the reference offset (mean of seeds 0 to 2)",
            _onchip_digits_offset,
            abs_tol=0.15,
            tolerance_reason="printed to 0.1 points; a mean of three seeds moves 0.1 for one image on one seed",
        ),
        Table(
            "chopped-5x5",
            "the 5 x 5 task (Python model), chopped study's setting: mean final weight error "
            "against the reference offset (seeds 0 to 2)",
            _chopped_5x5,
            abs_tol=0.1,
            tolerance_reason="printed to 0.1 points",
        ),
        Table(
            "tab-5x5",
            "the 5 x 5 task on the Training tab's defaults (kernels): mean final weight error of seeds 0 to 2",
            _tab_5x5,
            abs_tol=0.1,
            tolerance_reason="printed to 0.1 points",
        ),
        Table(
            "bias-5x5",
            "the 5 x 5 task without label noise, 200 states: the learned weights' shift toward the symmetry "
            "point, pooled over seeds 0 to 3 (Python tile and kernels)",
            _bias_5x5,
            abs_tol=0.0011,
            rel_tol=0.01,
            tolerance_reason="shifts printed to 0.001; errors to 1 % of their value",
        ),
    )
}


# ----------------------------------------------------------------------------- the documents' copies


def documents(root=ROOT):
    """The files that may hold results tables: README.md and every docs/**/*.md, in that order."""
    return [root / "README.md", *sorted((root / "docs").rglob("*.md"))]


def readme_tables(text):
    """{name: (header, rows)} of every table that follows a ``<!-- table NAME -->`` line of
    `text` (one document); a name marked twice raises `ValueError`."""
    lines = text.splitlines()
    out = {}
    for i, line in enumerate(lines):
        m = MARKER.match(line)
        if not m:
            continue
        body = []
        for row in lines[i + 1 :]:
            if not row.startswith("|"):
                break
            body.append(row)
        if len(body) < 2:
            raise ValueError(f"no Markdown table follows the marker of {m['name']!r} (line {i + 1})")
        if m["name"] in out:
            raise ValueError(f"table {m['name']!r} is marked twice (line {i + 1})")
        cells = [[c.strip() for c in row.strip().strip("|").split("|")] for row in body]
        out[m["name"]] = (cells[0], cells[2:])
    return out


def document_tables(paths=None):
    """{name: (path, (header, rows))} of the tables marked in `paths` (default: `documents()`);
    `ValueError` names the files when one name is marked in two of them."""
    out = {}
    for path in documents() if paths is None else paths:
        try:
            found = readme_tables(path.read_text())
        except ValueError as exc:
            raise ValueError(f"{path}: {exc}") from None
        for name, table in found.items():
            if name in out:
                raise ValueError(f"table {name!r} is marked in both {out[name][0]} and {path}")
            out[name] = (path, table)
    return out


def stamp_line(when=None, commit=None, machine=None):
    """``<!-- measured DATE at COMMIT on MACHINE -->``: the UTC date, the short hash of HEAD
    (`git rev-parse --short HEAD` in the project), and ``platform.node()`` with the CPU count."""
    if when is None:
        when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d")
    if commit is None:
        try:
            commit = subprocess.run(
                ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
            ).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            commit = "an unknown commit"
    if machine is None:
        machine = f"{platform.node() or 'an unnamed machine'} ({os.cpu_count()} cores)"
    return f"<!-- measured {when} at {commit} on {machine} -->"


def replace_tables(text, printed, stamp=None):
    """`text` with the table after each ``<!-- table NAME -->`` replaced by ``printed[NAME]`` (a
    Markdown table) for the names in `printed`; other tables stay as they are. With a `stamp`
    line, each replaced table's marker gets it on the line before, in place of a stamp there."""
    lines, out, i = text.splitlines(), [], 0
    while i < len(lines):
        m = MARKER.match(lines[i])
        if m and m["name"] in printed and stamp is not None:
            if out and STAMP.match(out[-1]):
                out.pop()
            out.append(stamp)
        out.append(lines[i])
        i += 1
        if m and m["name"] in printed:
            while i < len(lines) and lines[i].startswith("|"):
                i += 1
            out.extend(printed[m["name"]].splitlines())
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")


def _numbers(cell):
    return [float(n.replace(",", "")) for n in NUMBER.findall(cell)]


def differences(table, readme, printed):
    """Where `printed` (header, rows) differs from `readme` beyond the table's tolerance: a list of
    messages, empty when they agree."""
    out = []
    (h1, r1), (h2, r2) = readme, printed
    if h1 != h2:
        out.append(f"header: copy {h1} against {h2}")
    if len(r1) != len(r2):
        out.append(f"{len(r1)} rows in the copy against {len(r2)} printed")
    for i, (a_row, b_row) in enumerate(zip(r1, r2)):
        if len(a_row) != len(b_row):
            out.append(f"row {i + 1}: {len(a_row)} cells in the copy against {len(b_row)}")
            continue
        for a, b in zip(a_row, b_row):
            if NUMBER.sub("#", a) != NUMBER.sub("#", b):
                out.append(f"row {i + 1}: copy {a!r} against {b!r}")
                continue
            for x, y in zip(_numbers(a), _numbers(b)):
                if abs(x - y) > table.abs_tol + table.rel_tol * abs(y):
                    out.append(
                        f"row {i + 1}: copy {a!r} against {b!r} (tolerance {table.abs_tol:g}"
                        f"{f' + {table.rel_tol:g} |x|' if table.rel_tol else ''})"
                    )
                    break
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m explorer.tools.tables", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="tables to print (bare: list them)")
    action = parser.add_mutually_exclusive_group()
    action.add_argument(
        "--check", action="store_true", help="compare with the copies in README.md and docs/ instead of printing"
    )
    action.add_argument(
        "--write", action="store_true", help="replace the copies in README.md and docs/ with the new tables, stamped"
    )
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in TABLES]
    if unknown:
        parser.error(f"unknown table(s) {unknown}; the tables are {list(TABLES)}")
    if not args.names and not (args.check or args.write):
        width = max(map(len, TABLES))
        for t in TABLES.values():
            print(f"{t.name:<{width}}  {t.about}")
        return 0
    names = args.names or list(TABLES)
    if args.check:
        copies = document_tables()
        failed = 0
        for name in names:
            if name not in copies:
                print(f"{name}: no <!-- table {name} --> in README.md or docs/")
                failed += 1
                continue
            path, copy = copies[name]
            diff = differences(TABLES[name], copy, TABLES[name].compute())
            print(f"{name} ({path.relative_to(ROOT)}): {'agrees' if not diff else 'differs'}")
            for d in diff:
                print(f"  {d}")
            failed += bool(diff)
        return 1 if failed else 0
    if args.write:
        copies = document_tables()
        missing = [n for n in names if n not in copies]
        if missing:
            print(f"no <!-- table NAME --> marker in README.md or docs/ for {missing}", file=sys.stderr)
            return 1
        printed = {n: TABLES[n].markdown() for n in names}
        stamp = stamp_line()
        for path in dict.fromkeys(copies[n][0] for n in names):
            here = {n: printed[n] for n in names if copies[n][0] == path}
            path.write_text(replace_tables(path.read_text(), here, stamp))
            print(f"{path.relative_to(ROOT)}: {', '.join(here)} rewritten; {stamp}")
        return 0
    for name in names:
        print(f"<!-- table {name} -->")
        print(TABLES[name].markdown())
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
