"""Random Gaussian blur of the image (DeFT paper's augmentation). mmseg 1.2 has only a 3-D
biomedical blur and an albumentations wrapper, so this small transform is written here."""
import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class RandomGaussianBlur(BaseTransform):
    """Blur ``results['img']`` (H, W, C) with probability ``prob`` using a Gaussian of standard
    deviation drawn uniformly from ``sigma_range``; the kernel spans +-3 sigma. Labels are
    untouched.

    Args:
        prob (float): probability of blurring. Default 0.5.
        sigma_range (tuple[float, float]): range of sigma in pixels. Default (0.15, 1.15).
    """

    def __init__(self, prob=0.5, sigma_range=(0.15, 1.15)):
        if not 0 <= prob <= 1:
            raise ValueError(f'RandomGaussianBlur: prob must be in [0, 1], got {prob}')
        if not 0 < sigma_range[0] <= sigma_range[1]:
            raise ValueError(f'RandomGaussianBlur: invalid sigma_range {sigma_range}')
        self.prob = prob
        self.sigma_range = tuple(sigma_range)

    def transform(self, results):
        if np.random.rand() < self.prob:
            sigma = np.random.uniform(*self.sigma_range)
            ksize = 2 * int(np.ceil(3 * sigma)) + 1
            results['img'] = cv2.GaussianBlur(results['img'], (ksize, ksize), sigma)
        return results

    def __repr__(self):
        return f'{type(self).__name__}(prob={self.prob}, sigma_range={self.sigma_range})'
