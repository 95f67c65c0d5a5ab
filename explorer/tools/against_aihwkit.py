"""Held-out check against IBM aihwkit's PCM inference model, run by hand, not in CI.

Puts this project's PCM numbers beside those of aihwkit's own ``PCMLikeNoiseModel`` (physics
reference section 1), ``SinglePairConductanceConverter`` and ``GlobalDriftCompensation``, taken
from aihwkit's source and run on torch, on the same network and the same MVM protocol:

* the shipped digits MLP (`load_mlp("plain")`, `load_digits()`), 10 chips, test accuracy at
  1 h, 1 d, 30 d and 1 y without and with global drift compensation, beside
  `explorer.models.deployment.accuracy_vs_time` with the arguments of the compensation table of
  docs/results/reliability.md (PCM, one-sided differential pair, one slice, ideal DAC and ADC);
* the MVM error (physics reference section 12: ``mean ||y - y_ideal|| / ||y_ideal||``) of one
  128 x 128 protocol matrix (uniform in [-1, 1], 30 % zeros; 100 inputs uniform in [-1, 1],
  50 % zeros), 10 programmings, at the section-12 read times, same encoding; beside it, the
  same aihwkit functions composed as this project composes its model (every device keeps its
  programmed conductance; `AihwkitTile` ``compose="devices"``), which tells a difference in the
  device equations from one in how aihwkit's tile re-converts programmed weights.

The numbers are mean and 95 % interval over chips (1.96 sd / sqrt(chips)); the difference's
interval is the two combined. ``--chips`` sets the number of chips (10 by default, as the
compensation table; more narrow the intervals).

It needs torch and aihwkit's source, neither a dependency of the project. aihwkit's inference
noise models are pure Python on torch; its C++ simulator (``aihwkit.simulator.rpu_base``) is not
built or imported: the tool imports only ``aihwkit.inference`` (whose ``__init__`` chain is
pure Python) and does what aihwkit's ``InferenceTileWithPeriphery`` does with it (see
`AihwkitTile`). Set up once, in a venv of its own (the project's venv and CI stay untouched)::

    python3 -m venv /work/aihw-venv
    /work/aihw-venv/bin/pip install numpy numba param torch==2.13.0
    mkdir -p /work/aihw-src
    git -C PATH/TO/aihwkit archive HEAD src/aihwkit | tar -x -C /work/aihw-src   # a clone of IBM/aihwkit

then, from the project's root::

    PYTHONPATH=$PWD /work/aihw-venv/bin/python -m explorer.tools.against_aihwkit \\
        --aihwkit-src /work/aihw-src/src

(``--aihwkit-src`` defaults to ``$AIHWKIT_SRC``; an installed aihwkit is used if neither is
given.) Without torch or aihwkit it says how to set them up and exits with status 2.

aihwkit's forward path: an ``InferenceRPUConfig`` reads through ``IOParameters`` whose defaults
add a 7-bit DAC, a 9-bit ADC with output bound 12, output noise 0.06 and noise/bound management
(physics reference section 10). The project's table is measured with an ideal DAC and ADC and no
output noise, so this tool reads aihwkit's tiles as ``IOParameters(is_perfect=True)`` does: the
exact product of the drifted weights. The drift-compensation readout (one-hot inputs, ``eye``)
goes through the same ideal forward, as aihwkit's ``_forward_drift_readout_tensor`` does through
the tile's forward. ``MappingParameter`` defaults (no weight scaling, digital bias, tiles up to
512 x 512) put each layer whole on one tile with its weights as they are.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

import numpy as np

SETUP = """\
{what}

This check runs aihwkit's PCMLikeNoiseModel on torch; neither is a dependency of the project.
Set up a venv of its own (the project's venv stays untouched) and aihwkit's source:

    python3 -m venv /work/aihw-venv
    /work/aihw-venv/bin/pip install numpy numba param torch==2.13.0
    mkdir -p /work/aihw-src
    git -C PATH/TO/aihwkit archive HEAD src/aihwkit | tar -x -C /work/aihw-src

and run, from the project's root:

    PYTHONPATH=$PWD /work/aihw-venv/bin/python -m explorer.tools.against_aihwkit --aihwkit-src /work/aihw-src/src
"""

try:  # the project's own dependencies must be in the check's venv too
    from kernels.crossbar import mvm_error
    from kernels.rng import derive_seed

    from ..models import CrossbarModel, load_mlp, protocol_inputs, protocol_weights
    from ..models.crossbar.calibration import drift_factor
    from ..models.deployment import accuracy_vs_time
    from ..models.digits import load_digits
    from .protocol import TIMES as MVM_TIMES
    from .tables import DAY, HOUR, MONTH, YEAR
    from .tables import DIGITS_ENCODING as TABLE_ENCODING
except ImportError as _e:
    print(
        SETUP.format(what=f"this project's models cannot be imported in this Python ({sys.executable}): {_e}"),
        file=sys.stderr,
    )
    raise SystemExit(2) from _e

NETWORK_TIMES = (("1 h", HOUR), ("1 d", DAY), ("30 d", MONTH), ("1 y", YEAR))
"""The compensation table's times (`explorer.tools.tables`); the MVM comparison reads at the
section-12 protocol's (`explorer.tools.protocol.TIMES`)."""
DIGITS_ENCODING = dict(technology="PCM", **TABLE_ENCODING)
"""The compensation table's crossbar (`explorer.tools.tables.DIGITS_ENCODING`, PCM)."""
AGREEMENT_POINTS = 0.8
"""The agreement this check holds the project to (percentage points, every time, both
compensations): the figure an outside review measured before the check was added (CHANGELOG.md,
issue 21)."""


class MissingPeer(RuntimeError):
    """torch or aihwkit's source is not available."""


def import_aihwkit(src=None):
    """torch and aihwkit's inference classes ``(torch, PCMLikeNoiseModel, GlobalDriftCompensation)``.

    `src`: a directory holding the ``aihwkit`` package (``.../src``), put first on ``sys.path``;
    None uses an importable aihwkit. `MissingPeer` with the setup instructions otherwise."""
    try:
        import torch
    except ImportError as e:
        raise MissingPeer(SETUP.format(what=f"torch is not installed in this Python ({sys.executable}): {e}")) from e
    if src is not None:
        if not os.path.isfile(os.path.join(src, "aihwkit", "inference", "noise", "pcm.py")):
            raise MissingPeer(
                SETUP.format(
                    what=f"--aihwkit-src {src!r} does not hold aihwkit's source (no aihwkit/inference/noise/pcm.py)"
                )
            )
        sys.path.insert(0, os.path.abspath(src))
    try:
        from aihwkit.inference.compensation.drift import GlobalDriftCompensation
        from aihwkit.inference.noise.pcm import PCMLikeNoiseModel
    except ImportError as e:
        raise MissingPeer(SETUP.format(what=f"aihwkit's inference modules cannot be imported: {e}")) from e
    return torch, PCMLikeNoiseModel, GlobalDriftCompensation


class AihwkitTile:
    """One layer on an aihwkit inference tile, as ``InferenceTileWithPeriphery`` handles it.

    `W` (rows = inputs, columns = outputs, this project's orientation) is held as aihwkit holds a
    tile's weights, ``(out, in)``. `program` is ``program_weights``: the noise model's
    ``apply_programming_noise`` (the converter's conductances, programming noise, and the drift
    exponents drawn from the target conductances) and, with a compensation, its baseline
    ``init_baseline``: the readout of the programmed weights with one-hot inputs. `drift` is
    ``drift_weights(t)``: ``apply_drift_noise`` from the programmed weights and the kept
    exponents to `t` (drift and 1/f noise, drawn anew at each call) and the compensation factor
    ``apply(readout at t, baseline)``. `forward` is the tile's forward through an ideal DAC and
    ADC (``IOParameters(is_perfect=True)``) times that factor (``post_forward`` in eval mode).

    `compose`: ``"tile"`` is aihwkit's composition above. There, ``apply_drift_noise`` converts
    the programmed *weights* to conductances again: the pair is re-split (the unused device back
    at 0 uS, its programming-noise offset folded into the used one, which drifts with the used
    device's exponent) and re-scaled (the largest programmed weight to g_max). ``"devices"``
    composes the same noise-model functions the way this project's model does: every device
    keeps its programmed conductance (`apply_drift_noise_to_conductance` on each, with its own
    exponent) and the pair is read back with the programming's scale. It isolates the
    composition from the device equations."""

    COMPOSITIONS = ("tile", "devices")

    def __init__(self, torch, W, noise_model, compensation=None, compose="tile"):
        if compose not in self.COMPOSITIONS:
            raise ValueError(f"compose must be one of {list(self.COMPOSITIONS)}, got {compose!r}")
        self.torch = torch
        self.weights = torch.tensor(np.asarray(W).T, dtype=torch.float32)
        self.noise_model = noise_model
        self.compensation = compensation
        self.compose = compose
        self.eye = torch.eye(self.weights.shape[1])
        self.current = self.weights
        self.alpha = 1.0

    def _readout(self, weights):
        return self.eye @ weights.T  # the one-hot inputs through an ideal forward

    def program(self):
        model = self.noise_model
        if self.compose == "tile":
            self.programmed, self.nu = model.apply_programming_noise(self.weights)
        else:
            targets, self.params = model.g_converter.convert_to_conductances(self.weights)
            self.g_prog, self.nu = [], []
            for g in targets:  # the draws in apply_programming_noise's order: the same programmed weights
                self.g_prog.append(model.apply_programming_noise_to_conductance(g))
                self.nu.append(model.generate_drift_coefficients(g))
            self.programmed = model.g_converter.convert_back_to_weights(self.g_prog, self.params)
        self.current, self.alpha = self.programmed, 1.0
        if self.compensation is not None:
            self.baseline = self.compensation.readout(self._readout(self.programmed))

    def drift(self, t):
        model = self.noise_model
        if self.compose == "tile":
            self.current = model.apply_drift_noise(self.programmed, self.nu, float(t))
        else:
            g = [model.apply_drift_noise_to_conductance(g, nu, float(t)) for g, nu in zip(self.g_prog, self.nu)]
            self.current = model.g_converter.convert_back_to_weights(g, self.params)
        if self.compensation is not None:
            self.alpha = self.compensation.apply(self._readout(self.current), self.baseline)

    def forward(self, x):
        return (x @ self.current.T) * self.alpha


def aihwkit_accuracy(peer, chips, seed, compensated, times=NETWORK_TIMES):
    """Test accuracy ``(chips, times)`` of the digits MLP on aihwkit tiles (PCMLikeNoiseModel at its
    defaults: g_max 25 uS, one-sided pair, t0 20 s), without or with GlobalDriftCompensation.

    Chip c seeds torch's generator with ``derive_seed(seed, "programming", c)``, programs every
    layer once (`AihwkitTile.program`), then for each time drifts every layer to it and reads the
    whole test set, as ``program_analog_weights`` and ``drift_analog_weights(t)`` would. Biases
    and ReLU are digital (``MappingParameter.digital_bias``)."""
    torch, PCMLikeNoiseModel, GlobalDriftCompensation = peer
    net, data = load_mlp("plain"), load_digits()
    X = torch.tensor(data.X_test, dtype=torch.float32)
    biases = [torch.tensor(b, dtype=torch.float32) for b in net.b]
    acc = np.empty((chips, len(times)))
    for c in range(chips):
        torch.manual_seed(derive_seed(seed, "programming", c))
        tiles = [
            AihwkitTile(torch, W, PCMLikeNoiseModel(), GlobalDriftCompensation() if compensated else None)
            for W in net.W
        ]
        for tile in tiles:
            tile.program()
        for i, (_, t) in enumerate(times):
            h = X
            for k, (tile, b) in enumerate(zip(tiles, biases)):
                tile.drift(t)
                h = tile.forward(h) + b
                if k < len(tiles) - 1:
                    h = torch.relu(h)
            acc[c, i] = float((h.argmax(dim=1).numpy() == data.y_test).mean())
    return acc


def project_accuracy(chips, seed, compensated, times=NETWORK_TIMES):
    """The project's accuracies ``(chips, times)`` for the same figure: `accuracy_vs_time` with the
    compensation table's arguments (docs/results/reliability.md)."""
    r = accuracy_vs_time(
        [t for _, t in times],
        chips=chips,
        seed=seed,
        compensation="global" if compensated else "none",
        **DIGITS_ENCODING,
    )
    return r["per_chip"]


def mvm_errors(peer, chips, seed, compensated, size=128, batch=100, times=MVM_TIMES):
    """MVM errors ``{"project", "aihwkit", "aihwkit devices": (chips, times)}`` of one `size` x `size`
    section-12 matrix read with `batch` protocol inputs, programmed `chips` times on each model
    ("aihwkit devices": `AihwkitTile` with ``compose="devices"``, programmed with the same draws
    as "aihwkit").

    All read with an ideal DAC and ADC; with `compensated`, all scale the outputs by the global
    factor from one-hot readouts right after programming and at each time (aihwkit's
    GlobalDriftCompensation; the project's `drift_factor` from one-hot reads, as
    `explorer.models.deployment.DeployedMLP` computes it). The project's programming seed of
    chip c is ``derive_seed(seed, "programming", c)``, its reads ``derive_seed(seed, "read", ...)``
    and its one-hot reads ``derive_seed(seed, "calibration", ...)``."""
    torch, PCMLikeNoiseModel, GlobalDriftCompensation = peer
    W = protocol_weights(size, size, derive_seed(seed, "weights"))
    X = protocol_inputs(batch, size, derive_seed(seed, "inputs"))
    ideal = X @ W
    Xt = torch.tensor(X, dtype=torch.float32)
    xb = CrossbarModel(**DIGITS_ENCODING)
    eye = np.eye(size)
    n = len(times)
    out = {key: np.empty((chips, n)) for key in ("project", "aihwkit", "aihwkit devices")}
    for c in range(chips):
        prog = xb.program(W, seed=derive_seed(seed, "programming", c))
        ref = np.abs(prog.mvm(eye, 0.0, derive_seed(seed, "calibration", (n + 1) * c))).mean(axis=0)
        for i, (_, t) in enumerate(times):
            y = prog.mvm(X, t, derive_seed(seed, "read", n * c + i))
            if compensated:
                now = np.abs(prog.mvm(eye, t, derive_seed(seed, "calibration", (n + 1) * c + 1 + i))).mean(axis=0)
                y = y * drift_factor(ref, now, "global")
            out["project"][c, i] = mvm_error(y, ideal)
        for key, compose in (("aihwkit", "tile"), ("aihwkit devices", "devices")):
            torch.manual_seed(derive_seed(seed, "programming", c))
            tile = AihwkitTile(
                torch, W, PCMLikeNoiseModel(), GlobalDriftCompensation() if compensated else None, compose=compose
            )
            tile.program()
            for i, (_, t) in enumerate(times):
                tile.drift(t)
                out[key][c, i] = mvm_error(tile.forward(Xt).double().numpy(), ideal)
    return out


def mean_ci(per_chip):
    """Mean over chips and the half-width of its 95 % interval (1.96 sd / sqrt(chips)), per column."""
    chips = per_chip.shape[0]
    ci = 1.96 * per_chip.std(axis=0, ddof=1) / np.sqrt(chips) if chips > 1 else np.full(per_chip.shape[1], np.nan)
    return per_chip.mean(axis=0), ci


def comparison_rows(ours, theirs, scale=100.0):
    """Rows ``(project "m ± ci", aihwkit "m ± ci", difference, interval of the difference)`` per
    time (values times `scale`: percentages); the difference's interval is
    ``sqrt(ci_project^2 + ci_aihwkit^2)`` (independent chips)."""
    (m1, c1), (m2, c2) = mean_ci(ours), mean_ci(theirs)
    return [
        (
            f"{scale * a:.2f} ± {scale * ca:.2f}",
            f"{scale * b:.2f} ± {scale * cb:.2f}",
            scale * (b - a),
            scale * float(np.hypot(ca, cb)),
        )
        for a, ca, b, cb in zip(m1, c1, m2, c2)
    ]


def chips_int(text):
    """--chips: a whole number in [1, 1000] (`accuracy_vs_time`'s range)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 1000:
        raise argparse.ArgumentTypeError(f"must be an integer in [1, 1000], got {text!r}")
    return value


def seed_int(text):
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"must be an integer in [0, 2**63), got {text!r}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--aihwkit-src",
        default=os.environ.get("AIHWKIT_SRC"),
        help="directory holding aihwkit's source package (.../src); default $AIHWKIT_SRC, else an installed aihwkit",
    )
    parser.add_argument("--chips", type=chips_int, default=10, help="chips (programmings) per model (10)")
    parser.add_argument("--seed", type=seed_int, default=0, help="seed (0)")
    parser.add_argument("--no-mvm", action="store_true", help="skip the 128 x 128 MVM comparison")
    args = parser.parse_args(argv)
    try:
        peer = import_aihwkit(args.aihwkit_src)
    except MissingPeer as e:
        print(e, file=sys.stderr)
        return 2
    torch = peer[0]
    torch.set_num_threads(1)
    import aihwkit

    print(
        f"aihwkit {getattr(aihwkit, '__version__', '?')} from {os.path.dirname(aihwkit.__file__)}, "
        f"torch {torch.__version__}"
    )
    print(
        f"Digits MLP, PCM, one-sided pair, one slice, ideal DAC/ADC, {args.chips} chips, seed {args.seed}: "
        "test accuracy in %, mean ± 95 % interval"
    )
    print("| compensation | time | this project | aihwkit PCMLikeNoiseModel | aihwkit - project |")
    print("|---|---|---|---|---|")
    worst, beyond, cells = 0.0, 0, 0
    for compensated, label in ((False, "none"), (True, "global")):
        rows = comparison_rows(
            project_accuracy(args.chips, args.seed, compensated),
            aihwkit_accuracy(peer, args.chips, args.seed, compensated),
        )
        for (name, _), (ours, theirs, diff, ci) in zip(NETWORK_TIMES, rows):
            worst = max(worst, abs(diff))
            beyond += abs(diff) > ci
            cells += 1
            print(f"| {label} | {name} | {ours} % | {theirs} % | {diff:+.2f} ± {ci:.2f} |")
    verdict = "holds" if worst <= AGREEMENT_POINTS else "does NOT hold"
    print(
        f"Largest difference of the means: {worst:.2f} points (the {AGREEMENT_POINTS}-point agreement {verdict}); "
        f"differences beyond their own 95 % interval: {beyond} of {cells}."
    )
    if not args.no_mvm:
        print()
        print(
            f"MVM error in % (section 12, 128 x 128 protocol matrix, 100 inputs, same encoding), "
            f"{args.chips} programmings, mean ± 95 % interval"
        )
        print(
            "| compensation | time | this project | aihwkit (its tile) | aihwkit - project "
            "| aihwkit, devices kept | devices kept - project |"
        )
        print("|---|---|---|---|---|---|---|")
        diffs = {"aihwkit (its tile)": [], "aihwkit, devices kept": []}
        for compensated, label in ((False, "none"), (True, "global")):
            e = mvm_errors(peer, args.chips, args.seed, compensated)
            tile = comparison_rows(e["project"], e["aihwkit"])
            kept = comparison_rows(e["project"], e["aihwkit devices"])
            for (name, _), (ours, theirs, diff, ci), (_, k, kdiff, kci) in zip(MVM_TIMES, tile, kept):
                diffs["aihwkit (its tile)"].append((diff, ci))
                diffs["aihwkit, devices kept"].append((kdiff, kci))
                print(
                    f"| {label} | {name} | {ours} | {theirs} | {diff:+.2f} ± {ci:.2f} | {k} "
                    f"| {kdiff:+.2f} ± {kci:.2f} |"
                )
        for key, d in diffs.items():
            beyond = sum(abs(x) > ci for x, ci in d)
            print(
                f"{key} - project: {min(x for x, _ in d):+.2f} to {max(x for x, _ in d):+.2f} points of MVM error, "
                f"beyond their own 95 % interval at {beyond} of {len(d)} points."
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
