"""Class-uniform sampling of the codebase of the DeFT paper's baselines (shachoi/RobustNet
``datasets/uniform.py``; ``--class_uniform_pct 0.5 --class_uniform_tile 1024`` in its scripts).

Two registered parts, as mmengine separates data from sampling order:

- :class:`ClassUniformDataset` wraps a segmentation dataset; its indices ``[0, N)`` are the
  images, ``[N, N + M)`` the M class centroids (an image, a class, a point of that class);
  a centroid sample carries ``results['centroid']`` for :class:`CentroidRandomCrop`. Like
  mmdet's ``MultiImageMixDataset`` it holds the pipeline itself (the wrapped dataset has none),
  so ``train_dataloader.dataset.pipeline`` is where it is in any mmseg config.
- :class:`ClassUniformSampler` draws each epoch of N samples as RobustNet's ``build_epoch``:
  ``int(N * pct / C)`` centroids of every class that has any, the rest random images.
"""
import itertools
import json
import multiprocessing
import os
import os.path as osp
from typing import Dict, Iterator, List, Optional, Sequence, Tuple, Union

import mmcv
import numpy as np
import torch
from mmengine.dataset import BaseDataset, Compose
from mmengine.dist import get_dist_info, sync_random_seed
from mmengine.logging import print_log
from mmseg.registry import DATA_SAMPLERS, DATASETS
from mmseg.utils import ConfigType
from torch.utils.data import Sampler

from .dg_base import prepare_checked

#: one centroid: (dataset index of the image, x, y) in the label's native pixels
Centroid = Tuple[int, int, int]


def tile_centroids(label: np.ndarray, num_classes: int,
                   tile_size: int) -> Dict[int, List[Tuple[int, int]]]:
    """``{class: [(x, y), ...]}``: for every ``tile_size`` tile of ``label`` ``(H, W)`` (only whole
    tiles, from the top-left: ``H // tile_size`` x ``W // tile_size`` of them, as RobustNet's
    ``calc_tile_locations``) and every class present in it, the class's centre of mass in the tile,
    truncated to int, in image coordinates (RobustNet ``class_centroids_image``)."""
    out: Dict[int, List[Tuple[int, int]]] = {}
    coords = np.arange(tile_size, dtype=np.int64)
    for ty in range(label.shape[0] // tile_size):
        for tx in range(label.shape[1] // tile_size):
            y0, x0 = ty * tile_size, tx * tile_size
            patch = label[y0:y0 + tile_size, x0:x0 + tile_size].astype(np.int64)
            # pixels of each class per column and per row (two integer histograms): the class's
            # pixel count and coordinate sums, which scipy's center_of_mass divides
            size = max(int(patch.max()) + 1, num_classes) * tile_size
            per_col = np.bincount(
                (patch * tile_size + coords[None, :]).ravel(),
                minlength=size).reshape(-1, tile_size)
            per_row = np.bincount(
                (patch * tile_size + coords[:, None]).ravel(),
                minlength=size).reshape(-1, tile_size)
            count = per_col[:num_classes].sum(1)
            sum_x, sum_y = per_col[:num_classes] @ coords, per_row[:num_classes] @ coords
            for c in np.flatnonzero(count):
                out.setdefault(int(c), []).append(
                    (int(sum_x[c] / count[c]) + x0, int(sum_y[c] / count[c]) + y0))
    return out


def _train_ids(info: dict) -> np.ndarray:
    """The label of ``info`` as the training ids mmseg's ``LoadAnnotations`` would give."""
    label = mmcv.imread(info['seg_map_path'], flag='unchanged', backend='pillow')
    label = label[..., 0] if label.ndim == 3 else label
    if info.get('reduce_zero_label'):
        label = label.astype(np.int64)
        label[label == 0] = 256
        label = (label - 1).clip(max=255)
    if info.get('label_map'):
        mapped = label.copy()
        for old, new in info['label_map'].items():
            mapped[label == old] = new
        label = mapped
    return label


def _image_centroids(task: Tuple[dict, int, int]) -> Dict[int, List[Tuple[int, int]]]:
    """:func:`tile_centroids` of one image's label (``(data_info, num_classes, tile_size)``)."""
    info, num_classes, tile_size = task
    return tile_centroids(_train_ids(info), num_classes, tile_size)


@DATASETS.register_module()
class ClassUniformDataset:
    """A segmentation dataset plus its class centroids (see the module docstring).

    Args:
        dataset (dict | BaseDataset): the wrapped dataset (its own pipeline is not used).
        pipeline (list[dict]): the train pipeline, cropping with :class:`CentroidRandomCrop`.
        tile_size (int): tile side for the centroids (RobustNet ``class_uniform_tile``, 1024).
        centroid_file (str, optional): JSON cache of the centroids. Read when it exists (and made
            for the same dataset: its image count, tile size and classes must match), else
            computed (every label is read once) and written there. RobustNet caches likewise
            (``gtav_tile1024_cv0_train.json``).
        num_workers (int): processes that compute the centroids (RobustNet: a pool of 32).
    """

    def __init__(self,
                 dataset: Union[ConfigType, BaseDataset],
                 pipeline: List[ConfigType],
                 tile_size: int = 1024,
                 centroid_file: Optional[str] = None,
                 num_workers: int = 8) -> None:
        self.dataset = DATASETS.build(dataset) if isinstance(dataset, dict) else dataset
        self.pipeline = Compose(pipeline)
        self.metainfo = self.dataset.metainfo
        self.num_classes = len(self.metainfo['classes'])
        self.tile_size = tile_size
        self.num_workers = num_workers
        self.num_images = len(self.dataset)
        centroids = self._load_or_compute(centroid_file)
        #: flat list of (class, image index, x, y), grouped by class
        self.centroids: List[Tuple[int, int, int, int]] = [(c, i, x, y)
                                                           for c in range(self.num_classes)
                                                           for i, x, y in centroids.get(c, [])]
        self.class_ranges: Dict[int, Tuple[int, int]] = {}
        start = self.num_images
        for c in range(self.num_classes):
            n = len(centroids.get(c, []))
            self.class_ranges[c] = (start, start + n)
            start += n

    def _load_or_compute(self, centroid_file: Optional[str]) -> Dict[int, List[Centroid]]:
        key = dict(
            num_images=self.num_images,
            tile_size=self.tile_size,
            classes=list(self.metainfo['classes']))
        if centroid_file and osp.isfile(centroid_file):
            with open(centroid_file) as f:
                cached = json.load(f)
            if cached.get('key') == key:
                return {int(c): [tuple(v) for v in vs] for c, vs in cached['centroids'].items()}
            raise ValueError(
                f'ClassUniformDataset: {centroid_file!r} holds the centroids of '
                f'another dataset or tile size ({cached.get("key", {}).get("num_images")} '
                f'images); give another centroid_file (nothing is overwritten).')
        print_log(
            f'ClassUniformDataset: computing the class centroids of {self.num_images} '
            f'labels (tile {self.tile_size})',
            logger='current')
        centroids: Dict[int, List[Centroid]] = {}
        tasks = [(self.dataset.get_data_info(i), self.num_classes, self.tile_size)
                 for i in range(self.num_images)]
        if self.num_workers > 1 and len(tasks) > 1:
            with multiprocessing.Pool(self.num_workers) as pool:
                per_image = pool.map(_image_centroids, tasks, chunksize=16)
        else:
            per_image = [_image_centroids(t) for t in tasks]
        for i, image in enumerate(per_image):
            for c, points in image.items():
                centroids.setdefault(c, []).extend((i, x, y) for x, y in points)
        if centroid_file:
            os.makedirs(osp.dirname(osp.abspath(centroid_file)), exist_ok=True)
            with open(centroid_file, 'w') as f:
                json.dump(dict(key=key, centroids=centroids), f)
        return centroids

    def __len__(self) -> int:
        return self.num_images + len(self.centroids)

    def __getitem__(self, index: int) -> dict:
        if index < self.num_images:
            image, centroid = index, None
        else:
            _, image, x, y = self.centroids[index - self.num_images]
            centroid = (x, y)

        def prepare(idx: int) -> dict:
            info = self.dataset.get_data_info(idx)
            info['centroid'] = centroid
            return self.pipeline(info)

        return prepare_checked(self.dataset, prepare, image)


def random_sampling(items: Sequence[int], num: int, generator: torch.Generator) -> List[int]:
    """``num`` items of a shuffled copy of ``items``, wrapping around when ``num`` exceeds it
    (RobustNet ``uniform.random_sampling``)."""
    order = torch.randperm(len(items), generator=generator).tolist()
    return [items[order[i % len(items)]] for i in range(num)]


@DATA_SAMPLERS.register_module()
class ClassUniformSampler(Sampler):
    """Infinite sampler over a :class:`ClassUniformDataset`, for iteration-based training.

    Each epoch has N (number of images) samples, as RobustNet ``uniform.build_epoch``:
    ``num_per_class = int(N * class_uniform_pct / C)`` centroids drawn from each class that has
    centroids (:func:`random_sampling`), and ``N - num_per_class * C`` images drawn the same way
    (an epoch is shorter by ``num_per_class`` for each class without centroids, as there); the
    epoch is shuffled (RobustNet's loader shuffles). Epochs follow each other forever, each drawn
    afresh (RobustNet rebuilds the epoch every epoch, ``train.py``); ranks take every
    ``world_size``-th index, as mmengine's ``InfiniteSampler``.

    Args:
        dataset (ClassUniformDataset): the wrapped dataset.
        class_uniform_pct (float): share of class-uniform samples (RobustNet: 0.5).
        seed (int, optional): random seed; None: a seed shared by all ranks.
    """

    def __init__(self,
                 dataset: ClassUniformDataset,
                 class_uniform_pct: float = 0.5,
                 seed: Optional[int] = None) -> None:
        if not isinstance(dataset, ClassUniformDataset):
            raise TypeError(f'ClassUniformSampler samples a ClassUniformDataset, got '
                            f'{type(dataset).__name__}: wrap the train dataset in '
                            f"dict(type='ClassUniformDataset', dataset=...).")
        if not 0 <= class_uniform_pct <= 1:
            raise ValueError(f'ClassUniformSampler: class_uniform_pct must be in [0, 1], got '
                             f'{class_uniform_pct}')
        self.dataset = dataset
        self.class_uniform_pct = class_uniform_pct
        self.seed = sync_random_seed() if seed is None else seed
        self.rank, self.world_size = get_dist_info()

    def epoch_indices(self, generator: torch.Generator) -> List[int]:
        """One epoch of dataset indices (see the class docstring)."""
        n, c = self.dataset.num_images, self.dataset.num_classes
        num_per_class = int(n * self.class_uniform_pct / c)
        indices = random_sampling(list(range(n)), n - num_per_class * c, generator)
        for cls in range(c):
            start, end = self.dataset.class_ranges[cls]
            if end > start:
                indices += random_sampling(list(range(start, end)), num_per_class, generator)
        order = torch.randperm(len(indices), generator=generator).tolist()
        return [indices[i] for i in order]

    def _infinite_indices(self) -> Iterator[int]:
        generator = torch.Generator()
        generator.manual_seed(self.seed)
        while True:
            yield from self.epoch_indices(generator)

    def __iter__(self) -> Iterator[int]:
        yield from itertools.islice(self._infinite_indices(), self.rank, None, self.world_size)

    def __len__(self) -> int:
        return self.dataset.num_images

    def set_epoch(self, epoch: int) -> None:
        """Not used: the sampler is infinite."""
