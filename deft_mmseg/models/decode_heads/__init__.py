from .deeplabv3plus_head import DeepLabV3PlusHead
from .rein_mask2former_head import ReinMask2FormerHead
from .slide_mask2former_head import SlideMask2FormerHead
from .vltseg_mask2former_head import VLTSegMask2FormerHead

__all__ = [
    'DeepLabV3PlusHead', 'SlideMask2FormerHead', 'ReinMask2FormerHead', 'VLTSegMask2FormerHead'
]
