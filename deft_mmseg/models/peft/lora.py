"""LoRA (Hu et al., 2022) on the query and value projections of a frozen ViT."""
import math

import torch
from mmseg.registry import MODELS
from torch import nn

from .base import BlockPEFT


@MODELS.register_module()
class ViTLoRA(BlockPEFT):
    """W_q x + (alpha / r) B_q A_q x and the same for W_v, added through forward hooks on the
    blocks' fused ``attn.qkv`` projections (the ViT's parameter names are unchanged). A is
    Kaiming-uniform, B zero, so training starts from the pretrained model. Trainable parameters:
    4 r C per block; ViT-L with r = 12: 1,179,648 (Rein paper Table 5 "LoRA": 1.18M).

    Args:
        num_layers (int), embed_dims (int): the ViT's depth and width.
        rank (int): r. Default 12. alpha (float): scaling numerator. Default 12 (scale 1).
    """

    def __init__(self, num_layers, embed_dims, rank=12, alpha=12.0):
        super().__init__()
        self.scaling = alpha / rank
        self.lora_a_q = nn.Parameter(torch.empty(num_layers, rank, embed_dims))
        self.lora_b_q = nn.Parameter(torch.zeros(num_layers, embed_dims, rank))
        self.lora_a_v = nn.Parameter(torch.empty(num_layers, rank, embed_dims))
        self.lora_b_v = nn.Parameter(torch.zeros(num_layers, embed_dims, rank))
        for a in (self.lora_a_q, self.lora_a_v):
            for i in range(num_layers):
                nn.init.kaiming_uniform_(a[i], a=math.sqrt(5))
        self._handles = []

    def attach(self, vit):
        for index, layer in enumerate(vit.layers):
            self._handles.append(layer.attn.qkv.register_forward_hook(self._hook(index)))

    def _hook(self, index):

        def add_lora(module, inputs, output):
            x = inputs[0]
            dq = x @ self.lora_a_q[index].T @ self.lora_b_q[index].T
            dv = x @ self.lora_a_v[index].T @ self.lora_b_v[index].T
            zeros = torch.zeros_like(dq)
            return output + self.scaling * torch.cat([dq, zeros, dv], dim=-1)

        return add_lora
