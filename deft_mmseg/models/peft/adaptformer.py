"""AdaptFormer (Chen et al., 2022): a bottleneck adapter parallel to each block's FFN."""
import torch
from mmseg.registry import MODELS
from torch import nn

from .base import BlockPEFT


@MODELS.register_module()
class ViTAdaptFormer(BlockPEFT):
    """x <- x + Attn(LN1 x);  h = LN2 x;  x <- FFN(h) + x + s * up(ReLU(down(h))) (mmpretrain's
    VisionTransformer and EVA02 blocks; for EVA02 the FFN is its SwiGLU MLP).

    ``up`` is zero-initialized (the model starts as the pretrained one); s = ``scale``. Trainable
    parameters per block 2 C d + d + C; ViT-L with d = 64: 3,171,840 (Rein paper Table 5
    "AdaptFormer": 3.17M).

    Args:
        num_layers (int), embed_dims (int): the ViT's depth and width.
        bottleneck (int): d. Default 64. scale (float): s. Default 0.1.
    """

    def __init__(self, num_layers, embed_dims, bottleneck=64, scale=0.1):
        super().__init__()
        self.scale = scale
        self.down = nn.ModuleList(nn.Linear(embed_dims, bottleneck) for _ in range(num_layers))
        self.up = nn.ModuleList(nn.Linear(bottleneck, embed_dims) for _ in range(num_layers))
        for up in self.up:
            nn.init.zeros_(up.weight)
            nn.init.zeros_(up.bias)

    families = ('vit', 'eva02')

    def block(self, layer, x, index, num_extra, hw=None):
        if hw is not None:  # mmpretrain's EVA02 block: norm1/attn(x, hw)/norm2/SwiGLU mlp
            x = x + layer.drop_path(layer.attn(layer.norm1(x), hw))
            h = layer.norm2(x)
            adapter = self.up[index](torch.relu(self.down[index](h)))
            return x + layer.drop_path(layer.mlp(h)) + self.scale * adapter
        x = x + layer.attn(layer.ln1(x))
        h = layer.ln2(x)
        adapter = self.up[index](torch.relu(self.down[index](h)))
        return layer.ffn(h, identity=x) + self.scale * adapter
