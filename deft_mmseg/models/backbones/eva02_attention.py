"""The attention of the EVA-02 and EVA-CLIP releases (baaivision/EVA), for mmpretrain's ViTEVA02.

Written here because mmpretrain 1.2.0's ``AttentionWithRoPE`` differs from both releases in two
ways that matter once the trunk is finetuned or loaded from EVA-CLIP:

- its fused ``qkv`` Linear carries a *learnable* key bias (the releases have q and v biases only;
  the key bias is a constant zero). With the rotary embedding applied after the projection a key
  bias changes the attention logits, so a finetuned mmpretrain trunk drifts from the released
  arithmetic;
- it has no sub-LN on the attention output (``inner_attn_ln`` of EVA-CLIP's ``subln=True``
  blocks; mmpretrain's ``sub_ln`` only adds the FFN's ``ffn_ln``), so EVA-CLIP weights cannot be
  loaded at all.

:func:`use_released_eva02_attention` swaps this module into every block of a built ``ViTEVA02``.
The qkv projection stays one ``nn.Linear`` named ``attn.qkv`` (no bias) and is *called*, so
LoRA's forward hooks and FisherTune's candidate rows see the same layout as on the other ViTs.
"""
import torch
from mmpretrain.models.utils import build_norm_layer
from torch import nn


class EVA02Attention(nn.Module):
    """Multi-head self-attention as in the EVA-02 / EVA-CLIP releases.

    ``x`` (B, N, C) with N = 1 + H*W (class token first) ->

    - ``q, k, v = split(qkv(x) + [q_bias, 0, v_bias])``, each (B, heads, N, C / heads);
    - the rotary embedding on the patch tokens of q and k (not the class token);
    - ``softmax(q k^T / sqrt(C / heads)) v`` -> (B, N, C);
    - EVA-CLIP only: ``inner_attn_ln`` (LayerNorm over C) on that output;
    - ``proj`` -> (B, N, C).

    Args:
        embed_dims (int): C. num_heads (int): heads.
        rope (nn.Module | None): called as ``rope(x, patch_resolution)``
            (:class:`EVA02RotaryEmbedding`).
        inner_attn_ln (bool): EVA-CLIP's attention sub-LN. Default False (EVA-02 MIM release).
        norm_cfg (dict): its norm (the releases: LayerNorm, eps 1e-6).
        attn_drop (float), proj_drop (float): dropout rates (0 in the releases' finetuning).
    """

    def __init__(self,
                 embed_dims,
                 num_heads,
                 rope=None,
                 inner_attn_ln=False,
                 norm_cfg=dict(type='LN', eps=1e-6),
                 attn_drop=0.,
                 proj_drop=0.):
        super().__init__()
        self.embed_dims, self.num_heads = embed_dims, num_heads
        self.scale = (embed_dims // num_heads)**-0.5
        self.qkv = nn.Linear(embed_dims, 3 * embed_dims, bias=False)
        self.q_bias = nn.Parameter(torch.zeros(embed_dims))
        self.v_bias = nn.Parameter(torch.zeros(embed_dims))
        self.inner_attn_ln = (
            build_norm_layer(norm_cfg, embed_dims) if inner_attn_ln else nn.Identity())
        self.attn_drop = nn.Dropout(attn_drop)
        self.proj = nn.Linear(embed_dims, embed_dims)
        self.proj_drop = nn.Dropout(proj_drop)
        self.rope = rope

    def forward(self, x, patch_resolution):
        batch, num, _ = x.shape
        bias = torch.cat([self.q_bias, torch.zeros_like(self.q_bias), self.v_bias])
        qkv = (self.qkv(x) + bias).view(batch, num, 3, self.num_heads, -1).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        if self.rope is not None:
            q = torch.cat([q[:, :, :1], self.rope(q[:, :, 1:], patch_resolution)], dim=2)
            k = torch.cat([k[:, :, :1], self.rope(k[:, :, 1:], patch_resolution)], dim=2)
        attn = self.attn_drop(((q * self.scale) @ k.transpose(-2, -1)).softmax(dim=-1))
        out = (attn @ v).transpose(1, 2).reshape(batch, num, -1)
        return self.proj_drop(self.proj(self.inner_attn_ln(out)))

    def extra_repr(self):
        return f'embed_dims={self.embed_dims}, num_heads={self.num_heads}'


def use_released_eva02_attention(vit, inner_attn_ln=False, norm_cfg=dict(type='LN', eps=1e-6)):
    """Replace the attention of every block of an mmpretrain ``ViTEVA02`` by
    :class:`EVA02Attention` (keeping each block's rotary embedding and dropout rates).

    Construction-time swap: the new modules are freshly initialized; pretrained weights are
    loaded afterwards in this layout (``tools/model_converters/vfm.py eva02|eva-clip``).
    """
    for layer in vit.layers:
        old = layer.attn
        layer.attn = EVA02Attention(
            old.embed_dims,
            old.num_heads,
            rope=old.rope,
            inner_attn_ln=inner_attn_ln,
            norm_cfg=norm_cfg,
            attn_drop=old.attn_drop.p,
            proj_drop=old.proj_drop.p)
