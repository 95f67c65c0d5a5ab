"""Compare saved outputs of the browser benchmark: per-control p50 side by side and their ratios.

    python -m explorer.tools.browser_benchmark --tabs Devices,Encoding,Crossbar --repeats 3 > before.txt
    python -m explorer.tools.browser_benchmark --tabs Devices,Encoding,Crossbar --repeats 3 > after.txt
    python -m explorer.tools.benchmark_compare before.txt after.txt [more.txt ...]

Prints, for every control measured in all files, p50 ms / frames / kB of each file; then per file
the median and worst p50 and the first-render medians; then, for each file after the first, the
median and quartiles of its per-control p50 ratio to the file before it. Speed differences smaller
than the spread of those ratios are noise (the browser benchmark's repeats are few).
"""

import argparse
import re
import statistics
from collections.abc import Sequence

ROW = re.compile(
    r"  (?P<tab>\w+)\s+(?P<control>.+?)\s+(?P<p50>\d+)\s+(?P<p95>\d+)\s+(?P<max>\d+)\s+(?:(?P<first>\d+)\s+)?"
    r"(?P<frames>\d+)\s+(?P<max_frames>\d+)\s+(?P<kb>[\d.]+)\s+(?P<timeouts>\d+)$"
)
"""A row of the benchmark's table; outputs before the `first` column (2026-12-07) have none."""
RENDER = re.compile(r"  (?P<tab>\w+)\s+median (?P<ms>\d+)")


def read_output(text):
    """(rows, renders) of one benchmark output: (tab, control) -> (p50 ms, frames, kB), and
    tab -> median first render in ms. Later rows of the same control replace earlier ones (the
    benchmark prints each row as measured and again in its final table)."""
    rows, renders = {}, {}
    for line in text.splitlines():
        if m := ROW.match(line):
            rows[(m["tab"], m["control"])] = (int(m["p50"]), int(m["frames"]), float(m["kb"]))
        elif m := RENDER.match(line):
            renders[m["tab"]] = int(m["ms"])
    return rows, renders


def ratios(before, after, keys):
    """Per-control p50 of `after` over `before`, for `keys`."""
    return [after[k][0] / before[k][0] for k in keys if before[k][0] > 0]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", help="saved outputs of explorer.tools.browser_benchmark")
    args = parser.parse_args(argv)
    outputs = []
    for name in args.files:
        with open(name, encoding="utf-8") as f:
            outputs.append(read_output(f.read()))
    keys = [k for k in outputs[0][0] if all(k in rows for rows, _ in outputs)]
    if not keys:
        parser.error("no control is measured in every file")
    print(f"{'tab':9} {'control':36}" + "".join(f"{'p50/fr/kB':>18}" for _ in outputs))
    for k in keys:
        cells = "".join(f"{rows[k][0]:>8}/{rows[k][1]:>3}/{rows[k][2]:>5.1f}" for rows, _ in outputs)
        print(f"{k[0]:9} {k[1][:36]:36}{cells}")
    for name, (rows, renders) in zip(args.files, outputs):
        p50 = [rows[k][0] for k in keys]
        print(
            f"{name}: p50 over {len(keys)} controls median {statistics.median(p50):.0f} ms, worst {max(p50)} ms;"
            f" first render medians {renders}"
        )
    for k in range(1, len(outputs)):
        r = ratios(outputs[k - 1][0], outputs[k][0], keys)
        q = statistics.quantiles(r, n=4)
        print(
            f"{args.files[k]} / {args.files[k - 1]}: p50 ratio median {statistics.median(r):.2f}, "
            f"quartiles {q[0]:.2f} and {q[2]:.2f}"
        )


if __name__ == "__main__":
    main()
