from .rein_mask2former_head import ReinMask2FormerHead
from .vltseg_mask2former_head import VLTSegMask2FormerHead

__all__ = ['ReinMask2FormerHead', 'VLTSegMask2FormerHead']
