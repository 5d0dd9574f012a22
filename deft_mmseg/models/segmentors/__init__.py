from .dual_pathway import FINAL_MODELS, DualPathwaySegmentor, expand_plain_state_dict
from .fishertune_encoder_decoder import FisherTuneEncoderDecoder
from .staged_encoder_decoder import StagedEncoderDecoder
from .two_stage import TwoStageSegmentor

__all__ = [
    'DualPathwaySegmentor', 'FINAL_MODELS', 'StagedEncoderDecoder', 'FisherTuneEncoderDecoder',
    'TwoStageSegmentor', 'expand_plain_state_dict'
]
