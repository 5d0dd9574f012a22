from .clip import convert_clip
from .dinov2 import ConversionKeyError, convert_dinov2
from .eva02 import convert_eva02
from .sam import convert_sam

CONVERTERS = {'dinov2': convert_dinov2, 'clip': convert_clip, 'eva02': convert_eva02,
              'sam': convert_sam}

__all__ = ['convert_dinov2', 'convert_clip', 'convert_eva02', 'convert_sam',
           'ConversionKeyError', 'CONVERTERS']
