from .class_text_encoder import ClassTextEncoder

__all__ = ['ClassTextEncoder']
