from functools import partial

from .clip import convert_clip
from .clip_text import clip_image_projection, convert_clip_text, convert_vltseg
from .dinov2 import convert_dinov2
from .eva02 import convert_eva02, convert_eva_clip_visual
from .robustnet import convert_robustnet, convert_robustnet_trunk
from .sam import convert_sam

#: ``tools/model_converters/vfm.py MODEL``: official checkpoint -> the file a config loads
CONVERTERS = {
    'dinov2': convert_dinov2,
    'clip': convert_clip,
    'eva02': convert_eva02,
    'sam': convert_sam,
    'eva-clip': convert_eva_clip_visual,
    'vltseg-eva-clip': partial(convert_vltseg, source='eva-clip'),
    'vltseg-clip': partial(convert_vltseg, source='clip')
}
#: converters that take ``--patch-size``
RESIZABLE = ('dinov2', 'eva02', 'eva-clip', 'vltseg-eva-clip')

__all__ = [
    'convert_dinov2', 'convert_clip', 'convert_eva02', 'convert_sam', 'convert_eva_clip_visual',
    'convert_clip_text', 'clip_image_projection', 'convert_vltseg', 'CONVERTERS', 'RESIZABLE',
    'convert_robustnet', 'convert_robustnet_trunk'
]
