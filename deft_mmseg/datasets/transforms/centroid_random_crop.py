"""A random crop that contains the class-uniform centroid (RobustNet's ``RandomCrop``)."""
from typing import Tuple, Union

import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class CentroidRandomCrop(BaseTransform):
    """Crop ``crop_size`` from ``img`` and its ``seg_fields``; when ``results['centroid']``
    ``(x, y)`` is set (:class:`ClassUniformDataset`), the crop contains it.

    shachoi/RobustNet ``transforms/joint_transforms.py`` ``RandomCrop`` (``nopad=False``, its
    scripts' default): an image smaller than the crop is first padded by ``(crop - size) // 2 + 1``
    on both sides of that dimension (image ``pad_val``, labels ``seg_pad_val``; the centroid is
    not shifted, as there); then the top-left corner is ``x1 = randint(cx - crop_w, cx)``
    clipped to the image (uniform in ``[0, w - crop_w]`` without a centroid), likewise ``y1``.
    mmseg's ``RandomCrop`` neither pads nor takes a centroid (and its ``cat_max_ratio`` re-draws
    are not RobustNet's).

    Args:
        crop_size (int | tuple[int, int]): ``(h, w)`` of the crop.
        pad_val (int): image padding value. Default 0.
        seg_pad_val (int): label padding value. Default 255.
    """

    def __init__(self,
                 crop_size: Union[int, Tuple[int, int]],
                 pad_val: int = 0,
                 seg_pad_val: int = 255) -> None:
        self.crop_size = (crop_size, crop_size) if isinstance(crop_size, int) else \
            tuple(crop_size)
        self.pad_val = pad_val
        self.seg_pad_val = seg_pad_val

    def _pad(self, array: np.ndarray, pad_h: int, pad_w: int, value: int) -> np.ndarray:
        widths = [(pad_h, pad_h), (pad_w, pad_w)] + [(0, 0)] * (array.ndim - 2)
        return np.pad(array, widths, mode='constant', constant_values=value)

    def transform(self, results: dict) -> dict:
        th, tw = self.crop_size
        h, w = results['img'].shape[:2]
        if (h, w) == (th, tw):
            return results
        pad_h = (th - h) // 2 + 1 if th > h else 0
        pad_w = (tw - w) // 2 + 1 if tw > w else 0
        if pad_h or pad_w:
            results['img'] = self._pad(results['img'], pad_h, pad_w, self.pad_val)
            for key in results.get('seg_fields', []):
                results[key] = self._pad(results[key], pad_h, pad_w, self.seg_pad_val)
            h, w = results['img'].shape[:2]
        centroid = results.get('centroid')
        if centroid is not None:
            cx, cy = centroid
            x1 = min(w - tw, max(0, np.random.randint(cx - tw, cx + 1)))
            y1 = min(h - th, max(0, np.random.randint(cy - th, cy + 1)))
        else:
            x1 = np.random.randint(0, w - tw + 1)
            y1 = np.random.randint(0, h - th + 1)
        results['img'] = results['img'][y1:y1 + th, x1:x1 + tw]
        for key in results.get('seg_fields', []):
            results[key] = results[key][y1:y1 + th, x1:x1 + tw]
        results['img_shape'] = results['img'].shape[:2]
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(crop_size={self.crop_size}, pad_val={self.pad_val}, '
                f'seg_pad_val={self.seg_pad_val})')
