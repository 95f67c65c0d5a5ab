"""The MVM protocol of physics reference section 12, as a table for the README.

``python -m explorer.protocol`` programs a 512 x 512 matrix (uniform in [-1, 1],
30 % zeros) and reads it with 8-bit inputs (uniform, 50 % zeros) and 8-bit ADCs
at 0 s, 60 s, 1 h, 1 day, 30 days and 1 year, for each mapping, and prints the
MVM error ``mean ||y - y_ideal|| / ||y_ideal||`` (in %).
"""

import argparse


from explorer.models import CrossbarModel, protocol_inputs, protocol_weights

TIMES = (("0 s", 0.0), ("60 s", 60.0), ("1 h", 3600.0), ("1 d", 86400.0), ("30 d", 30 * 86400.0),
         ("1 y", 365.25 * 86400.0))
MAPPINGS = ("differential", "two-sided", "offset-reference", "offset-digital")


def protocol_table(technology="PCM", size=512, batch=100, n_slices=1, calibrate_gain=False, seed=0):
    """MVM errors (fractions) per mapping and read time: ``{mapping: [error at each of TIMES]}``."""
    W = protocol_weights(size, size, seed)
    X = protocol_inputs(batch, size, seed + 1)
    out = {}
    for mapping in MAPPINGS:
        xb = CrossbarModel(technology=technology, mapping=mapping, n_slices=n_slices,
                           weight_bits=4 * n_slices, dac_bits=8, adc_bits=8, calibrate_gain=calibrate_gain)
        prog = xb.program(W, seed=seed)
        out[mapping] = [prog.error(X, t=t, seed=seed + 10 + k) for k, (_, t) in enumerate(TIMES)]
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--technology", default="PCM")
    parser.add_argument("--slices", type=int, default=1)
    parser.add_argument("--size", type=int, default=512)
    args = parser.parse_args(argv)
    print(f"{args.technology}, {args.slices} slice(s) of 4 bits, {args.size} x {args.size}, 8-bit DAC and ADC; "
          "MVM error in %")
    print(f"{'mapping':<18} {'calibration':<12}" + "".join(f"{name:>8}" for name, _ in TIMES))
    for calibrate in (False, True):
        table = protocol_table(args.technology, args.size, n_slices=args.slices, calibrate_gain=calibrate)
        for mapping, errs in table.items():
            print(f"{mapping:<18} {'on' if calibrate else 'off':<12}"
                  + "".join(f"{100 * e:8.2f}" for e in errs))


if __name__ == "__main__":
    main()
