"""Check every sample of every dataloader of a config before a long run (``tools/check_dataset.py``).

Each sample is loaded the way its pipeline loads it (the config's ``LoadImageFromFile`` and
``LoadAnnotations``, so ``reduce_zero_label``, ``imdecode_backend`` and the dataset's
``label_map`` apply) and checked: the image decodes, the label map is one channel of the image's
size, and its ids are class ids or the ignore index.
"""
import copy
from collections import OrderedDict

import numpy as np
import torch
from mmcv.transforms import LoadImageFromFile
from mmengine.utils import track_parallel_progress, track_progress
from mmseg.registry import DATASETS, TRANSFORMS

from ..utils.errors import LabelRangeError
from .checks import _iter_dataset_cfgs, domain_dataset_cfgs
from .label_checks import check_label_ids
from .transforms.check_image_label import image_label_mismatch

LOADERS = ('LoadImageFromFile', 'LoadAnnotations')


def dataset_cfgs_of(cfg):
    """``[(name, leaf dataset config)]`` of the train, val and test dataloaders of ``cfg``; a
    dataset that val and test share is listed once (under ``val/<domain>``)."""
    found, seen = [], []
    for split in ('train', 'val', 'test'):
        loader = cfg.get(f'{split}_dataloader')
        if not loader:
            continue
        domains = ({
            'source': loader['dataset']
        } if split == 'train' and 'dataset' in loader else domain_dataset_cfgs(loader))
        for domain, ds_cfg in domains.items():
            leaves = list(_iter_dataset_cfgs(ds_cfg))
            for i, leaf in enumerate(leaves):
                if any(leaf == s for s in seen):
                    continue
                seen.append(leaf)
                name = f'{split}/{domain}' + (f'[{i}]' if len(leaves) > 1 else '')
                found.append((name, leaf))
    return found


def _loader_cfgs(pipeline):
    loaders = [copy.deepcopy(t) for t in pipeline or [] if t.get('type') in LOADERS]
    if not any(t['type'] == 'LoadImageFromFile' for t in loaders):
        loaders.insert(0, dict(type='LoadImageFromFile'))
    return loaders


_BUILT = {}


def check_sample(task):
    """Load and check one sample. ``task``: ``(data_info, loader configs, num_classes,
    ignore_index)``. Returns ``None`` or a one-line description of what is wrong."""
    info, loaders, num_classes, ignore_index = task
    key = repr(loaders)
    if key not in _BUILT:
        _BUILT[key] = [TRANSFORMS.build(t) for t in loaders]
    results = copy.deepcopy(info)
    img_path, seg_path = info.get('img_path'), info.get('seg_map_path')
    for transform in _BUILT[key]:
        try:
            results = transform(results)
        except Exception as e:  # noqa: BLE001  (any decoding failure is reported, not raised)
            what = 'image' if isinstance(transform, LoadImageFromFile) else 'label'
            path = img_path if what == 'image' else seg_path
            return f'{what} {path!r} cannot be read ({type(e).__name__}: {str(e)[:120]})'
        if results is None:
            return f'image {img_path!r} cannot be read'
    label = results.get('gt_seg_map')
    if label is None:
        return None
    reason = image_label_mismatch(results['ori_shape'], label.shape)
    if reason is not None:
        return f'label {seg_path!r} {reason} (image {img_path!r})'
    try:  # the check training and the metric apply
        check_label_ids(
            torch.from_numpy(np.ascontiguousarray(label)), num_classes, ignore_index,
            repr(seg_path))
    except LabelRangeError as e:
        return str(e)
    return None


def check_dataset(name, ds_cfg, workers=0, max_listed=20):
    """Check every sample of one dataset config.

    Returns:
        dict: ``name``, ``type``, ``samples``, ``bad`` (count) and ``errors`` (the first
        ``max_listed`` descriptions).
    """
    build_cfg = dict(copy.deepcopy(ds_cfg), pipeline=[])
    dataset = DATASETS.build(build_cfg)
    num_classes = len(dataset.metainfo['classes'])
    ignore_index = getattr(dataset, 'ignore_index', 255)
    loaders = _loader_cfgs(ds_cfg.get('pipeline'))
    tasks = [(dataset.get_data_info(i), loaders, num_classes, ignore_index)
             for i in range(len(dataset))]
    print(f'checking {name} ({type(dataset).__name__}, {len(tasks)} samples)', flush=True)
    if workers > 1:
        results = track_parallel_progress(check_sample, tasks, nproc=workers)
    else:
        results = track_progress(check_sample, tasks)
    errors = [r for r in results if r is not None]
    return OrderedDict(
        name=name,
        type=type(dataset).__name__,
        samples=len(tasks),
        bad=len(errors),
        errors=errors[:max_listed])
