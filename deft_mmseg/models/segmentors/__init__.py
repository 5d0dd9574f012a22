from .dual_pathway import FINAL_MODELS, DualPathwaySegmentor, expand_plain_state_dict
from .fishertune_encoder_decoder import FisherTuneEncoderDecoder
from .staged_encoder_decoder import StagedEncoderDecoder

__all__ = ['DualPathwaySegmentor', 'FINAL_MODELS', 'StagedEncoderDecoder',
           'FisherTuneEncoderDecoder', 'expand_plain_state_dict']
