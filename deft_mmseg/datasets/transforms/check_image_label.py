"""Stop at the first sample whose label map does not fit its image (mmseg's transforms would crop
and flip both anyway and train on misaligned labels without a word), or holds ids outside the
classes anywhere in the map (checked before a random crop can hide them)."""
from typing import Optional

import cv2
import torch
from mmcv.transforms import BaseTransform
from mmengine.logging import print_log
from mmseg.registry import TRANSFORMS

from ...utils.errors import DatasetSampleError
from ..label_checks import check_label_ids


def image_label_mismatch(img_shape, label_shape):
    """The reason ``label_shape`` does not fit an image of ``img_shape`` (``(H, W[, C])``), or
    ``None`` when it fits: a label map is one channel of the image's height and width."""
    if len(label_shape) != 2:
        return (f'has {label_shape[2] if len(label_shape) == 3 else label_shape} channels '
                f'(shape {tuple(label_shape)}); a label map is a single-channel image of class ids '
                f'(convert colour labels with tools/dataset_converters/)')
    if tuple(label_shape) != tuple(img_shape[:2]):
        return (f'is {label_shape[0]}x{label_shape[1]} (HxW) but its image is '
                f'{img_shape[0]}x{img_shape[1]}')
    return None


@TRANSFORMS.register_module()
class CheckImageLabelPair(BaseTransform):
    """Check, right after ``LoadAnnotations``, that ``gt_seg_map`` is a single-channel map of the
    loaded image's size (``ori_shape``, so a ``Resize`` of the image before ``LoadAnnotations``
    in a test pipeline is fine).

    With ``num_classes`` it also checks the ids of the whole map (classes ``0..num_classes-1``
    and ``ignore_index``), before any crop: checked after the pipeline, as the datasets do, a bad
    id is caught only when it falls inside the random crop. ``DatasetModelCheckHook`` sets
    ``num_classes`` and ``ignore_index`` from the training dataset when the config leaves them
    unset.

    Required keys: ``ori_shape``, ``gt_seg_map``, ``img_path``, ``seg_map_path``.

    Args:
        on_mismatch (str): ``'error'`` (default): raise :class:`DatasetSampleError` naming both
            files. ``'resize_label'``: resize the label map to the image with nearest-neighbour
            interpolation and log it once per file (for datasets known to hold a few such pairs);
            a label with several channels is an error either way.
        num_classes (int, optional): check that every id of the map is a class or
            ``ignore_index`` (:class:`LabelRangeError` naming the file otherwise).
        ignore_index (int): the id of unlabelled pixels. Default 255.
    """

    def __init__(self,
                 on_mismatch: str = 'error',
                 num_classes: Optional[int] = None,
                 ignore_index: int = 255) -> None:
        if on_mismatch not in ('error', 'resize_label'):
            raise ValueError(f"CheckImageLabelPair: on_mismatch must be 'error' or "
                             f"'resize_label', got {on_mismatch!r}.")
        self.on_mismatch = on_mismatch
        self.num_classes = num_classes
        self.ignore_index = ignore_index

    def transform(self, results: dict) -> dict:
        label = results.get('gt_seg_map')
        if label is None:
            return results
        results = self._check_shape(results, label)
        if self.num_classes is not None:
            check_label_ids(
                torch.from_numpy(results['gt_seg_map']), self.num_classes, self.ignore_index,
                f'{results.get("seg_map_path")!r} (whole map, '
                f'before cropping)')
        return results

    def _check_shape(self, results: dict, label) -> dict:
        img_shape = results['ori_shape']
        reason = image_label_mismatch(img_shape, label.shape)
        if reason is None:
            return results
        if self.on_mismatch == 'resize_label' and label.ndim == 2:
            results['gt_seg_map'] = cv2.resize(
                label, (img_shape[1], img_shape[0]), interpolation=cv2.INTER_NEAREST)
            print_log(
                f'CheckImageLabelPair: label {results.get("seg_map_path")!r} {reason}; '
                f'resized to the image (on_mismatch=resize_label).',
                logger='current')
            return results
        raise DatasetSampleError(
            f'label map {results.get("seg_map_path")!r} {reason} (image '
            f'{results.get("img_path")!r}). Re-export the label at the image size, remove the pair '
            f'from the split, or set on_mismatch=\'resize_label\' in the pipeline\'s '
            f'CheckImageLabelPair; tools/check_dataset.py CONFIG lists every such pair.')

    def __repr__(self):
        return (f'{type(self).__name__}(on_mismatch={self.on_mismatch!r}, '
                f'num_classes={self.num_classes!r}, ignore_index={self.ignore_index!r})')


def use_class_count(pipeline, num_classes: int, ignore_index: int) -> int:
    """Give every :class:`CheckImageLabelPair` of ``pipeline`` (a ``Compose``) without a
    ``num_classes`` the dataset's; returns how many were set."""
    checks = [
        t for t in pipeline.transforms
        if isinstance(t, CheckImageLabelPair) and t.num_classes is None
    ]
    for check in checks:
        check.num_classes, check.ignore_index = num_classes, ignore_index
    return len(checks)
