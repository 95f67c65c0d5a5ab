"""Regenerate the scenario library, `assets/scenarios/*.json` (issue 24, item 2):

    python assets/make_scenarios.py

Each scenario is written from fresh explorers given the settings below, with every setting of the
tabs it covers (`scenario.to_json`), so that opening it gives the same page whatever the page showed
before. The descriptions quote figures of the models at these settings and seeds;
`tests/test_scenario_library.py` recomputes each one and fails when a description no longer holds.
"""

import math
import pathlib

from explorer.models import scenario

OUT = pathlib.Path(__file__).with_name("scenarios")
YEAR_S = 3.15576e7
ONE_YEAR = math.log10(YEAR_S)  # the marked time, log10 of seconds
ONE_HOUR = math.log10(3600.0)

SCENARIOS = {
    # file name: (tab opened, {tab: settings}, name, description, source)
    "01-pcm-drift-compensation.json": (
        "rel",
        {
            "rel": dict(technology="PCM", compensation="global", log10_time=ONE_YEAR, chips=10, seed=0),
            "dev": dict(technology="PCM", log10_time=ONE_YEAR, seed=0),
        },
        "PCM drift and global compensation",
        "PCM conductance drifts down after programming, g(t) = g0 (t/t0)^-nu, each device with its own "
        "exponent nu. The Reliability tab deploys the digits MLP (97.2 % in floating point) on 10 PCM chips "
        "with global drift compensation, which scales the outputs by the ratio of a reference read taken "
        "after programming to the same read now: the accuracy at 1 year stays near 95 %, and 94.4 % at 10 "
        "years. Set Drift compensation to none and the 1-year figure falls to about 91 %, 88.5 % at 10 "
        "years. The Devices tab shows PCM's eight programmed levels one year after programming, all lower "
        "than at one hour; 86 % of the devices now read nearer another level than their own (68 % at one "
        "hour), which is why the compensation's gain, not the raw read, matters.",
        "Seed document sections 2.1 and 5.1; physics reference sections 1 and 8 (Joshi et al., Nat. Commun. "
        "11, 2473, 2020; global drift compensation as in IBM's aihwkit).",
    ),
    "02-differential-common-mode.json": (
        "enc",
        {
            "enc": {
                "technology": "PCM",
                "mapping": "differential",
                "xb.common_mode_offset_uS": 1.6,
                "xb.common_mode_gain": 1.2,
                "seed": 0,
            }
        },
        "The differential pair's common mode",
        "A common mode moves every device alike, for example a temperature change. In the Encoding tab's "
        "common-mode plot an additive shift of up to 2 uS leaves the differential pair's MVM error where it "
        "was (7.8 %): G+ and G- shift together and their difference does not. The offset mapping with a "
        "reference column cancels it too (at its own, higher error), while an offset subtracted digitally "
        "does not: its error grows from 18.6 % to 33.6 % at +2 uS. A multiplicative common mode is not "
        "cancelled by the difference: all conductances 20 % higher give the pair 21 % MVM error, and gain "
        "calibration (one reference read) brings it back to 7.9 %.",
        "Seed document section 3.1; physics reference sections 8 and 12.",
    ),
    "03-bit-slicing.json": (
        "enc",
        {"enc": dict(technology="Flash", n_slices=2, bits_per_slice=4, base=16.0, allocation="balanced", seed=0)},
        "Bit slicing with F = 1, 2 and 16",
        "An 8-bit weight as two 4-bit slices, W = F (G+ - G-)_MSP + (G+ - G-)_LSP, on NOR Flash read one "
        "hour after programming. The Encoding tab plots the MVM error against the number of slices for "
        "significance F = 16 (the seed's 4-bit split), F = 2 and F = 1. At two slices F = 16 is below F = 1 "
        "(2.2 % against 2.4 %; one slice: 4.1 %). More slices do not help F = 16, whose error levels off "
        "at 2.1 to 2.2 % because the most significant slice's analog error dominates, while equal significance "
        "keeps averaging the slices' errors, about 1/sqrt(n): F = 1 reaches 1.1 % at six slices, the law "
        "of Le Gallo et al. drawn beside the curves. Switch the technology to PCM and F = 1 wins from two "
        "slices on.",
        "Seed document section 3.2; physics reference section 9 (Le Gallo et al., Neuromorph. Comput. Eng. 2022).",
    ),
    "04-verify-vs-gdp-ir-drop.json": (
        "prog",
        {
            "prog": {
                "technology": "RRAM",
                "size": 64,
                "xb.ir_drop": True,
                "log10_wire_resistance": 0.0,
                "programming.method": "gdp",
                "seed": 0,
            }
        },
        "Program-and-verify against GDP under IR drop",
        "A 64 x 64 RRAM array with IR drop on its 1-ohm wire segments, programmed by gradient-descent "
        "programming (GDP), which pulses the whole array toward a lower MVM error without reading single "
        "devices. Press Start to watch its run, then Compare the methods: program-and-verify sets each "
        "device within its tolerance (2.1 % weight error) but its outputs still carry the wires' loss "
        "(15.3 % MVM error), while GDP learns around the IR drop: 7.3 % MVM error with weights 14.9 % off "
        "their targets. Untick IR drop and compare again: verify wins (2.4 % against 6.9 %).",
        "Seed document sections 4.1 and 4.2; physics reference section 7 (Buchel et al., IEEE JETCAS 2023).",
    ),
    "05-bipolar-reading.json": (
        "rel",
        {"rel": dict(study="read disturb", read_voltage=0.5, log10_reads=6.0, compensation="none", seed=0)},
        "Bipolar reading against RRAM read disturb",
        "Every read at 0.5 V nudges the RRAM filaments of the deployed digits MLP (10 chips, read one hour "
        "after programming). In the Reliability tab's read-disturb study, reads of one polarity cost two "
        "points of accuracy after about 34,000 reads and leave it at about 64 % from 10^6 reads on; bipolar "
        "reading, which alternates the polarity so that consecutive shifts cancel, keeps 97 % through "
        "10^10 reads. The histogram beside it shows the devices after 10^6 reads of each kind. Lower the "
        "read voltage to 0.3 V and neither loses accuracy.",
        "Seed document section 5.2; physics reference section 3 (Shim, Luo, Seo, Yu, IRPS 2020 and IEEE "
        "TED 67(6), 2020).",
    ),
    "06-hardware-aware-training.json": (
        "rel",
        {
            "rel": dict(
                technology="PCM",
                training="hwa",
                hwa_noise="additive",
                hwa_noise_scale=1.0,
                prog_noise_scale=2.0,
                compensation="global",
                chips=20,
                log10_time=ONE_YEAR,
                seed=0,
            )
        },
        "Hardware-aware training",
        "The digits MLP trained with weight noise injected in its forward passes, deployed on 20 PCM chips "
        "whose programming noise is doubled, with global drift compensation. The Reliability tab's curve "
        "stays about 1 to 1.5 points above the same chips running the network trained in floating point, "
        "at every time from 1 s to 10 years (about 95 % against 94 % at the start); set Network training "
        "to plain to see the lower curve.",
        "Seed document section 5.3; physics reference section 11 (hardware-aware training as in IBM's "
        "aihwkit; Rasch et al., Nat. Commun. 2023).",
    ),
    "07-tiki-taka-vs-sgd.json": (
        "train",
        {
            "train": dict(
                task="5 x 5 correlation",
                device="asymmetric soft bounds, 300 states",
                compared=["analog SGD", "TTv2"],
                algorithm="TTv2",
                seed=0,
            )
        },
        "Tiki-Taka against SGD on asymmetric devices",
        "One 5 x 5 tile learns y = x W* on soft-bounds devices with 300 states whose up and down steps "
        "differ (asymmetry 0.4). Press Start: in-memory SGD's weights are pulled toward the devices' "
        "symmetry point and its weight error never settles, wandering between about 30 and 70 % to the "
        "end of the run, while Tiki-Taka v2, which gathers the gradient on a fast array A and a digital "
        "buffer before moving the weights C, falls to about 4.5 %, under a third of SGD's all through the "
        "second half of the run. The weights-against-target "
        "plot shows the weights of the algorithm chosen under Histograms of: TTv2 on the target line, "
        "analog SGD pulled off it.",
        "Seed document section 4.3; physics reference sections 5 and 6 (Gokmen and Haensch, Front. "
        "Neurosci. 2020; Gokmen, Front. Artif. Intell. 2021; as in IBM's aihwkit).",
    ),
    "08-flash-wear.json": (
        "rel",
        {"rel": dict(technology="Flash", study="Flash wear", compensation="none", chips=10, seed=0)},
        "Flash wear",
        "Program/erase cycles wear a NOR Flash cell's tunnel oxide and widen its programmed levels. The "
        "Reliability tab's Flash-wear study deploys the digits MLP on 10 Flash chips after each number of "
        "cycles: the accuracy stays within about half a point of 97.3 % up to 10^4 cycles at 1 hour, 1 year "
        "and 10 years of retention, and falls at 10^5 cycles, the end of Flash's rated endurance, to about "
        "96.6 % at 1 hour, 94 % at 1 year and 92 % at 10 years.",
        "Seed document sections 2.3 and 6.1; physics reference section 4 (Mythic; endurance 10^4 to 10^5 cycles).",
    ),
}


def explorers(tabs):
    """Fresh explorers of `tabs`' classes given their settings (the held ones by dotted name)."""
    out = {}
    for tab, settings in tabs.items():
        own = {k: v for k, v in settings.items() if "." not in k}
        ex = scenario.TABS[tab](**own)
        for name, value in settings.items():
            if "." in name:
                holder, attr = name.split(".")
                setattr(getattr(ex, holder), attr, value)
        out[tab] = ex
    return out


def main():
    OUT.mkdir(exist_ok=True)
    for file, (tab, tabs, name, description, source) in SCENARIOS.items():
        text = scenario.to_json(explorers(tabs), list(tabs), tab=tab, name=name, description=description, source=source)
        scenario.parse(text)  # what the app will read
        (OUT / file).write_text(text, encoding="utf-8")
        print(OUT / file)


if __name__ == "__main__":
    main()
