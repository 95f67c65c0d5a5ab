"""Every kernel registered with a serial and a parallel version (`kernels._jit.TWINS`) gives the
same numbers either way: each public wrapper runs once with every kernel parallel (threshold 0)
and once with every kernel serial (threshold 2**62), on inputs large enough to split."""

import numpy as np
import pytest

from kernels import _jit, crossbar, flash, outer_update, pcm, programming, pulsed, rram

N = 5000
rand = np.random.default_rng(0)
G_PCM = rand.uniform(0.0, 25.0, N)
G_RRAM = rand.uniform(9.0, 88.2, N)
G_FLASH = rand.uniform(0.1, 10.0, 300)
VTH = flash.program(G_FLASH, seed=1, ispp=flash.IsppSchedule(fine_step=0.01, fine_margin=0.1, max_pulses=60))["vth"]
NU = pcm.program(G_PCM, g_max=25.0, seed=1)[1]
X = rand.uniform(-1.0, 1.0, (64, 300))
TARGETS = rand.uniform(0.0, 10.0, 500)

EXAMPLES = {
    # every PCM calibration: each has its own loop in the kernels
    "pcm.program": lambda: [pcm.program(G_PCM, g_max=25.0, seed=2, variant=v) for v in pcm.VARIANTS],
    "pcm.read": lambda: [
        pcm.read(G_PCM, NU, 3600.0, g_max=25.0, t0=20.0, t_read=250e-9, seed=3, variant=v) for v in pcm.VARIANTS
    ],
    "pcm.moments": lambda: [
        pcm.read_moments(G_PCM, NU, 3600.0, g_max=25.0, t0=20.0, t_read=250e-9, variant=v) for v in pcm.VARIANTS
    ],
    "pcm.mean": lambda: [
        pcm.read_mean(G_PCM, NU, 3600.0, g_max=25.0, t0=20.0, t_read=250e-9, variant=v) for v in pcm.VARIANTS
    ],
    "rram.program": lambda: rram.program(G_RRAM, seed=4),
    "rram.read": lambda: rram.read(
        G_RRAM,
        np.zeros(N),
        60.0,
        seed=5,
        rtn_amplitude=np.full(N, 0.05),
        rtn_occupancy=np.full(N, 0.3),
        disturb=np.full(N, 0.01),
    ),
    "rram.moments": lambda: [  # with and without telegraph noise: each has its own loop
        rram.read_moments(
            np.r_[np.full(100, 9.0), np.full(100, 88.2), G_RRAM[200:]],
            np.zeros(N),
            60.0,
            disturb=np.full(N, 0.01),
            **rtn,
        )
        for rtn in ({}, dict(rtn_amplitude=np.full(N, 0.05), rtn_occupancy=np.full(N, 0.3)))
    ],
    "rram.rtn_params": lambda: rram.rtn_parameters(G_RRAM, seed=6),
    "rram.rtn_trace": lambda: rram.rtn_trace(
        G_RRAM[:3], np.full(3, 0.1), np.full(3, 1e-2), np.full(3, 2e-2), dt=1e-3, n_steps=500, seed=7
    ),
    "rram.disturb": lambda: rram.read_disturb(np.zeros(N), 10**5, polarity="bipolar", v_read=0.45),
    "flash.program": lambda: flash.program(
        G_FLASH, seed=8, pe_cycles=1e4, ispp=flash.IsppSchedule(fine_step=0.01, fine_margin=0.1, max_pulses=60)
    ),
    "flash.read": lambda: flash.read(VTH, 100.0, seed=9),
    "flash.iv": lambda: flash.iv_curves(VTH, np.linspace(0.0, 2.0, 50)),
    "flash.disturb": lambda: flash.read_disturb(
        np.tile(VTH, 20), np.full(6000, 1e-3), 10**5, cells_per_bitline=64, susceptibility=np.linspace(0.1, 3.0, 6000)
    ),
    "pulsed.train": lambda: pulsed.pulse_train(
        np.zeros(200), np.tile([1.0, -1.0], 20), g_min=0.0, g_max=10.0, dg_up=0.1, dg_down=0.08, c2c=0.3, seed=10
    ),
    "pulsed.to_target": lambda: pulsed.pulse_to_target(
        0.0, TARGETS, g_min=0.0, g_max=10.0, dg_up=0.05, dg_down=0.05, c2c=0.3, seed=11
    ),
    "programming.apply_pulses": lambda: programming.apply_pulses(
        TARGETS,
        np.linspace(-3.0, 3.0, 500),
        programming.Response(g_min=0.0, g_max=10.0, c2c=0.3),
        dg_up=0.05,
        dg_down=0.04,
        pulsing=programming.Pulsing(at_least_one=True),
        seed=13,
    ),
    "programming.verify_read": lambda: programming.verify_read(
        TARGETS, np.full(500, 0.1), TARGETS, tolerance=0.1, seed=14
    ),
    "outer_update.coincidences": lambda: outer_update.coincidences(
        X[:, :40] ** 2,
        np.sign(X[:, :40]),
        X[:, 40:140] ** 2,
        X[:, 140:240] ** 2,
        np.sign(X[:, 200:300]),
        np.full(64, 31),
        seed=15,
    ),
    "outer_update.apply_counts": lambda: outer_update.apply_counts(
        TARGETS,
        np.arange(500) % 50,
        np.arange(500)[::-1] % 40,
        g_min=0.0,
        g_max=10.0,
        dg_up=0.05,
        dg_down=0.04,
        c2c=0.3,
        seed=17,
    ),
    "crossbar.dac": lambda: crossbar.dac(X, bits=6, x_max=0.8),
    "crossbar.pairs": lambda: crossbar.pair_matrices(
        np.abs(X[:, :100]) * 20.0,
        np.abs(X[:, 100:200]),
        cols=25,
        n_slices=2,
        n_pol=2,
        gain=1.1,
        offset=0.3,
        loss=np.abs(X[:, 200:300]) * 1e-3,
        wire_resistance_ohm=0.5,
    ),
    "crossbar.noise_adc": lambda: crossbar.noise_adc(
        X[:, :200] * 5.0, np.abs(X[:, 100:]), seed=12, adc_bits=6, y_max=4.0
    ),
}


def test_every_registered_pair_has_an_example():
    assert set(EXAMPLES) == set(_jit.TWINS)


def _flat(result):
    if isinstance(result, dict):
        return [v for k in sorted(result) for v in _flat(result[k])]
    if isinstance(result, (tuple, list)):
        return [v for r in result for v in _flat(r)]
    return [np.asarray(result)]


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_serial_and_parallel_versions_give_identical_numbers(name, monkeypatch):
    used = []
    serial, parallel = _jit.TWINS[name]

    def spy(kernel, label):
        def run(*args):
            used.append(label)
            return kernel(*args)

        return run

    monkeypatch.setitem(_jit.TWINS, name, (spy(serial, "serial"), spy(parallel, "parallel")))
    monkeypatch.setattr(_jit, "PARALLEL_THRESHOLD", 0)
    in_parallel = _flat(EXAMPLES[name]())
    monkeypatch.setattr(_jit, "PARALLEL_THRESHOLD", 2**62)
    in_serial = _flat(EXAMPLES[name]())
    calls = len(used) // 2  # an example may call its kernel more than once (PCM: once per variant)
    assert calls >= 1 and used == ["parallel"] * calls + ["serial"] * calls
    assert len(in_parallel) == len(in_serial)
    for a, b in zip(in_parallel, in_serial):
        np.testing.assert_array_equal(a, b)
