from .check_image_label import CheckImageLabelPair, image_label_mismatch
from .gaussian_blur import RandomGaussianBlur

__all__ = ['CheckImageLabelPair', 'RandomGaussianBlur', 'image_label_mismatch']
