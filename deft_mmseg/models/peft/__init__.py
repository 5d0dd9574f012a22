from .reins import LoRAReins, Reins

__all__ = ['Reins', 'LoRAReins']
