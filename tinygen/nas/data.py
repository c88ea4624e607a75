"""Training data for `tinygen search`: an ImageFolder directory or an .npz file, split once.

Images are what the deployed model sees from `tinygen validate --input photo.jpg`: resized
bilinearly to the input resolution (the whole image, aspect ratio not kept), RGB for an
ImageFolder, pixels / 255 in [0, 1]. The split into training and validation images is
stratified by class and fixed by the seed.

- ImageFolder: DIR/<class>/<image> (.jpg .jpeg .png .bmp .gif .ppm .pgm .webp), one folder per
  class, class names in sorted order; at least two classes, each with at least one image.
- .npz: x_train (N, H, W[, C]) uint8 in [0, 255] or float in [0, 1], y_train (N,) integer labels
  0..K-1; optional x_val / y_val (otherwise the split is made from x_train); optional
  class_names.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tinygen.errors import TinygenError
from tinygen.preprocess import IMAGE_SUFFIXES, read_image



@dataclass
class Dataset:
    x_train: np.ndarray  # float32 (N, r, r, C) in [0, 1]
    y_train: np.ndarray  # int32 (N,)
    x_val: np.ndarray
    y_val: np.ndarray
    class_names: list[str]
    source: str

    @property
    def classes(self) -> int:
        return len(self.class_names)

    @property
    def channels(self) -> int:
        return int(self.x_train.shape[-1])

    def summary(self) -> dict:
        count = lambda y: {name: int((y == i).sum()) for i, name in enumerate(self.class_names)}  # noqa: E731
        return {"source": self.source, "classes": self.class_names, "resolution": int(self.x_train.shape[1]),
                "channels": self.channels, "train_images": int(len(self.y_train)), "val_images": int(len(self.y_val)),
                "train_per_class": count(self.y_train), "val_per_class": count(self.y_val),
                "pixels": "RGB (or the .npz channels), resized bilinearly to the input, / 255 -> [0, 1]"}


@dataclass
class Source:
    """The images before resizing (decoded lazily) and the split; `at(resolution)` resizes."""
    path: Path
    class_names: list[str]
    labels: np.ndarray
    train_index: np.ndarray
    val_index: np.ndarray
    channels: int
    _files: list[Path] | None = None
    _arrays: np.ndarray | None = None  # .npz images, all of them (train then given val)
    _cache: dict = field(default_factory=dict)

    def _image(self, i: int, resolution: int) -> np.ndarray:
        from PIL import Image

        if self._files is not None:
            return np.asarray(read_image(self._files[i], resolution, resolution), np.float32) / 255.0
        x = self._arrays[i]
        if x.shape[0] == resolution and x.shape[1] == resolution:
            return x
        channels = x.shape[2]
        planes = [np.asarray(Image.fromarray(x[:, :, c]).resize((resolution, resolution), Image.BILINEAR))
                  for c in range(channels)]
        return np.stack(planes, axis=-1).astype(np.float32)

    def at(self, resolution: int) -> Dataset:
        if resolution not in self._cache:
            images = np.zeros((len(self.labels), resolution, resolution, self.channels), np.float32)
            for i in range(len(self.labels)):
                images[i] = self._image(i, resolution).reshape(resolution, resolution, self.channels)
            self._cache[resolution] = images
        images = self._cache[resolution]
        return Dataset(images[self.train_index], self.labels[self.train_index], images[self.val_index],
                       self.labels[self.val_index], self.class_names, str(self.path))


def stratified_split(labels: np.ndarray, val_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Per class, a seeded shuffle; round(fraction * n) images (at least one when the class has
    two or more) go to validation."""
    rng = np.random.default_rng(seed)
    train, val = [], []
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        idx = idx[rng.permutation(len(idx))]
        n_val = int(round(val_fraction * len(idx)))
        if len(idx) >= 2:
            n_val = min(max(n_val, 1), len(idx) - 1)
        else:
            n_val = 0
        val.extend(idx[:n_val].tolist())
        train.extend(idx[n_val:].tolist())
    return np.array(sorted(train), np.int64), np.array(sorted(val), np.int64)


def open_source(path: str | Path, seed: int = 0, val_fraction: float = 0.2) -> Source:
    path = Path(path)
    if not path.exists():
        raise TinygenError(f"{path}: no such data directory or .npz file")
    if path.is_dir():
        return _image_folder(path, seed, val_fraction)
    if path.suffix.lower() == ".npz":
        return _npz(path, seed, val_fraction)
    raise TinygenError(f"{path}: data must be an ImageFolder directory (one folder per class) or an .npz file")


def _image_folder(path: Path, seed: int, val_fraction: float) -> Source:
    folders = sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith("."))
    if len(folders) < 2:
        raise TinygenError(f"{path}: an ImageFolder needs at least two class folders (found {len(folders)})")
    files, labels = [], []
    for c, folder in enumerate(folders):
        images = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
        if not images:
            raise TinygenError(f"{folder}: class folder '{folder.name}' has no images "
                               f"({', '.join(sorted(IMAGE_SUFFIXES))})")
        files.extend(images)
        labels.extend([c] * len(images))
    labels_array = np.array(labels, np.int32)
    train, val = stratified_split(labels_array, val_fraction, seed)
    return Source(path, [f.name for f in folders], labels_array, train, val, 3, _files=files)


def _npz(path: Path, seed: int, val_fraction: float) -> Source:
    try:
        data = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise TinygenError(f"{path}: not a readable .npz file ({e})") from None
    with data:
        if "x_train" not in data or "y_train" not in data:
            raise TinygenError(f"{path}: an .npz needs x_train and y_train (and optionally x_val, y_val); "
                               f"it has {', '.join(data.files) or 'nothing'}")
        parts = [(data["x_train"], data["y_train"])]
        if ("x_val" in data) != ("y_val" in data):
            raise TinygenError(f"{path}: x_val and y_val go together")
        if "x_val" in data:
            parts.append((data["x_val"], data["y_val"]))
        names = [str(n) for n in data["class_names"]] if "class_names" in data else None
    xs, ys = [], []
    for x, y in parts:
        x = np.asarray(x)
        if x.ndim == 3:
            x = x[..., None]
        if x.ndim != 4 or x.shape[-1] not in (1, 3) or x.shape[1] < 8 or x.shape[2] < 8:
            raise TinygenError(f"{path}: images must be (N, H, W) or (N, H, W, 1 or 3), got {x.shape}")
        y = np.asarray(y).reshape(-1)
        if len(y) != len(x):
            raise TinygenError(f"{path}: {len(x)} images but {len(y)} labels")
        if not np.issubdtype(y.dtype, np.integer):
            raise TinygenError(f"{path}: labels must be integers 0..K-1")
        if x.dtype == np.uint8 or float(np.max(x, initial=0)) > 1.5:
            x = x.astype(np.float32) / 255.0
        xs.append(np.clip(x.astype(np.float32), 0.0, 1.0))
        ys.append(y.astype(np.int32))
    if xs[0].shape[1:] != xs[-1].shape[1:]:
        raise TinygenError(f"{path}: x_train and x_val have different image shapes")
    images, labels = np.concatenate(xs), np.concatenate(ys)
    if len(labels) == 0:
        raise TinygenError(f"{path}: no images")
    if labels.min() < 0:
        raise TinygenError(f"{path}: labels must be integers 0..K-1")
    classes = int(labels.max()) + 1
    if classes < 2:
        raise TinygenError(f"{path}: at least two classes are needed")
    missing = [c for c in range(classes) if not (ys[0] == c).any()]
    if missing:
        raise TinygenError(f"{path}: class {missing[0]} has no training images")
    if names is None or len(names) != classes:
        names = [str(c) for c in range(classes)]
    if len(parts) == 2:
        train = np.arange(len(ys[0]))
        val = np.arange(len(ys[0]), len(labels))
    else:
        train, val = stratified_split(labels, val_fraction, seed)
    return Source(path, names, labels, train, val, images.shape[-1], _arrays=images)
