"""Deep visual prompt tuning (VPT, Jia et al., 2022)."""
import math

import torch
from mmseg.registry import MODELS
from torch import nn

from .base import BlockPEFT


@MODELS.register_module()
class ViTDeepPrompt(BlockPEFT):
    """Learnable prompt tokens inserted after the class token before every block and dropped
    after it (VPT-deep). Trainable parameters: L P C; ViT-L with P = 150: 3,686,400 (Rein paper
    Table 5 "VPT": 3.69M).

    Args:
        num_layers (int), embed_dims (int): the ViT's depth and width.
        num_tokens (int): P. Default 150. patch_size (int): for the initialization bound.
    """

    def __init__(self, num_layers, embed_dims, num_tokens=150, patch_size=16):
        super().__init__()
        self.num_tokens = num_tokens
        self.prompts = nn.Parameter(torch.empty(num_layers, num_tokens, embed_dims))
        bound = math.sqrt(6.0 / float(3 * patch_size * patch_size + embed_dims))
        nn.init.uniform_(self.prompts, -bound, bound)

    families = ('vit', )  # EVA02's rotary grid has no place for prompt tokens

    def block(self, layer, x, index, num_extra, hw=None):
        prompts = self.prompts[index].expand(x.shape[0], -1, -1)
        x = torch.cat([x[:, :num_extra], prompts, x[:, num_extra:]], dim=1)
        x = layer(x)
        return torch.cat([x[:, :num_extra], x[:, num_extra + self.num_tokens:]], dim=1)
