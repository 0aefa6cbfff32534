"""Image datasets through torchvision: MNIST, Fashion-MNIST and the bundled 5,000-digit sample.

All three go through `torchvision.datasets` (the same IDX reader), then become one uint8 tensor
each for train and test, read once per process. `load_image_data` splits a seeded validation
set from the training set and normalises with the training part's statistics.
"""
from __future__ import annotations

import gzip
import os
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

from typing import TYPE_CHECKING

from zoo.registry import DataShape, SpecError

if TYPE_CHECKING:   # torch loads when images are read, so that the catalogue below is cheap to import
    import torch

    from zoo.data.base import TensorData

BUNDLED_ROOT = Path(__file__).resolve().parent / "bundled"
IDX_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
# Debian's package dataset-fashion-mnist installs the official files here.
SYSTEM_COPIES = {"FashionMNIST": Path("/usr/share/datasets/fashion-mnist")}
SYSTEM_PACKAGES = {"FashionMNIST": "dataset-fashion-mnist"}   # said where a download fails (README says it)

DIGITS = [str(i) for i in range(10)]
FASHION = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


@dataclass(frozen=True)
class ImageDataset:
    name: str
    folder: str          # torchvision's class name, which is also its folder under the root
    train_size: int
    test_size: int
    classes: tuple
    bundled: bool = False

    def root(self, data_dir: str | os.PathLike | None = None) -> Path:
        return BUNDLED_ROOT if self.bundled else Path(data_dir or default_data_dir())

    def raw_folder(self, data_dir=None) -> Path:
        return self.root(data_dir) / self.folder / "raw"


IMAGE_DATASETS = {
    "mnist-sample": ImageDataset("mnist-sample", "MNIST", 4000, 1000, tuple(DIGITS), bundled=True),
    "mnist": ImageDataset("mnist", "MNIST", 60000, 10000, tuple(DIGITS)),
    "fashion-mnist": ImageDataset("fashion-mnist", "FashionMNIST", 60000, 10000, tuple(FASHION)),
}


def reads_data_dir(data) -> bool:
    """Whether a spec's `data` is read from a datasets' folder (`--data-dir`): a torchvision dataset, not the bundled
    sample nor a file. What a run keeps of the folder it was given (zoo/engine.py) is that of a dataset read from it:
    a bundled sample's run had printed a reproduce command with a --data-dir nothing reads (a review)."""
    dataset = IMAGE_DATASETS.get(str(data))
    return dataset is not None and not dataset.bundled


def default_data_dir() -> Path:
    """PLAYGROUND_DATA, else a cache folder in the user's home."""
    from zoo.server_settings import value

    env = value("PLAYGROUND_DATA")
    return Path(env) if env else Path.home() / ".cache" / "torch-playground"


def _prepare_raw(dataset: ImageDataset, data_dir) -> bool:
    """Make the four un-gzipped IDX files exist in raw/ if we can do it offline; say if they do."""
    raw = dataset.raw_folder(data_dir)
    if all((raw / f).exists() for f in IDX_FILES):
        return True
    if dataset.bundled:
        return False
    sources = [raw, SYSTEM_COPIES.get(dataset.folder)]
    for source in sources:
        if source is None or not all((source / f).exists() or (source / f"{f}.gz").exists() for f in IDX_FILES):
            continue
        raw.mkdir(parents=True, exist_ok=True)
        for f in IDX_FILES:
            if (raw / f).exists():
                continue
            tmp = raw / f"{f}.tmp{os.getpid()}"
            if (source / f).exists():
                shutil.copyfile(source / f, tmp)
            else:
                with gzip.open(source / f"{f}.gz", "rb") as src, open(tmp, "wb") as dst:
                    shutil.copyfileobj(src, dst)
            os.replace(tmp, raw / f)
        return True
    return False


def is_available(name: str, data_dir=None) -> bool:
    """True when the dataset can be read without a network."""
    dataset = IMAGE_DATASETS[name]
    raw = dataset.raw_folder(data_dir)
    if all((raw / f).exists() or (raw / f"{f}.gz").exists() for f in IDX_FILES):
        return True
    system = SYSTEM_COPIES.get(dataset.folder)
    return bool(system and all((system / f"{f}.gz").exists() for f in IDX_FILES))


_cache: dict[tuple, tuple] = {}
_cache_lock = threading.Lock()


def read_raw(name: str, data_dir=None) -> "tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]":
    """(train images uint8 N x 28 x 28, train labels, test images, test labels), read once per process."""
    import torchvision

    if name not in IMAGE_DATASETS:
        raise SpecError(f"unknown image dataset {name!r}; use one of {', '.join(IMAGE_DATASETS)}.")
    dataset = IMAGE_DATASETS[name]
    root = dataset.root(data_dir)
    key = (name, str(root))
    with _cache_lock:
        if key in _cache:
            return _cache[key]
        cls = getattr(torchvision.datasets, dataset.folder)
        have = _prepare_raw(dataset, data_dir)
        try:
            if have:
                train, test = cls(root, train=True, download=False), cls(root, train=False, download=False)
            else:
                root.mkdir(parents=True, exist_ok=True)
                train, test = cls(root, train=True, download=True), cls(root, train=False, download=True)
        except Exception as exc:  # no network, a proxy error, a truncated file...
            reason = download_failure(exc)
            from zoo import demo

            if demo.demo_mode():   # a visitor can neither see the server's paths nor put files there (a demo check)
                raise SpecError(f"{name} is not on this demo's server and could not be downloaded ({reason}); "
                                "use mnist-sample.") from None
            raise SpecError(
                f"{name} is not in {dataset.raw_folder(data_dir)} and could not be downloaded ({reason}); "
                f"put the four IDX files ({', '.join(IDX_FILES)}, gzipped or not) there, set --data-dir or "
                f"PLAYGROUND_DATA to a folder that has them, "
                + (f"install Debian's {SYSTEM_PACKAGES[dataset.folder]} (read from {SYSTEM_COPIES[dataset.folder]}), "
                   if dataset.folder in SYSTEM_PACKAGES else "") + "or use mnist-sample."
            ) from None
        _cache[key] = (train.data, train.targets, test.data, test.targets)
        return _cache[key]


def download_failure(exc: Exception) -> str:
    """Why a download failed, in one line: torchvision's message is "Error downloading train-images-idx3-ubyte.gz:"
    with each mirror tried and its error on the lines after, and its first line alone had ended the sentence at
    its colon (a learner's check); the cause is the last line (the last mirror's error)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    if not lines:
        return type(exc).__name__
    if lines[0].endswith(":") and len(lines) > 1:
        return f"{lines[0]} {lines[-1]}"
    return lines[0]


def shape_of(spec) -> DataShape:
    """What a model for this dataset takes and gives, without reading it: every set here is 1x28x28."""
    classes = IMAGE_DATASETS[spec.data].classes
    return DataShape(task="image", channels=1, height=28, width=28, num_classes=len(classes))


def load_for_spec(spec, data_dir=None) -> "TensorData":
    """The task table's loader for images (zoo/registry.py)."""
    return load_image_data(spec.data, data_dir=data_dir, val_fraction=spec.val_fraction, seed=spec.seed,
                           limit_train=spec.limit_train)


def load_image_data(name: str, *, data_dir=None, val_fraction: float = 0.1, seed: int = 0,
                    limit_train: int = 0) -> "TensorData":
    """Split, normalise (training statistics) and return float tensors on the CPU."""
    import torch

    from zoo.data.base import TensorData

    train_x, train_y, test_x, test_y = read_raw(name, data_dir)
    generator = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(train_x), generator=generator)
    n_val = max(1, int(round(len(train_x) * val_fraction)))
    val_idx, train_idx = order[:n_val], order[n_val:]
    if limit_train:
        train_idx = train_idx[:limit_train]

    train_images = train_x[train_idx].float().div_(255)
    mean, std = train_images.mean().item(), train_images.std().item()

    def prepare(images: "torch.Tensor") -> "torch.Tensor":
        return images.float().div_(255).sub_(mean).div_(std).unsqueeze(1)

    dataset = IMAGE_DATASETS[name]
    return TensorData(
        task="image",
        shape=DataShape(task="image", channels=1, height=train_x.shape[1], width=train_x.shape[2],
                        num_classes=len(dataset.classes)),
        x_train=train_images.sub_(mean).div_(std).unsqueeze(1), y_train=train_y[train_idx].long(),
        x_val=prepare(train_x[val_idx]), y_val=train_y[val_idx].long(),
        x_test=prepare(test_x), y_test=test_y.long(),
        name=name, class_names=list(dataset.classes),
        extra={"mean": mean, "std": std},
    )
