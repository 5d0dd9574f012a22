from .backbones import VFMVisionTransformer
from .decode_heads import ReinMask2FormerHead, SlideMask2FormerHead, VLTSegMask2FormerHead
from .peft import LoRAReins, Reins
from .regularizers import ParamDistanceRegularizer
from .segmentors import (FINAL_MODELS, DualPathwaySegmentor, FisherTuneEncoderDecoder,
                         StagedEncoderDecoder)
from .text_encoders import ClassTextEncoder

__all__ = [
    'DualPathwaySegmentor', 'FINAL_MODELS', 'StagedEncoderDecoder', 'FisherTuneEncoderDecoder',
    'ParamDistanceRegularizer', 'VFMVisionTransformer', 'Reins', 'LoRAReins',
    'SlideMask2FormerHead', 'ReinMask2FormerHead', 'VLTSegMask2FormerHead', 'ClassTextEncoder'
]
