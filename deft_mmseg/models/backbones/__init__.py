from .vfm_vit import VFMVisionTransformer

__all__ = ['VFMVisionTransformer']
