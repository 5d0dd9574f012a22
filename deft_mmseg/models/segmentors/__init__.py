from .dual_pathway import FINAL_MODELS, DualPathwaySegmentor
from .staged_encoder_decoder import StagedEncoderDecoder

__all__ = ['DualPathwaySegmentor', 'FINAL_MODELS', 'StagedEncoderDecoder']
