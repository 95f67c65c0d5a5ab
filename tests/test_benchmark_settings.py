"""The settings benchmark (`python -m explorer.tools.benchmark_settings`) runs and prints one row per
setting it times, each with both figures: the command docs/results/benchmarks.md quotes for the
figures behind the settings the code keeps."""

import re

from explorer.tools import benchmark_settings


def test_every_setting_is_timed_against_its_alternative(capsys):
    benchmark_settings.main(["--repeats", "1"])
    lines = capsys.readouterr().out.splitlines()
    rows = [line for line in lines if line.startswith("| `")]
    kept = [re.match(r"\| `([^`]+)`", row).group(1) for row in rows]
    assert kept.count("OPENBLAS_NUM_THREADS=1") == 2 * len(benchmark_settings.BLAS_SHAPES)
    assert {"OMP_WAIT_POLICY=PASSIVE", "kernels.rng.digest", "pcm.read_mean"} <= set(kept)
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        kept_ms, alternative_ms, ratio = float(cells[2]), float(cells[4]), float(cells[5].rstrip("x"))
        assert kept_ms > 0 and alternative_ms > 0
        # Figures print with 3 significant digits, the ratio with 2 decimals (from the unrounded times).
        assert abs(ratio - alternative_ms / kept_ms) <= 0.011 * ratio + 0.006, row
