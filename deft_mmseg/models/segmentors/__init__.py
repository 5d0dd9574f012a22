from .dual_pathway import FINAL_MODELS, DualPathwaySegmentor

__all__ = ['DualPathwaySegmentor', 'FINAL_MODELS']
