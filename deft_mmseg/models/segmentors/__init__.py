from .dual_pathway import FINAL_MODELS, DualPathwaySegmentor, expand_plain_state_dict
from .staged_encoder_decoder import StagedEncoderDecoder

__all__ = ['DualPathwaySegmentor', 'FINAL_MODELS', 'StagedEncoderDecoder',
           'expand_plain_state_dict']
