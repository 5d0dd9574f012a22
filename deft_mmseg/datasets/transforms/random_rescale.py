"""Random rescaling of an image by a factor of its own size (RobustNet's ``RandomSizeAndCrop``,
first half)."""
from typing import Tuple

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class RandomRescale(BaseTransform):
    """Resize ``img`` and its ``seg_fields`` by one factor drawn uniformly from ``ratio_range``,
    relative to the image's own size, and scale ``results['centroid']`` (if any) with them.

    shachoi/RobustNet ``transforms/joint_transforms.py`` ``RandomSizeAndCrop`` (``pre_size``
    unset in its scripts): ``scale = uniform(scale_min, scale_max)``, new size ``int(w * scale),
    int(h * scale)`` of the native frame (GTAV 1914x1052), PIL bicubic for the image and nearest
    for the label, the class-uniform centroid scaled by ``int(c * scale)``. mmcv's
    ``RandomResize`` scales to a fixed target size instead, and knows no centroid. PIL (mmcv's
    ``'pillow'`` backend) is used for both, as RobustNet: its bicubic filter antialiases when
    shrinking, OpenCV's does not.

    Args:
        ratio_range (tuple[float, float]): range of the factor. Default (0.5, 2.0).
        interpolation (str): image interpolation. Default ``'bicubic'``.
    """

    def __init__(self,
                 ratio_range: Tuple[float, float] = (0.5, 2.0),
                 interpolation: str = 'bicubic') -> None:
        if not 0 < ratio_range[0] <= ratio_range[1]:
            raise ValueError(f'RandomRescale: invalid ratio_range {ratio_range}')
        self.ratio_range = tuple(ratio_range)
        self.interpolation = interpolation

    def transform(self, results: dict) -> dict:
        ratio = np.random.uniform(*self.ratio_range)
        h, w = results['img'].shape[:2]
        size = (int(w * ratio), int(h * ratio))
        results['img'] = mmcv.imresize(
            results['img'], size, interpolation=self.interpolation, backend='pillow')
        for key in results.get('seg_fields', []):
            results[key] = mmcv.imresize(
                results[key], size, interpolation='nearest', backend='pillow')
        if results.get('centroid') is not None:
            results['centroid'] = tuple(int(c * ratio) for c in results['centroid'])
        results['img_shape'] = results['img'].shape[:2]
        results['scale_factor'] = (size[0] / w, size[1] / h)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(ratio_range={self.ratio_range}, '
                f"interpolation='{self.interpolation}')")
