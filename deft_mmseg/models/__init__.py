from .regularizers import ParamDistanceRegularizer
from .segmentors import FINAL_MODELS, DualPathwaySegmentor, StagedEncoderDecoder

__all__ = ['DualPathwaySegmentor', 'FINAL_MODELS', 'StagedEncoderDecoder',
           'ParamDistanceRegularizer']
