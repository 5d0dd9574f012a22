"""Stop at the first sample whose label map does not fit its image (mmseg's transforms would crop
and flip both anyway and train on misaligned labels without a word)."""
import cv2
from mmcv.transforms import BaseTransform
from mmengine.logging import print_log

from mmseg.registry import TRANSFORMS

from ..dg_base import DatasetSampleError


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

    Required keys: ``ori_shape``, ``gt_seg_map``, ``img_path``, ``seg_map_path``.

    Args:
        on_mismatch (str): ``'error'`` (default): raise :class:`DatasetSampleError` naming both
            files. ``'resize_label'``: resize the label map to the image with nearest-neighbour
            interpolation and log it once per file (for datasets known to hold a few such pairs);
            a label with several channels is an error either way.
    """

    def __init__(self, on_mismatch='error'):
        if on_mismatch not in ('error', 'resize_label'):
            raise ValueError(f"CheckImageLabelPair: on_mismatch must be 'error' or "
                             f"'resize_label', got {on_mismatch!r}.")
        self.on_mismatch = on_mismatch

    def transform(self, results):
        label = results.get('gt_seg_map')
        if label is None:
            return results
        img_shape = results['ori_shape']
        reason = image_label_mismatch(img_shape, label.shape)
        if reason is None:
            return results
        if self.on_mismatch == 'resize_label' and label.ndim == 2:
            results['gt_seg_map'] = cv2.resize(label, (img_shape[1], img_shape[0]),
                                               interpolation=cv2.INTER_NEAREST)
            print_log(f'CheckImageLabelPair: label {results.get("seg_map_path")!r} {reason}; '
                      f'resized to the image (on_mismatch=resize_label).', logger='current')
            return results
        raise DatasetSampleError(
            f'label map {results.get("seg_map_path")!r} {reason} (image '
            f'{results.get("img_path")!r}). Re-export the label at the image size, remove the pair '
            f'from the split, or set on_mismatch=\'resize_label\' in the pipeline\'s '
            f'CheckImageLabelPair; tools/check_dataset.py CONFIG lists every such pair.')

    def __repr__(self):
        return f'{type(self).__name__}(on_mismatch={self.on_mismatch!r})'
