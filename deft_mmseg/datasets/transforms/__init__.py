from .gaussian_blur import RandomGaussianBlur

__all__ = ['RandomGaussianBlur']
