"""A fixed, seeded image feature extractor that stands in for cs231n's VGG-16 fc7 + PCA.

It sees only pixels: two layers of random convolution filters (5x5 over RGB, then 3x3),
each followed by a ReLU, with a 2x2 max-pool after the first. Pooling then keeps both
what and where: the second layer is average- and max-pooled over the whole image and over
a 2x2 grid (shape evidence, little position), the first layer over a 4x4 grid (where each
colour is). PCA fitted on the training images takes the result to 512 dimensions, scaled
to unit average variance. The filters come from a Generator seeded once; nothing is
trained. These are NOT VGG features.
"""

import h5py
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

DESCRIPTION = ("random-convolution features of rendered pixels (conv5x5x32, relu, maxpool2, "
               "conv3x3x128, relu, avg+max pools over 1x1 and 2x2 grids of layer 2 and a "
               "4x4 grid of layer 1, PCA); NOT VGG-16 fc7 features")


def _conv_relu(images, filters, bias):
    """Valid convolution of (N, H, W, C) by (k, k, C, F) filters, then ReLU."""
    k = filters.shape[0]
    windows = sliding_window_view(images, (k, k), axis=(1, 2))  # (N, H', W', C, k, k)
    n, h, w = windows.shape[:3]
    columns = windows.transpose(0, 1, 2, 4, 5, 3).reshape(n * h * w, -1)
    out = columns @ filters.reshape(-1, filters.shape[-1]) + bias
    return np.maximum(out, 0).reshape(n, h, w, -1)


def _max_pool2(x):
    n, h, w, c = x.shape
    x = x[:, :h // 2 * 2, :w // 2 * 2]
    return x.reshape(n, h // 2, 2, w // 2, 2, c).max(axis=(2, 4))


def _grid_pool(x, cells):
    n, h, w, c = x.shape
    rows = np.array_split(np.arange(h), cells)
    cols = np.array_split(np.arange(w), cells)
    pooled = []
    for r in rows:
        for q in cols:
            region = x[:, r[0]:r[-1] + 1, q[0]:q[-1] + 1]
            pooled += [region.mean(axis=(1, 2)), region.max(axis=(1, 2))]
    return np.concatenate(pooled, axis=1)


class RandomConvFeatures:
    def __init__(self, seed=0, filters1=32, filters2=128, dim=512, grids2=(1, 2), grids1=(4,)):
        rng = np.random.default_rng(seed)
        self.seed, self.dim = seed, dim
        self.grids2, self.grids1 = tuple(grids2), tuple(grids1)
        w1 = rng.standard_normal((5, 5, 3, filters1))
        w1 -= w1.mean(axis=(0, 1, 2))  # respond to edges and colour contrasts, not brightness
        self.w1 = (w1 / np.sqrt(5 * 5 * 3)).astype(np.float32)
        self.b1 = (rng.standard_normal(filters1) * 0.1).astype(np.float32)
        self.w2 = (rng.standard_normal((3, 3, filters1, filters2)) / np.sqrt(9 * filters1)
                   ).astype(np.float32)
        self.b2 = np.zeros(filters2, np.float32)
        self.mean = self.components = self.scale = None

    def raw(self, images, chunk=128):
        """(N, H, W, 3) uint8 images -> pooled random-conv responses: average and max over
        each cell of each grid (``grids2`` for layer 2, ``grids1`` for layer 1)."""
        out = []
        for i in range(0, len(images), chunk):
            x = images[i:i + chunk].astype(np.float32) / 255.0 - 0.5
            layer1 = _max_pool2(_conv_relu(x, self.w1, self.b1))
            layer2 = _conv_relu(layer1, self.w2, self.b2)
            out.append(np.concatenate([_grid_pool(layer2, c) for c in self.grids2]
                                      + [_grid_pool(layer1, c) for c in self.grids1], axis=1))
        return np.concatenate(out).astype(np.float32)

    def fit(self, raw_train):
        """PCA on the training images' raw features."""
        self.mean = raw_train.mean(axis=0)
        _, singular, vt = np.linalg.svd(raw_train - self.mean, full_matrices=False)
        dim = min(self.dim, vt.shape[0])
        self.components = vt[:dim].astype(np.float32)
        variance = singular[:dim] ** 2 / max(1, len(raw_train) - 1)
        self.scale = np.full(dim, np.sqrt(variance.mean()) + 1e-6, np.float32)
        return self

    def transform(self, raw):
        if self.components is None:
            raise RuntimeError("RandomConvFeatures: call fit() on training images first")
        return ((raw - self.mean) @ self.components.T / self.scale).astype(np.float32)

    def __call__(self, images):
        return self.transform(self.raw(images))

    def save(self, path):
        with h5py.File(path, "w") as f:
            f.attrs["description"] = DESCRIPTION
            f.attrs["seed"] = self.seed
            f.attrs["grids2"], f.attrs["grids1"] = self.grids2, self.grids1
            for name in ("w1", "b1", "w2", "b2", "mean", "components", "scale"):
                f.create_dataset(name, data=getattr(self, name))

    @classmethod
    def load(cls, path):
        with h5py.File(path, "r") as f:
            extractor = cls.__new__(cls)
            extractor.seed = int(f.attrs["seed"])
            extractor.grids2 = tuple(int(c) for c in f.attrs.get("grids2", (1, 2)))
            extractor.grids1 = tuple(int(c) for c in f.attrs.get("grids1", (4,)))
            for name in ("w1", "b1", "w2", "b2", "mean", "components", "scale"):
                setattr(extractor, name, np.asarray(f[name]))
            extractor.dim = extractor.components.shape[0]
        return extractor
