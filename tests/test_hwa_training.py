"""Hardware-aware training of the digits MLP (physics reference section 11): every noise kind,
clipping and quantization change training and are reproducible; bad settings name the argument;
`NetworkTraining` steps to exactly `train_mlp`'s network; the shipped variants need no training."""

import dataclasses
import threading
import time

import numpy as np
import pytest
from argnames import naming

from explorer.models import HWAConfig, digits
from explorer.models.training import mlp, mlp_background

EPOCHS = 3


@pytest.fixture(scope="module")
def data():
    return digits.load_digits()


@pytest.fixture(scope="module")
def plain(data):
    return mlp.train_mlp(data.X_train, data.y_train, epochs=EPOCHS, seed=1)


def _weights(net):
    return net.W + net.b


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(weight_noise=0.05),
        dict(multiplicative_noise=0.1),
        dict(pcm_noise=1.0),
        dict(clip=1.5),
        dict(quantize_levels=7),
        dict(pcm_noise=1.0, noise_scale=2.0),
        dict(weight_noise=0.05, multiplicative_noise=0.1, pcm_noise=1.0, clip=2.5, quantize_levels=31),
    ],
)
def test_each_setting_changes_training_and_the_same_seed_reproduces_it(data, plain, kwargs):
    a = mlp.train_mlp(data.X_train, data.y_train, epochs=EPOCHS, seed=1, **kwargs)
    b = mlp.train_mlp(data.X_train, data.y_train, epochs=EPOCHS, seed=1, config=HWAConfig(**kwargs))
    for x, y in zip(_weights(a), _weights(b)):
        np.testing.assert_array_equal(x, y)
    assert max(np.abs(x - y).max() for x, y in zip(_weights(a), _weights(plain))) > 1e-3


def test_noise_scale_multiplies_the_amplitudes_and_zero_switches_noise_off(data, plain):
    def train(**kw):
        return mlp.train_mlp(data.X_train, data.y_train, epochs=1, seed=1, **kw)

    for x, y in zip(_weights(train(weight_noise=0.025, noise_scale=2.0)), _weights(train(weight_noise=0.05))):
        np.testing.assert_array_equal(x, y)
    for x, y in zip(_weights(train(pcm_noise=1.0, multiplicative_noise=0.2, noise_scale=0.0)), _weights(train())):
        np.testing.assert_array_equal(x, y)


def test_clip_saturates_the_largest_weights_of_each_layer(data, plain):
    """The bound is 1.5 std of the weights before the clip (their std after it is smaller): several
    weights of each layer sit on it, and the largest weight is nearer the spread than without clip."""
    net = mlp.train_mlp(data.X_train, data.y_train, epochs=EPOCHS, seed=1, clip=1.5)
    for w, w_plain in zip(net.W, plain.W):
        top = np.abs(w).max()
        assert np.sum(np.abs(w) == top) >= 3
        assert top / w.std() < np.abs(w_plain).max() / w_plain.std()


def test_forward_weights_are_quantized_to_the_levels_and_pcm_noise_follows_the_polynomial():
    tr = mlp.MLPTraining(np.eye(4), np.arange(4), hidden=3, quantize_levels=5)
    w = np.array([[-1.0, -0.6, -0.1], [0.1, 0.3, 0.8]])
    np.testing.assert_array_equal(tr._noisy(w), [[-1.0, -0.5, 0.0], [0.0, 0.5, 1.0]])
    # PCM: one weight at half the largest, 200,000 draws: the spread is sigma(r = 0.5) * a / 25
    tr = mlp.MLPTraining(np.eye(4), np.arange(4), hidden=3, pcm_noise=1.0)
    w = np.full((1, 200_000), 0.5)
    w[0, 0] = 1.0
    draws = tr._noisy(w)[0, 1:]
    sigma = (0.26348 + 1.9650 * 0.5 - 1.1731 * 0.25) / 25.0
    assert abs(draws.mean() - 0.5) < 5 * sigma / np.sqrt(draws.size)
    assert abs(draws.std() / sigma - 1) < 0.01  # the sd's sampling error is 0.16 %


@pytest.mark.parametrize(
    "name,value",
    [
        ("weight_noise", -0.1),
        ("weight_noise", 2.0),
        ("multiplicative_noise", float("nan")),
        ("pcm_noise", -1.0),
        ("pcm_noise", "1"),
        ("clip", -1.0),
        ("clip", float("inf")),
        ("quantize_levels", 1),
        ("quantize_levels", 2.5),
        ("quantize_levels", -3),
        ("noise_scale", -0.5),
        ("noise_scale", True),
    ],
)
def test_bad_settings_raise_naming_the_argument(data, name, value):
    with pytest.raises(ValueError, match=naming(name)):
        HWAConfig(**{name: value})
    with pytest.raises(ValueError, match=naming(name)):
        mlp.train_mlp(data.X_train[:10], data.y_train[:10], epochs=1, **{name: value})


def test_bad_training_arguments_raise_naming_them(data):
    for kwargs, name in [(dict(epochs=0), "epochs"), (dict(seed=-1), "seed"), (dict(config="hwa"), "config")]:
        with pytest.raises(ValueError, match=naming(name)):
            mlp_background.NetworkTraining(**kwargs, digits=data)
    tr = mlp_background.NetworkTraining(epochs=1, digits=data)
    with pytest.raises(ValueError, match=naming("max_seconds")):
        tr.step(max_seconds=-1.0)
    assert tr.epoch == 0


def test_an_unknown_setting_is_a_type_error(data):
    with pytest.raises(TypeError, match="weight_nois"):
        mlp.train_mlp(data.X_train[:10], data.y_train[:10], epochs=1, weight_nois=0.05)


def test_config_key_and_shipped_variants():
    assert HWAConfig(weight_noise=0.05).key() == HWAConfig(weight_noise=0.05, noise_scale=1).key()
    assert hash(HWAConfig(clip=2).key()) == hash(HWAConfig(clip=2.0).key())
    assert dict(mlp.MLP_VARIANT_CONFIGS) == {"plain": HWAConfig(), "hwa": HWAConfig(weight_noise=0.05)}
    assert mlp_background.shipped_variant_for(HWAConfig()) == "plain"
    assert mlp_background.shipped_variant_for(HWAConfig(weight_noise=0.05)) == "hwa"
    assert mlp_background.shipped_variant_for(HWAConfig(weight_noise=0.025, noise_scale=2.0)) == "hwa"
    assert mlp_background.shipped_variant_for(HWAConfig(pcm_noise=1.0, noise_scale=0.0)) == "plain"
    assert mlp_background.shipped_variant_for(HWAConfig(weight_noise=0.05), seed=1) is None
    assert mlp_background.shipped_variant_for(HWAConfig(weight_noise=0.05), epochs=59) is None
    assert mlp_background.shipped_variant_for(HWAConfig(weight_noise=0.04)) is None
    assert mlp_background.shipped_variant_for(HWAConfig(clip=2.5)) is None
    # every noise of the Reliability dashboard at every position of its training-noise slider
    assert mlp_background.shipped_variant_for(HWAConfig(pcm_noise=1.0, noise_scale=1.25)) == "PCM-like x1.25"
    assert mlp_background.shipped_variant_for(HWAConfig(multiplicative_noise=0.1)) == "multiplicative x1"
    assert mlp_background.shipped_variant_for(HWAConfig(weight_noise=0.05, noise_scale=3)) == "additive x3"
    assert mlp_background.shipped_variant_for(HWAConfig(pcm_noise=1.0, noise_scale=1.1)) is None
    assert mlp_background.shipped_variant_for(HWAConfig(pcm_noise=1.0, noise_scale=3.25)) is None
    scales = np.arange(1, 13) * mlp.HWA_SCALE_STEP
    for kind, config in mlp.HWA_NOISES.items():
        for scale in scales:
            name = mlp_background.shipped_variant_for(dataclasses.replace(config, noise_scale=scale))
            assert name == ("hwa" if (kind, scale) == ("additive", 1.0) else f"{kind} x{scale:g}")


def test_every_shipped_network_is_in_the_file_and_a_bad_name_is_refused():
    d = digits.load_digits()
    with np.load(digits.MLP_FILE) as f:
        names = {n.rsplit("_", 1)[0] for n in f.files if not n.endswith("_test_accuracy")}
        quoted = {name: float(f[f"{name}_test_accuracy"]) for name in mlp.SHIPPED_NETWORKS}
    assert names == set(mlp.SHIPPED_NETWORKS) and len(names) == 2 + 3 * 12 - 1
    for name in mlp.SHIPPED_NETWORKS:
        net = mlp.load_mlp(name)
        assert [w.shape for w in net.W] == [(64, 32), (32, 10)]
        assert net.accuracy(d.X_test, d.y_test) == quoted[name] > 0.9
    with pytest.raises(ValueError, match="variant must be one of .*got 'PCM-like x1.1'"):
        mlp.load_mlp("PCM-like x1.1")


@pytest.mark.parametrize("name", ["additive x2.5", "multiplicative x0.25", "PCM-like x3"])
def test_a_scaled_shipped_network_is_the_one_its_training_gives(data, name):
    config = mlp.SHIPPED_NETWORKS[name]
    trained = mlp.train_mlp(data.X_train, data.y_train, seed=0, config=config)
    shipped = mlp.load_mlp(name)
    for a, b in zip(trained.W + trained.b, shipped.W + shipped.b):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)  # BLAS may differ from machine to machine


def test_network_training_steps_to_exactly_train_mlps_network(data):
    config = HWAConfig(weight_noise=0.03, multiplicative_noise=0.05, pcm_noise=1.0, clip=2.5, quantize_levels=31)
    expected = mlp.train_mlp(data.X_train, data.y_train, epochs=EPOCHS, seed=2, config=config)
    tr = mlp_background.NetworkTraining(config, seed=2, epochs=EPOCHS, digits=data)
    assert tr.progress == 0.0 and tr.epoch == 0 and not tr.done and tr.test_accuracy is None
    with pytest.raises(RuntimeError, match="not done"):
        tr.result()
    seen = [tr.progress]
    while not tr.done:
        assert tr.step(max_seconds=0.0) == 1  # a zero budget still trains one epoch
        seen.append(tr.progress)
    assert seen == [0.0, 1 / 3, 2 / 3, 1.0]
    assert tr.step() == 0 and tr.epoch == EPOCHS
    net = tr.result()
    for x, y in zip(_weights(net), _weights(expected)):
        np.testing.assert_array_equal(x, y)
    assert tr.test_accuracy == expected.accuracy(data.X_test, data.y_test)
    assert mlp_background.NetworkTraining(config, seed=2, epochs=EPOCHS, digits=data).run_to_end() is not None


def test_progress_read_from_another_thread_rises_monotonically_to_one(data):
    tr = mlp_background.NetworkTraining(HWAConfig(pcm_noise=1.0), seed=0, epochs=8, digits=data)
    worker = threading.Thread(target=tr.run_to_end)
    seen = []
    worker.start()
    while worker.is_alive():
        seen.append(tr.progress)
        time.sleep(0.002)
    worker.join()
    seen.append(tr.progress)
    assert seen[-1] == 1.0 and tr.done
    assert all(0.0 <= a <= b <= 1.0 for a, b in zip(seen, seen[1:]))
    expected = mlp.train_mlp(data.X_train, data.y_train, epochs=8, seed=0, pcm_noise=1.0)
    for x, y in zip(_weights(tr.result()), _weights(expected)):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("config", [HWAConfig(multiplicative_noise=0.1), HWAConfig(pcm_noise=1.0)])
def test_sixty_epochs_with_noise_still_learn_the_digits(data, config):
    """Measured (seed 0, 60 epochs, 359 test images): 97.21 % with multiplicative noise 0.1 and
    96.94 % with the hardware's PCM programming noise, against 97.21 % plain; one image is 0.28 %."""
    tr = mlp_background.NetworkTraining(config, seed=0, epochs=60, digits=data)
    tr.run_to_end()
    print(f"\n{config}: test accuracy {tr.test_accuracy:.4f} in {tr.seconds:.2f} s")
    # No loss beyond the test set's own sampling interval: 1.96 binomial standard errors of the
    # shipped plain network's accuracy over the 359 test images (about 1.7 points at 97 %).
    shipped = mlp.load_mlp("plain").accuracy(data.X_test, data.y_test)
    half_width = 1.96 * np.sqrt(shipped * (1.0 - shipped) / data.y_test.size)
    assert shipped > 0.97
    assert tr.test_accuracy > shipped - half_width
