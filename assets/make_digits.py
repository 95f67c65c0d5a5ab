"""Regenerate `assets/digits.npz`: the 8 x 8 handwritten digits (1,797 images, UCI; shipped as a
data file with scikit-learn, read here at build time only) with a fixed, stratified split.

    pip install scikit-learn && python assets/make_digits.py

Contents: ``images`` (1797, 64) uint8 in 0..16 (pixel counts of the 4 x 4 blocks of the 32 x 32
bitmaps), ``labels`` (1797,) uint8, ``train_index`` and ``test_index`` (int16): a stratified split
with 20 % of each class (rounded) in the test set, classes shuffled with NumPy's PCG64 from seed 0.
The arrays' SHA-256 is `explorer.models.digits.DIGITS_SHA256`; the same scikit-learn data gives the
same file.
"""

import pathlib

import numpy as np

TEST_SHARE = 0.2
SPLIT_SEED = 0
OUT = pathlib.Path(__file__).with_name("digits.npz")


def stratified_split(labels, share, seed):
    """Indices (train, test): `share` of each class, rounded, in the test set."""
    rand = np.random.default_rng(seed)
    train, test = [], []
    for c in np.unique(labels):
        idx = rand.permutation(np.flatnonzero(labels == c))
        n_test = int(round(share * idx.size))
        test.append(idx[:n_test])
        train.append(idx[n_test:])
    return np.sort(np.concatenate(train)).astype(np.int16), np.sort(np.concatenate(test)).astype(np.int16)


def main():
    from sklearn.datasets import load_digits

    d = load_digits()
    images = d.data.astype(np.uint8)
    labels = d.target.astype(np.uint8)
    train, test = stratified_split(labels, TEST_SHARE, SPLIT_SEED)
    np.savez_compressed(OUT, images=images, labels=labels, train_index=train, test_index=test)
    print(f"wrote {OUT}: {len(images)} images, {len(train)} train, {len(test)} test")


if __name__ == "__main__":
    main()
