"""Sweep definitions (issue 27, item 1): files checked like scenario files, the points of a grid,
each point's seed from the sweep's seed and its own settings, and the metrics equal to what the
tabs' own model functions give at the same settings. No Dask here (tests/test_sweeps_dask.py)."""

import copy
import json
import math
import pathlib
import re
import time

import numpy as np
import pytest

from explorer.models import CrossbarExplorer, EncodingExplorer, ProgrammingExplorer, ReliabilityExplorer
from explorer.models.dashboards.reliability import TIMES_S
from explorer.models.sweeps import (
    MAX_POINTS,
    METRICS,
    SweepError,
    chip_seed,
    compute_point,
    load,
    parse,
    point_key,
    point_seed,
    tidy_rows,
)

BASE = {
    "format": "analog-explorer-sweep",
    "version": 1,
    "seed": 5,
    "chips": 2,
    "metrics": ["rel.accuracy", "xb.mvm_error"],
    "times": ["1 h", "1 y"],
    "base": {"xb": {"size": 32, "batch": 8}},
    "grid": {"rel.technology": ["PCM", "RRAM", "Flash"], "rel.compensation": ["none", "global"]},
}

YAML = """\
format: analog-explorer-sweep
version: 1
seed: 5
chips: 2
metrics: [rel.accuracy, xb.mvm_error]
times: [1 h, 1 y]
base:
  xb: {size: 32, batch: 8}
grid:
  rel.technology: [PCM, RRAM, Flash]
  rel.compensation: [none, global]
"""


def sweep_dict(**changes):
    d = copy.deepcopy(BASE)
    for k, v in changes.items():
        if v is None:
            d.pop(k, None)
        else:
            d[k] = v
    return d


def test_json_yaml_and_dict_give_the_same_sweep_and_grid_order():
    from_dict = parse(sweep_dict())
    assert parse(json.dumps(sweep_dict())) == from_dict
    assert parse(YAML) == from_dict
    assert parse(YAML.encode()) == from_dict
    points = from_dict.points()
    assert from_dict.size() == len(points) == 6
    # the first axis varies slowest
    assert [p["rel.technology"] for p in points] == ["PCM", "PCM", "RRAM", "RRAM", "Flash", "Flash"]
    assert [p["rel.compensation"] for p in points] == ["none", "global"] * 3
    assert from_dict.times_s == (3600.0, 365.25 * 86400.0)
    assert from_dict.tabs == ("xb", "rel")
    assert from_dict.tab_settings(points[1]) == {
        "xb": {"size": 32, "batch": 8},
        "rel": {"technology": "PCM", "compensation": "global"},
    }


def test_listed_points_follow_the_grid_and_may_stand_alone():
    s = parse(sweep_dict(points=[{"rel.technology": "ECRAM", "rel.n_slices": 2}]))
    assert s.size() == 7 and s.points()[-1] == {"rel.technology": "ECRAM", "rel.n_slices": 2}
    alone = parse(sweep_dict(grid=None, points=[{"rel.technology": "RRAM"}, {"rel.technology": "PCM"}]))
    assert alone.points() == [{"rel.technology": "RRAM"}, {"rel.technology": "PCM"}]


def many(n, lo, hi):
    return [float(x) for x in np.linspace(lo, hi, n)]


BAD = [
    # (changes, field, words the message must hold)
    ({"grid": {}}, "grid", "no point"),
    ({"grid": None}, "grid", "no point"),
    ({"grid": {"rel.technology": []}}, "grid.rel.technology", "non-empty list"),
    ({"grid": {"rel.technolgy": ["PCM"]}}, "grid.rel.technolgy", "no such setting"),
    ({"grid": {"sim.technology": ["PCM"]}}, "grid.sim.technology", "tab one of"),
    ({"grid": {"dev.technology": ["PCM"]}}, "grid.dev.technology", "no metric is computed on the 'dev' tab"),
    ({"grid": {"rel.technology": ["PCM", "MRAM"]}}, "grid.rel.technology[1]", 'no "MRAM"'),
    ({"grid": {"rel.n_slices": [1, 5]}}, "grid.rel.n_slices[1]", "out of range"),
    ({"grid": {"rel.n_slices": [1, 2.0]}}, "grid.rel.n_slices[1]", "must be an integer"),
    ({"grid": {"rel.n_slices": [1, 2, 1]}}, "grid.rel.n_slices[2]", "appears twice"),
    ({"grid": {"rel.seed": [1, 2]}}, "grid.rel.seed", "derived from the sweep's 'seed'"),
    ({"grid": {"rel.chips": [2, 4]}}, "grid.rel.chips", "give 'chips'"),
    ({"base": {"rel": {"technology": "PCM"}}, "grid": {"rel.technology": ["RRAM"]}}, "grid.rel.technology", "once"),
    ({"base": {"dev": {"n_levels": 4}}}, "base.dev", "no metric"),
    ({"base": {"rel": {"drift_scale": 11.0}}}, "base.rel.drift_scale", "out of range"),
    ({"metrics": []}, "metrics", "one or more"),
    ({"metrics": ["rel.accuracy", "rel.reads"]}, "metrics[1]", "no such metric"),
    ({"metrics": ["rel.accuracy", "rel.accuracy"]}, "metrics[1]", "twice"),
    ({"chips": 1}, "chips", "2 to 50"),
    ({"chips": 51}, "chips", "out of range"),
    ({"seed": -1}, "seed", "out of range"),
    ({"times": ["1 h", "11 y"]}, "times[1]", "out of range"),
    ({"times": ["1 fortnight"]}, "times[0]", "unit one of"),
    ({"times": []}, "times", "1 to 16"),
    ({"format": "analog-explorer-scenario"}, "format", "analog-explorer-sweep"),
    ({"version": 2}, "version", "reads 1 to 1"),
    ({"colour": "red"}, "colour", "unknown key"),
    ({"points": [{"rel.technology": "PCM", "rel.compensation": "none"}]}, "points[0]", "same settings as point 0"),
    (
        {"metrics": ["enc.mvm_error"], "base": {}, "grid": {"enc.bits_per_slice": [4, 8], "enc.n_slices": [1, 5]}},
        "grid point 3",
        "exceed",
    ),
    (
        {
            "grid": {
                "rel.drift_scale": many(200, 0, 10),
                "rel.read_noise_scale": many(200, 0, 3),
                "rel.read_voltage": many(200, 0.1, 0.6),
                "rel.hwa_noise_scale": many(200, 0, 3),
            }
        },
        "grid",
        f"1,600,000,000 points; at most {MAX_POINTS:,} allowed",
    ),
]


@pytest.mark.parametrize(("changes", "field", "words"), BAD, ids=[b[1] + ":" + b[2][:20] for b in BAD])
def test_bad_sweeps_are_refused_naming_the_field(changes, field, words):
    with pytest.raises(SweepError) as err:
        parse(sweep_dict(**changes))
    assert err.value.field == field, str(err.value)
    assert words in str(err.value)


def test_a_billion_points_are_refused_before_any_is_built():
    # 256 values on each of four axes: 4.3e9 points; counting them, not building them
    d = sweep_dict(
        grid={
            "rel.drift_scale": many(256, 0, 10),
            "rel.read_noise_scale": many(256, 0, 3),
            "rel.temperature_K": many(256, 200, 420),
            "rel.hwa_noise_scale": many(256, 0, 3),
        }
    )
    start = time.perf_counter()
    with pytest.raises(SweepError, match=r"4,294,967,296 points"):
        parse(d)
    assert time.perf_counter() - start < 2.0


def test_file_level_refusals_name_what_is_wrong():
    with pytest.raises(SweepError, match="not valid JSON"):
        parse('{"format": "analog-explorer-sweep",')
    with pytest.raises(SweepError, match="appears twice") as err:
        parse('{"format": "analog-explorer-sweep", "version": 1, "version": 1}')
    assert err.value.field == "version"
    with pytest.raises(SweepError, match="appears twice") as err:
        parse(YAML + "seed: 6\n")
    assert err.value.field == "seed"
    with pytest.raises(SweepError, match="NaN is not a number"):
        parse(json.dumps(sweep_dict()).replace('"seed": 5', '"seed": NaN'))
    with pytest.raises(SweepError, match="not UTF-8"):
        parse(b'{"format": "\xff"}')
    with pytest.raises(SweepError, match="an object"):
        parse("[1, 2]")


def test_point_seed_depends_only_on_the_sweep_seed_and_the_point():
    p = {"rel.technology": "RRAM", "rel.compensation": "global"}
    same = {"rel.compensation": "global", "rel.technology": "RRAM"}  # another key order
    assert point_seed(5, p) == point_seed(5, same)
    assert point_seed(5, p) != point_seed(6, p)
    assert point_seed(5, p) != point_seed(5, {**p, "rel.technology": "PCM"})
    assert 0 <= point_seed(5, p) < 2**31
    # a known value: SHA-256 of the canonical JSON, not Python's per-process hash
    assert point_seed(0, {"rel.technology": "PCM"}) == point_seed(0, {"rel.technology": "PCM"})
    with pytest.raises(ValueError, match="sweep_seed"):
        point_seed(-1, p)


def test_a_points_numbers_do_not_depend_on_the_other_points_or_their_order():
    small = parse(sweep_dict(grid={"rel.technology": ["RRAM"], "rel.compensation": ["global"]}))
    big = parse(sweep_dict(grid={"rel.compensation": ["none", "global"], "rel.technology": ["Flash", "RRAM"]}))
    p_small = small.points()[0]
    i_big = big.points().index(p_small)
    assert i_big == 3
    a, b = compute_point(small, p_small, 0), compute_point(big, big.points()[i_big], i_big)
    assert a.seed == b.seed and len(a.rows) == 3
    assert [(r.metric, r.value, r.ci95) for r in a.rows] == [(r.metric, r.value, r.ci95) for r in b.rows]
    assert a.same_numbers(b)
    assert point_key(small, p_small) == point_key(big, big.points()[i_big])


def test_metrics_equal_the_tabs_own_model_functions():
    """Each metric is its tab's computation at the point's settings and seed: the Crossbar tab's
    MVM error, the Encoding tab's key figures, a Programming run's end and the Reliability tab's
    accuracy at the curve's year point, one chip (the chip's seed) or the tab's chips."""
    year = float(TIMES_S[int(np.argmin(np.abs(np.log(TIMES_S / (365.25 * 86400)))))])
    s = parse(
        {
            "format": "analog-explorer-sweep",
            "version": 1,
            "seed": 11,
            "chips": 2,
            "metrics": ["xb.mvm_error", "enc.weight_error", "prog.pulses", "prog.energy", "rel.accuracy"],
            "times": [year],
            "base": {"xb": {"size": 32, "batch": 8}, "enc": {"size": 32, "batch": 8}, "prog": {"size": 16}},
            "points": [{"rel.technology": "RRAM", "xb.n_slices": 1, "prog.programming.method": "one-shot"}],
        }
    )
    point = s.points()[0]
    result = compute_point(s, point)
    seed = point_seed(11, point)
    assert result.seed == seed
    got = {r.metric: r for r in result.rows}

    xb = [
        CrossbarExplorer(size=32, batch=8, n_slices=1, seed=chip_seed(seed, c)).outputs()["mvm_error"] for c in range(2)
    ]
    assert got["xb.mvm_error"].value == pytest.approx(100 * np.mean(xb), rel=1e-12)
    assert got["xb.mvm_error"].ci95 == pytest.approx(100 * 1.96 * np.std(xb, ddof=1) / np.sqrt(2), rel=1e-9)

    enc = [
        {f.name: f.value for f in EncodingExplorer(size=32, batch=8, seed=chip_seed(seed, c)).key_figures()}[
            "Weight error"
        ]
        for c in range(2)
    ]
    assert got["enc.weight_error"].value == pytest.approx(np.mean(enc), rel=1e-12)

    runs = []
    for c in range(2):
        ex = ProgrammingExplorer(size=16, method="one-shot", seed=chip_seed(seed, c))
        while not ex.done:
            ex.step(100)
        runs.append({f.name: f.value for f in ex.key_figures()})
    assert got["prog.pulses"].value == pytest.approx(np.mean([r["Pulses"] for r in runs]), rel=1e-12)
    assert got["prog.energy"].value == pytest.approx(np.mean([r["Energy"] for r in runs]), rel=1e-12)
    assert got["prog.pulses"].unit == "pulses" and got["prog.energy"].unit == "nJ"

    rel = {f.name: f.value for f in ReliabilityExplorer(technology="RRAM", chips=2, seed=seed).key_figures()}
    assert got["rel.accuracy"].time_s == year
    assert got["rel.accuracy"].value == pytest.approx(rel["Accuracy at 1 y"], rel=1e-12)
    assert got["rel.accuracy"].ci95 == pytest.approx(rel["95 % half-width at 1 y"], rel=1e-9)


def test_accuracy_falls_with_time_on_pcm_and_global_compensation_recovers_it():
    """The magnitudes the how-to's example shows: PCM without compensation loses accuracy from 1 h
    to 1 y (drift); with global compensation the year's accuracy is within a few points of the
    hour's. 20 chips; the differences are several times the 95 % half-widths."""
    s = parse(
        sweep_dict(
            chips=20,
            metrics=["rel.accuracy", "rel.float_accuracy"],
            base={},
            grid={"rel.compensation": ["none", "global"]},
        )
    )
    none, glob = (compute_point(s, p, i) for i, p in enumerate(s.points()))
    acc = {
        name: {r.time_s: r for r in res.rows if r.metric == "rel.accuracy"}
        for name, res in (("none", none), ("global", glob))
    }
    hour, year = s.times_s
    float_acc = next(r.value for r in none.rows if r.metric == "rel.float_accuracy")
    assert 90 < float_acc < 100
    drop = acc["none"][hour].value - acc["none"][year].value
    assert drop > 3 * (acc["none"][hour].ci95 + acc["none"][year].ci95)
    assert acc["global"][year].value > acc["none"][year].value + 2 * (acc["global"][year].ci95 + acc["none"][year].ci95)
    for a in (acc["none"][hour], acc["global"][hour]):
        assert a.value < float_acc + a.ci95


def test_tidy_rows_one_per_point_metric_and_time():
    s = parse(sweep_dict(grid={"rel.technology": ["PCM", "RRAM"]}))
    results = [compute_point(s, p, i) for i, p in enumerate(s.points())]
    rows = tidy_rows(s, results)
    assert len(rows) == 2 * (2 + 1)  # two points; rel.accuracy at two times, xb.mvm_error
    assert list(rows[0])[:2] == ["point", "rel.technology"]
    assert {r["metric"] for r in rows} == {"rel.accuracy", "xb.mvm_error"}
    assert all(math.isnan(r["time_s"]) for r in rows if r["metric"] == "xb.mvm_error")
    assert [r["unit"] for r in rows[:3]] == [METRICS["rel.accuracy"].unit] * 2 + ["%"]
    assert json.loads(rows[-1]["settings"]) == {"rel.technology": "RRAM"}


def test_the_how_tos_example_and_the_shipped_sweep_parse():
    root = pathlib.Path(__file__).resolve().parents[1]
    text = (root / "docs" / "how-to" / "sweeps.md").read_text()
    blocks = re.findall(r"```yaml\n(.*?)```", text, re.S)
    assert blocks
    example = parse(blocks[0])
    assert example.size() == 3 * 3 + 1 and example.tabs == ("xb",)
    shipped = load(root / "assets" / "sweeps" / "drift-compensation.yaml")
    assert shipped.size() == 12 and shipped.chips == 10


def test_the_speed_benchmarks_sweep_is_the_issues():
    from explorer.tools.benchmark_sweeps import benchmark_sweep

    s = benchmark_sweep()
    assert s.size() == 48 and s.chips == 10 and s.metrics == ("rel.accuracy",)
    assert s.times_s == (3600.0, 365.25 * 86400.0)


def test_yaml_is_read_with_the_safe_loader_only():
    with pytest.raises(SweepError, match="not valid YAML"):
        parse(YAML + "name: !!python/object/apply:os.system ['echo unsafe']\n")


def test_a_failed_point_is_one_row_with_its_error_and_settings():
    from types import MappingProxyType

    from explorer.models.sweeps import PointResult

    s = parse(sweep_dict(grid={"rel.technology": ["PCM", "RRAM"]}))
    ok = compute_point(s, s.points()[0], 0)
    bad = PointResult(1, MappingProxyType(s.points()[1]), 0, (), error="ValueError: boom")
    rows = tidy_rows(s, [bad, ok])
    assert [r["point"] for r in rows] == [0, 0, 0, 1]
    last = rows[-1]
    assert last["error"] == "ValueError: boom" and last["metric"] == "" and math.isnan(last["value"])
    assert last["rel.technology"] == "RRAM" and json.loads(last["settings"]) == {"rel.technology": "RRAM"}
    assert list(last) == list(rows[0])


def test_pareto_front_keeps_the_points_none_beats_on_both():
    from explorer.models.sweeps import pareto_front

    costs = {0: 1.0, 1: 2.0, 2: 2.0, 3: 3.0, 4: 0.5, 5: 4.0, 6: 2.0, 7: math.nan}
    scores = {0: 90.0, 1: 95.0, 2: 93.0, 3: 95.0, 4: 80.0, 5: 97.0, 6: 95.0, 7: 99.0}
    # 2 loses to 1 (same cost, lower score), 3 to 1 (higher cost, same score), 6 equals 1 (lower index kept)
    assert pareto_front(costs, scores) == [4, 0, 1, 5]
    # brute force on random points: the definition itself
    rng = np.random.default_rng(3)
    c, s = ({i: float(v) for i, v in enumerate(rng.integers(0, 20, 200))} for _ in range(2))
    front = set(pareto_front(c, s))
    for i in c:
        beaten = any((c[j] <= c[i] and s[j] >= s[i]) and (c[j] < c[i] or s[j] > s[i]) for j in c)
        tie_before = any(c[j] == c[i] and s[j] == s[i] and j < i for j in c)
        assert (i in front) == (not beaten and not tie_before), i


def test_heatmap_averages_over_the_other_axes_and_leaves_missing_cells_nan():
    from explorer.models.sweeps import MetricValue, PointResult, heatmap, metric_values

    s = parse(
        sweep_dict(
            metrics=["xb.mvm_error"],
            base={},
            grid={
                "xb.technology": ["PCM", "RRAM"],
                "xb.n_slices": [1, 2, 3],
                "xb.mapping": ["differential", "two-sided"],
            },
            points=[{"xb.technology": "Flash"}],
        )
    )
    points = s.points()
    # a made-up metric: 10 x slices + 1 for RRAM + 0.5 for the two-sided mapping; point 0 missing, point 12 listed
    results = [
        PointResult(
            i,
            p,
            0,
            (
                MetricValue(
                    "xb.mvm_error",
                    math.nan,
                    10.0 * p["xb.n_slices"] + (p["xb.technology"] == "RRAM") + 0.5 * (p["xb.mapping"] == "two-sided"),
                    0.0,
                    "%",
                ),
            ),
        )
        for i, p in enumerate(points[:12])
        if i != 0
    ]
    h = heatmap(s, results, "xb.n_slices", "xb.technology", "xb.mvm_error")
    assert h["x_values"] == (1, 2, 3) and h["y_values"] == ("PCM", "RRAM")
    assert h["count"].tolist() == [[1, 2, 2], [2, 2, 2]]
    assert h["value"][0, 0] == 10.5  # PCM, 1 slice: only the two-sided point arrived
    np.testing.assert_allclose(h["value"][:, 1:], [[20.25, 30.25], [21.25, 31.25]])
    assert set(metric_values(results, "xb.mvm_error")) == set(range(1, 12))
    with pytest.raises(ValueError, match="not an axis"):
        heatmap(s, results, "xb.size", "xb.technology", "xb.mvm_error")
    with pytest.raises(ValueError, match="time_s"):
        metric_values(results, "rel.accuracy")


def test_training_metrics_are_the_focused_algorithms_run_as_the_tab_shows_it():
    """The run of `algorithm` alone gives the figures the tab shows with other algorithms compared
    beside it (each algorithm's run is its own, same settings and seed)."""
    from explorer.models import TrainingExplorer

    s = parse(
        {
            "format": "analog-explorer-sweep",
            "version": 1,
            "seed": 4,
            "chips": 1,
            "metrics": ["train.weight_error", "train.pulses", "train.chip_time", "train.accuracy"],
            "base": {"train": {"task": "5 x 5 correlation", "epochs": 1}},
            "points": [{"train.algorithm": "TTv2"}],
        }
    )
    point = s.points()[0]
    got = {r.metric: r.value for r in compute_point(s, point).rows}
    ex = TrainingExplorer(
        task="5 x 5 correlation",
        epochs=1,
        algorithm="TTv2",
        compared=["analog SGD", "TTv2"],
        seed=chip_seed(point_seed(4, point), 0),
    )
    while not ex.done:
        ex.step(ex.total_samples)
    tab = {f.name: f.value for f in ex.key_figures()}
    assert got["train.weight_error"] == tab["Weight error, TTv2"]
    assert got["train.pulses"] == tab["Pulses, TTv2"] > 0
    assert got["train.chip_time"] == tab["Chip time, TTv2"]
    assert math.isnan(got["train.accuracy"])  # the 5 x 5 task has no test accuracy
    with pytest.raises(SweepError, match="train.algorithm"):
        parse({**s.to_dict(), "points": [{"train.compared": ["TTv2"]}]})


def test_reads_before_a_loss_are_the_reliability_tabs_read_disturb_studies():
    """The read-disturb metrics are the Reliability tab's own studies at the point's settings and
    seed: RRAM reads at the read voltage before a 2-point loss (unipolar and bipolar reads) and NOR
    Flash inference reads at the chosen bit-line length; a loss never reached is +inf. At 0.6 V the
    unipolar loss comes within the counts and bipolar reading delays it (physics reference, read
    disturb)."""
    s = parse(
        {
            "format": "analog-explorer-sweep",
            "version": 1,
            "seed": 5,
            "chips": 2,
            "metrics": ["rel.reads_unipolar", "rel.reads_bipolar", "rel.flash_reads"],
            "grid": {"rel.read_voltage": [0.3, 0.6]},
            "base": {"rel": {"cells_per_bitline": 256}},
        }
    )
    results = [compute_point(s, p, i) for i, p in enumerate(s.points())]
    for point, result in zip(s.points(), results):
        got = {r.metric: r for r in result.rows}
        ex = ReliabilityExplorer(
            read_voltage=point["rel.read_voltage"], cells_per_bitline=256, chips=2, seed=result.seed
        )
        for polarity in ("unipolar", "bipolar"):
            survives = ex.reads_curves()[polarity]["survives"]
            assert got[f"rel.reads_{polarity}"].value == (math.inf if survives is None else survives)
            assert got[f"rel.reads_{polarity}"].unit == "reads"
        flash = ex.flash_reads()[256]["survives"]
        assert got["rel.flash_reads"].value == (math.inf if flash is None else flash)
    high = {r.metric: r.value for r in results[1].rows}
    assert math.isfinite(high["rel.reads_unipolar"]) and high["rel.reads_bipolar"] > high["rel.reads_unipolar"]
