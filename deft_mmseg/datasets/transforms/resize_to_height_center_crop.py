"""Evaluation resizing of Mapillary in the codebase of the DeFT paper's baselines."""
from typing import Optional

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class ResizeToHeightCenterCrop(BaseTransform):
    """Resize the image (and the labels loaded so far) to ``height``, keeping the aspect ratio,
    then take the centred ``crop_size`` x ``crop_size`` window, padding a narrower image.

    After ``LoadAnnotations`` the labels are transformed too and ``ori_shape`` is set to the
    result: predictions are scored at this size, on this window (RobustNet). Before
    ``LoadAnnotations`` (``crop_size=None``) only the image is resized and mmseg scores the
    prediction, resized back, at the label's own resolution, as for its other resizes.

    shachoi/RobustNet ``datasets/__init__.py`` ``create_extra_val_loader`` evaluates Mapillary with
    ``ResizeHeight(1536)`` + ``CenterCropPad(1536)`` (``transforms/joint_transforms.py``): width
    ``int(w / h * 1536)``, PIL bicubic image / nearest label. ``CenterCropPad`` pads a dimension
    smaller than the crop by the missing amount on *both* sides, then crops from
    ``round((size - crop) / 2)`` computed with the size *before* padding (negative for a padded
    dimension; PIL fills what lies outside with 0): a portrait image keeps its left part and the
    window is shifted. This arithmetic is reproduced here exactly. ``CenterCropPad`` is called
    there without its ``ignore_index``, so the label padding is 0 (class 0, road):
    ``seg_pad_val=0`` reproduces that; 255 ignores the padded pixels. Landscape frames (most of
    Mapillary) are plainly centre-cropped to 1536 x 1536.

    Args:
        height (int): target height. Default 1536.
        crop_size (int, optional): side of the square centre crop; None: no crop. Default 1536.
        seg_pad_val (int): label padding value. Default 255.
    """

    def __init__(self,
                 height: int = 1536,
                 crop_size: Optional[int] = 1536,
                 seg_pad_val: int = 255) -> None:
        self.height = height
        self.crop_size = crop_size
        self.seg_pad_val = seg_pad_val

    def transform(self, results: dict) -> dict:
        h, w = results['img'].shape[:2]
        size = (int(w / h * self.height), self.height)
        results['img'] = mmcv.imresize(
            results['img'], size, interpolation='bicubic', backend='pillow')
        for key in results.get('seg_fields', []):
            results[key] = mmcv.imresize(
                results[key], size, interpolation='nearest', backend='pillow')
        if self.crop_size is not None:
            self._center_crop_pad(results)
        results['img_shape'] = results['img'].shape[:2]
        if results.get('seg_fields'):  # the labels went along: they are scored at this size
            results['ori_shape'] = results['img_shape']
        return results

    def _center_crop_pad(self, results: dict) -> None:
        t = self.crop_size
        h, w = results['img'].shape[:2]
        pad_y, pad_x = max(t - h, 0), max(t - w, 0)
        # the window's corner from the size before padding, as RobustNet's CenterCropPad
        x1, y1 = int(round((w - t) / 2.)), int(round((h - t) / 2.))
        for key, value in [('img', 0)] + [(k, self.seg_pad_val)
                                          for k in results.get('seg_fields', [])]:
            array = results[key]
            if pad_x or pad_y:
                widths = [(pad_y, pad_y), (pad_x, pad_x)] + [(0, 0)] * (array.ndim - 2)
                array = np.pad(array, widths, mode='constant', constant_values=value)
            results[key] = _crop_with_fill(array, x1, y1, t, value)


def _crop_with_fill(array: np.ndarray, x1: int, y1: int, size: int, fill: int) -> np.ndarray:
    """``array[y1:y1 + size, x1:x1 + size]`` where a window partly outside the array is filled
    with ``fill`` there (PIL's ``Image.crop`` fills with 0; for labels ``fill`` is the label
    padding value)."""
    out = np.full((size, size) + array.shape[2:], fill, dtype=array.dtype)
    hh, ww = array.shape[:2]
    sy, sx = max(y1, 0), max(x1, 0)
    ey, ex = min(y1 + size, hh), min(x1 + size, ww)
    if ey > sy and ex > sx:
        out[sy - y1:ey - y1, sx - x1:ex - x1] = array[sy:ey, sx:ex]
    return out

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(height={self.height}, crop_size={self.crop_size}, '
                f'seg_pad_val={self.seg_pad_val})')
