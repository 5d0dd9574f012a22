from .param_distance import ParamDistanceRegularizer

__all__ = ['ParamDistanceRegularizer']
