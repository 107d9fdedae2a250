"""A fixed, seeded image feature extractor that stands in for cs231n's VGG-16 fc7 + PCA.

It sees only pixels: two layers of random convolution filters (5x5 over RGB, then 3x3),
each followed by a ReLU, with a 2x2 max-pool after the first. Pooling then keeps both
what and where: the second layer is average- and max-pooled over the whole image and over
a 2x2 grid (shape evidence, little position), the first layer over a 4x4 grid (where each
colour is). PCA fitted on the training images takes the result to 512 dimensions, scaled
to unit average variance. The filters come from a Generator seeded once; nothing is
trained. These are NOT VGG features.

The grid (spatial features, for attention): the same two layers kept per region instead
of pooled over the whole image. The second layer's 28x28 map and the first layer's 30x30
map are each cut into a 4x4 grid (``grid_cells``); per cell, the average and maximum of
both layers (128 + 128 + 32 + 32 = 320 numbers) are reduced by a second PCA, fitted on
the cells of the training images and shared by every cell, to ``grid_dim`` = 64. So each
image gives a (P, D) = (16, 64) array, row-major over the grid (cell p = row * 4 + col,
row 0 at the top), each cell covering about 16x16 pixels of the 64x64 image.
"""

import os

import h5py
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from minigraph.errors import NotReadyError

DESCRIPTION = ("random-convolution features of rendered pixels (conv5x5x32, relu, maxpool2, "
               "conv3x3x128, relu, avg+max pools over 1x1 and 2x2 grids of layer 2 and a "
               "4x4 grid of layer 1, PCA); NOT VGG-16 fc7 features")
GRID_DESCRIPTION = ("spatial random-convolution features: a 4x4 grid of cells (P = 16, "
                    "row-major, row 0 at the top), per cell the average and max of layer 2 "
                    "(conv3x3x128) and layer 1 (conv5x5x32) over the cell, reduced by PCA "
                    "shared by all cells to D = 64; (images, P, D) float32; NOT VGG features")
GRID_ARRAYS = ("grid_mean", "grid_components", "grid_scale")
# The extractor's arrays are filters and PCA bases: about 3 MB for the default sizes.
EXTRACTOR_BYTES = 256 << 20


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


def _cell_pool(x, cells):
    """(N, H, W, C) -> (N, cells * cells, 2C): average and max over each cell of a
    cells x cells grid, cells in row-major order."""
    n, h, w, c = x.shape
    rows = np.array_split(np.arange(h), cells)
    cols = np.array_split(np.arange(w), cells)
    out = []
    for r in rows:
        for q in cols:
            region = x[:, r[0]:r[-1] + 1, q[0]:q[-1] + 1]
            out.append(np.concatenate([region.mean(axis=(1, 2)), region.max(axis=(1, 2))],
                                      axis=1))
    return np.stack(out, axis=1)


def _pca(rows, dim, chunk=65536):
    """(mean, components (dim, K), scale) of rows (M, K): PCA scaled to unit average
    variance, from the K x K covariance summed over chunks of rows (M may be millions)."""
    mean = rows.mean(axis=0, dtype=np.float64)
    covariance = np.zeros((rows.shape[1], rows.shape[1]))
    for i in range(0, len(rows), chunk):
        centred = rows[i:i + chunk].astype(np.float64) - mean
        covariance += centred.T @ centred
    covariance /= max(1, len(rows) - 1)
    variance, vectors = np.linalg.eigh(covariance)
    order = np.argsort(variance)[::-1][:min(dim, len(variance))]
    scale = np.sqrt(np.clip(variance[order], 0, None).mean()) + 1e-6
    return (mean.astype(np.float32), vectors[:, order].T.astype(np.float32),
            np.full(len(order), scale, np.float32))


class RandomConvFeatures:
    def __init__(self, seed=0, filters1=32, filters2=128, dim=512, grids2=(1, 2), grids1=(4,),
                 grid_cells=4, grid_dim=64):
        rng = np.random.default_rng(seed)
        self.seed, self.dim = seed, dim
        self.grid_cells, self.grid_dim = grid_cells, grid_dim
        self.grids2, self.grids1 = tuple(grids2), tuple(grids1)
        w1 = rng.standard_normal((5, 5, 3, filters1))
        w1 -= w1.mean(axis=(0, 1, 2))  # respond to edges and colour contrasts, not brightness
        self.w1 = (w1 / np.sqrt(5 * 5 * 3)).astype(np.float32)
        self.b1 = (rng.standard_normal(filters1) * 0.1).astype(np.float32)
        self.w2 = (rng.standard_normal((3, 3, filters1, filters2)) / np.sqrt(9 * filters1)
                   ).astype(np.float32)
        self.b2 = np.zeros(filters2, np.float32)
        self.mean = self.components = self.scale = None
        self.grid_mean = self.grid_components = self.grid_scale = None

    def raw(self, images, chunk=128):
        """(N, H, W, 3) uint8 images -> pooled random-conv responses: average and max over
        each cell of each grid (``grids2`` for layer 2, ``grids1`` for layer 1)."""
        return self.raw_both(images, chunk)[0]

    def raw_both(self, images, chunk=128, progress=None):
        """(pooled, grid) raw responses of (N, H, W, 3) uint8 images from one pass of the
        convolutions: pooled as ``raw``, grid (N, P, 320) before its PCA. ``progress``: a
        bar title (a few minutes for 60,000 images), or None for no bar."""
        from tqdm.auto import tqdm

        pooled, grid = [], []
        starts = range(0, len(images), chunk)
        for i in tqdm(starts, desc=progress, unit="chunk", disable=progress is None,
                      bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} chunks of "
                      f"{chunk} images [{{elapsed}}<{{remaining}}]"):
            x = images[i:i + chunk].astype(np.float32) / 255.0 - 0.5
            layer1 = _max_pool2(_conv_relu(x, self.w1, self.b1))
            layer2 = _conv_relu(layer1, self.w2, self.b2)
            pooled.append(np.concatenate([_grid_pool(layer2, c) for c in self.grids2]
                                         + [_grid_pool(layer1, c) for c in self.grids1],
                                         axis=1))
            grid.append(np.concatenate([_cell_pool(layer2, self.grid_cells),
                                        _cell_pool(layer1, self.grid_cells)], axis=2))
        return (np.concatenate(pooled).astype(np.float32),
                np.concatenate(grid).astype(np.float32))

    def fit(self, raw_train):
        """PCA on the training images' raw features."""
        self.mean = raw_train.mean(axis=0)
        _, singular, vt = np.linalg.svd(raw_train - self.mean, full_matrices=False)
        dim = min(self.dim, vt.shape[0])
        self.components = vt[:dim].astype(np.float32)
        variance = singular[:dim] ** 2 / max(1, len(raw_train) - 1)
        self.scale = np.full(dim, np.sqrt(variance.mean()) + 1e-6, np.float32)
        return self

    def fit_grid(self, raw_grid_train):
        """PCA of the grid cells (every cell of every training image, one shared basis)."""
        cells = raw_grid_train.reshape(-1, raw_grid_train.shape[-1])
        self.grid_mean, self.grid_components, self.grid_scale = _pca(cells, self.grid_dim)
        return self

    def transform_grid(self, raw_grid):
        """Raw grid (N, P, 320) -> the grid features (N, P, D)."""
        if self.grid_components is None:
            raise NotReadyError("RandomConvFeatures: this extractor has no grid PCA (made "
                               "before grid features existed, or fit_grid() not called); "
                               "remake the set with `minigraph shapes`")
        return ((raw_grid - self.grid_mean) @ self.grid_components.T / self.grid_scale
                ).astype(np.float32)

    def grid(self, images):
        """(N, H, W, 3) uint8 images -> grid features (N, P, D), P = grid_cells ** 2."""
        return self.transform_grid(self.raw_both(images)[1])

    def transform(self, raw):
        if self.components is None:
            raise NotReadyError("RandomConvFeatures: call fit() on training images first")
        return ((raw - self.mean) @ self.components.T / self.scale).astype(np.float32)

    def __call__(self, images):
        return self.transform(self.raw(images))

    def save(self, path):
        from minigraph.checkpoint import writing_hdf5

        with writing_hdf5(path) as f:  # atomic: never half a file
            f.attrs["description"] = DESCRIPTION
            f.attrs["seed"] = self.seed
            f.attrs["grids2"], f.attrs["grids1"] = self.grids2, self.grids1
            f.attrs["grid_cells"], f.attrs["grid_description"] = self.grid_cells, GRID_DESCRIPTION
            for name in ("w1", "b1", "w2", "b2", "mean", "components", "scale") + GRID_ARRAYS:
                if getattr(self, name) is not None:
                    f.create_dataset(name, data=getattr(self, name))

    @classmethod
    def load(cls, path):
        """An extractor saved by ``save``, read as an untrusted file (minigraph.bounded_read:
        checksum, no links, a budget on objects and sizes, checked before any array)."""
        from minigraph import bounded_read
        from minigraph.errors import DataError

        path = os.fspath(path)
        budget = bounded_read.ReadBudget(
            bounded_read.limit_from_environment(EXTRACTOR_BYTES), error=DataError)
        bounded_read.check_seal(path, budget, DataError, "extractor file", warn_unsealed=False)
        try:
            with h5py.File(path, "r") as f:
                bounded_read.survey(f, path, budget, DataError)
                return cls._read(f)
        except (OSError, KeyError, TypeError, ValueError, RuntimeError) as exc:
            if isinstance(exc, DataError):
                raise
            raise DataError(f"cannot read the extractor file {path}: {exc}") from None

    @classmethod
    def _read(cls, f):
        extractor = cls.__new__(cls)
        extractor.seed = int(f.attrs["seed"])
        extractor.grids2 = tuple(int(c) for c in f.attrs.get("grids2", (1, 2)))
        extractor.grids1 = tuple(int(c) for c in f.attrs.get("grids1", (4,)))
        for name in ("w1", "b1", "w2", "b2", "mean", "components", "scale"):
            setattr(extractor, name, np.asarray(f[name]))
        extractor.dim = extractor.components.shape[0]
        extractor.grid_cells = int(f.attrs.get("grid_cells", 4))
        for name in GRID_ARRAYS:  # absent in extractors saved before the grid existed
            setattr(extractor, name, np.asarray(f[name]) if name in f else None)
        extractor.grid_dim = (None if extractor.grid_components is None
                              else extractor.grid_components.shape[0])
        return extractor
