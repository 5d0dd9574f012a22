"""Rein (Rein paper): learnable tokens that refine every ViT block's features.

Written here from the method description and the official release (w1oves/Rein), with the same
parameter names so released Rein weights load: ``learnable_tokens`` (or ``learnable_tokens_a`` /
``learnable_tokens_b`` for the low-rank variant), ``scale``, ``mlp_token2feat``, ``mlp_delta_f``,
``transform``, ``merge``.
"""
import math

import torch
import torch.nn.functional as F
from mmseg.registry import MODELS
from torch import nn


@MODELS.register_module()
class Reins(nn.Module):
    """Rein layers shared by all blocks of a frozen ViT.

    For block ``l`` with patch features f (N patches x B x C) and tokens T_l (m x C)::

        S = softmax(f T_l^T / sqrt(C))                      (N, B, m)
        delta = mlp_delta_f(S[..., 1:] mlp_token2feat(T_l[1:]) + f)
        f <- f + scale * delta

    The class token passes through unchanged. With ``link_token_to_query`` the tokens of all
    layers also produce the Mask2Former queries (:meth:`queries`): max-, mean-pooled over layers and
    the last layer's, projected to ``query_dims`` and merged, shape (m, query_dims). Without it
    (a DeepLabv3+ or SegFormer head) those projection layers exist, with the release's keys, and
    are frozen.

    Args:
        num_layers (int): ViT blocks. embed_dims (int): ViT width. patch_size (int): ViT patch
            size (token initialization scale). query_dims (int): Mask2Former feature width (256).
        token_length (int): tokens per layer m = number of queries (100).
        use_softmax (bool): softmax attention (True). link_token_to_query (bool): True.
        scale_init (float): initial learnable scale (1e-3).
        zero_mlp_delta_f (bool): zero-init ``mlp_delta_f`` with a fixed scale 1 (False).
    """

    def __init__(self,
                 num_layers,
                 embed_dims,
                 patch_size,
                 query_dims=256,
                 token_length=100,
                 use_softmax=True,
                 link_token_to_query=True,
                 scale_init=0.001,
                 zero_mlp_delta_f=False):
        super().__init__()
        self.num_layers = num_layers
        self.embed_dims = embed_dims
        self.patch_size = patch_size
        self.query_dims = query_dims
        self.token_length = token_length
        self.use_softmax = use_softmax
        self.link_token_to_query = link_token_to_query
        self.scale_init = scale_init
        self.zero_mlp_delta_f = zero_mlp_delta_f
        self._build()

    def _token_init_bound(self, fan):
        return math.sqrt(6.0 / float(3 * self.patch_size * self.patch_size + fan))

    def _build(self):
        self.learnable_tokens = nn.Parameter(
            torch.empty(self.num_layers, self.token_length, self.embed_dims))
        bound = self._token_init_bound(self.embed_dims)
        nn.init.uniform_(self.learnable_tokens, -bound, bound)
        self.scale = nn.Parameter(torch.tensor(self.scale_init))
        self.mlp_token2feat = nn.Linear(self.embed_dims, self.embed_dims)
        self.mlp_delta_f = nn.Linear(self.embed_dims, self.embed_dims)
        nn.init.kaiming_uniform_(self.mlp_delta_f.weight, a=math.sqrt(5))
        nn.init.kaiming_uniform_(self.mlp_token2feat.weight, a=math.sqrt(5))
        # the query link's layers are built whatever the link, as the official Reins builds them
        # (w1oves/Rein rein/models/backbones/reins.py, create_model): checkpoints keep the
        # release's keys. Without the link they take no part in the loss, and DDP (without
        # find_unused_parameters) stops at the second iteration on a trainable parameter that
        # gets no gradient: frozen from construction (requires_grad is final for DDP)
        self.transform = nn.Linear(self.embed_dims, self.query_dims)
        self.merge = nn.Linear(self.query_dims * 3, self.query_dims)
        if not self.link_token_to_query:
            self.transform.requires_grad_(False)
            self.merge.requires_grad_(False)
        if self.zero_mlp_delta_f:
            del self.scale
            self.scale = 1.0
            nn.init.zeros_(self.mlp_delta_f.weight)
            nn.init.zeros_(self.mlp_delta_f.bias)

    def get_tokens(self, layer):
        """Tokens of one layer (m, C), or of all layers (L, m, C) for ``layer=-1``."""
        return self.learnable_tokens if layer == -1 else self.learnable_tokens[layer]

    def forward(self, feats, layer, batch_first=True, has_cls_token=True):
        """Refine the output of block ``layer``: (B, 1 + N, C) if ``batch_first``."""
        if batch_first:
            feats = feats.permute(1, 0, 2)
        if has_cls_token:
            cls_token, feats = torch.tensor_split(feats, [1], dim=0)
        tokens = self.get_tokens(layer)
        attn = torch.einsum('nbc,mc->nbm', feats, tokens)
        if self.use_softmax:
            attn = F.softmax(attn * self.embed_dims**-0.5, dim=-1)
        delta = torch.einsum('nbm,mc->nbc', attn[:, :, 1:], self.mlp_token2feat(tokens[1:]))
        feats = feats + self.scale * self.mlp_delta_f(delta + feats)
        if has_cls_token:
            feats = torch.cat([cls_token, feats], dim=0)
        return feats.permute(1, 0, 2) if batch_first else feats

    def queries(self):
        """Mask2Former queries from the tokens of all layers: (token_length, query_dims)."""
        tokens = self.transform(self.get_tokens(-1)).permute(1, 2, 0)  # (m, Q, L)
        pooled = torch.cat([
            F.max_pool1d(tokens, kernel_size=self.num_layers),
            F.avg_pool1d(tokens, kernel_size=self.num_layers), tokens[:, :, -1:]
        ],
                           dim=-1)  # (m, Q, 3)
        return self.merge(pooled.flatten(-2, -1))


@MODELS.register_module()
class LoRAReins(Reins):
    """Rein with low-rank tokens T_l = A_l B_l (A_l: m x r, B_l: r x C), the official default
    (r = ``lora_dim`` = 16). For DINOv2-L (24 layers, C = 1024, m = 100) with the query link this
    is 2,990,081 trainable parameters: the Rein paper Table 2's 2.99M."""

    def __init__(self, lora_dim=16, **kwargs):
        self.lora_dim = lora_dim
        super().__init__(**kwargs)

    def _build(self):
        super()._build()
        del self.learnable_tokens
        self.learnable_tokens_a = nn.Parameter(
            torch.empty(self.num_layers, self.token_length, self.lora_dim))
        self.learnable_tokens_b = nn.Parameter(
            torch.empty(self.num_layers, self.lora_dim, self.embed_dims))
        bound = self._token_init_bound((self.embed_dims * self.lora_dim)**0.5)
        nn.init.uniform_(self.learnable_tokens_a, -bound, bound)
        nn.init.uniform_(self.learnable_tokens_b, -bound, bound)

    def get_tokens(self, layer):
        if layer == -1:
            return self.learnable_tokens_a @ self.learnable_tokens_b
        return self.learnable_tokens_a[layer] @ self.learnable_tokens_b[layer]
