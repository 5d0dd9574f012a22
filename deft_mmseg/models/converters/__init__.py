from .clip import convert_clip
from .dinov2 import ConversionKeyError, convert_dinov2

CONVERTERS = {'dinov2': convert_dinov2, 'clip': convert_clip}

__all__ = ['convert_dinov2', 'convert_clip', 'ConversionKeyError', 'CONVERTERS']
