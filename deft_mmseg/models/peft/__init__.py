from .adaptformer import ViTAdaptFormer
from .base import BlockPEFT
from .lora import ViTLoRA
from .reins import LoRAReins, Reins
from .vpt import ViTDeepPrompt

__all__ = ['Reins', 'LoRAReins', 'BlockPEFT', 'ViTLoRA', 'ViTAdaptFormer', 'ViTDeepPrompt']
