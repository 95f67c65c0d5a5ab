"""The MVM protocol of physics reference section 12, as the table of docs/results/encodings.md.

``python -m explorer.tools.protocol`` programs a 512 x 512 matrix (uniform in [-1, 1],
30 % zeros) and reads it with 8-bit inputs (uniform, 50 % zeros) and 8-bit ADCs
at 0 s, 60 s, 1 h, 1 day, 30 days and 1 year, for each mapping, and prints the
MVM error ``mean ||y - y_ideal|| / ||y_ideal||`` (in %).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import numpy as np

from explorer.models import CrossbarModel, protocol_inputs, protocol_weights
from kernels.rng import derive_seed

TIMES = (
    ("0 s", 0.0),
    ("60 s", 60.0),
    ("1 h", 3600.0),
    ("1 d", 86400.0),
    ("30 d", 30 * 86400.0),
    ("1 y", 365.25 * 86400.0),
)
MAPPINGS = ("differential", "two-sided", "offset-reference", "offset-digital")


def protocol_table(technology="PCM", size=512, batch=100, n_slices=1, calibrate_gain=False, seed=0):
    """MVM errors (fractions) per mapping and read time: ``{mapping: [error at each of TIMES]}``.

    Weights, inputs, programming and each read draw from their own seeds, derived from `seed`."""
    W = protocol_weights(size, size, derive_seed(seed, "weights"))
    X = protocol_inputs(batch, size, derive_seed(seed, "inputs"))
    out = {}
    for mapping in MAPPINGS:
        xb = CrossbarModel(
            technology=technology,
            mapping=mapping,
            n_slices=n_slices,
            weight_bits=4 * n_slices,
            dac_bits=8,
            adc_bits=8,
            calibrate_gain=calibrate_gain,
        )
        prog = xb.program(W, seed=derive_seed(seed, "programming"))
        out[mapping] = [prog.error(X, t=t, seed=derive_seed(seed, "read", k)) for k, (_, t) in enumerate(TIMES)]
    return out


def encoding_figures(technology="PCM", size=128, batch=64, seed=0, log=print):
    """The Encoding dashboard's numbers quoted in docs/results/encodings.md: slicing curves (analog
    and quantized slices) against the section-9 law, the error budget and the common-mode sweeps."""
    from explorer.models import EncodingExplorer

    curves = {}
    for quantize in (False, True):
        curves[quantize] = EncodingExplorer(
            technology=technology, size=size, batch=batch, seed=seed, quantize_weights=quantize
        ).slicing_curves()
    log(
        f"{technology}, {size} x {size}, {batch} inputs, 1 h, calibration on: MVM error in % for 1 to 6 "
        "slices of 4 bits"
    )
    log(f"{'analog slices (quantize_weights=False)':<48}quantized slices (4-bit levels)")
    for F in curves[False]["bases"]:
        for row, label in (("mvm_error", f"F={F:g}"), ("law", " law")):
            cells = ["  ".join(f"{100 * e:5.2f}" for e in curves[q][row][F]) for q in (False, True)]
            log(f"{label:<5} {cells[0]:<42} {cells[1]}")
    ex = EncodingExplorer(technology=technology, size=size, batch=batch, seed=seed)
    budget = ex.error_budget()
    parts = ", ".join(f"{name} {100 * e:.2f}" for name, e in budget["alone"].items())
    rss = 100 * float(np.sqrt(sum(e**2 for e in budget["alone"].values())))
    log(
        f"Error budget (each source alone, %): {parts}; all together {100 * budget['total']:.2f} "
        f"(root-sum-square of the parts: {rss:.2f})"
    )
    cm = ex.common_mode()
    for mapping, errs in cm["additive"].items():
        log(
            f"Additive common mode {cm['offsets'][0]:+.1f} to {cm['offsets'][-1]:+.1f} uS, {mapping}: "
            + " ".join(f"{100 * e:.2f}" for e in errs)
        )
    for key in ("uncalibrated", "calibrated"):
        log(
            f"Multiplicative common mode, gains {cm['gains'][0]:.2f} to {cm['gains'][-1]:.2f}, {key}: gain error % "
            + " ".join(f"{100 * e:+.2f}" for e in cm["multiplicative"][key + " gain error"])
        )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--technology", default="PCM")
    parser.add_argument("--slices", type=int, default=1)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument(
        "--encoding",
        action="store_true",
        help="print the Encoding dashboard's figures instead (128 x 128 unless --size)",
    )
    args = parser.parse_args(argv)
    if args.encoding:
        encoding_figures(args.technology, size=128 if args.size == 512 else args.size)
        return
    print(
        f"{args.technology}, {args.slices} slice(s) of 4 bits, {args.size} x {args.size}, 8-bit DAC and ADC; "
        "MVM error in %"
    )
    print(f"{'mapping':<18} {'calibration':<12}" + "".join(f"{name:>8}" for name, _ in TIMES))
    for calibrate in (False, True):
        table = protocol_table(args.technology, args.size, n_slices=args.slices, calibrate_gain=calibrate)
        for mapping, errs in table.items():
            print(f"{mapping:<18} {'on' if calibrate else 'off':<12}" + "".join(f"{100 * e:8.2f}" for e in errs))


if __name__ == "__main__":
    main()
