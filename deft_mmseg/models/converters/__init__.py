from .dinov2 import convert_dinov2

__all__ = ['convert_dinov2']
