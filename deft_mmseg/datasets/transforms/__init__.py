from .centroid_random_crop import CentroidRandomCrop
from .check_image_label import CheckImageLabelPair, image_label_mismatch
from .gaussian_blur import RandomGaussianBlur
from .random_rescale import RandomRescale
from .resize_to_height_center_crop import ResizeToHeightCenterCrop

__all__ = [
    'CentroidRandomCrop', 'RandomRescale', 'ResizeToHeightCenterCrop', 'CheckImageLabelPair',
    'RandomGaussianBlur', 'image_label_mismatch'
]
