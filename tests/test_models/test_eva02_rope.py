"""EVA02's rotary embedding against the EVA-02 release's formulas, written out here element by
element, and a whole EVA02 block against a reference block built from official-name weights."""
import math

import pytest
import torch
import torch.nn.functional as F
from mmseg.registry import MODELS

from deft_mmseg.models.backbones.eva02_rope import EVA02RotaryEmbedding, eva02_rope_tables
from deft_mmseg.models.converters import convert_eva02
from test_model_converters import VITS, C, official_eva02_state


def reference_angle(i, j, c, head_dim, grid, pt_grid=16, theta=10000.):
    """The release (VisionRotaryEmbeddingFast, intp to the fine-tuning grid): channel c of the
    token at row i, column j. First half of the channels: row angles; second half: columns; the
    two channels of an interleaved pair share one frequency."""
    dim = head_dim // 2
    axis_pos, n = (i, grid[0]) if c < dim else (j, grid[1])
    k = (c % dim) // 2
    freq = 1.0 / theta**(2 * k / dim)
    return axis_pos / n * pt_grid * freq


def reference_tables(head_dim, grid, pt_grid=16):
    h, w = grid
    angles = torch.tensor(
        [[reference_angle(i, j, c, head_dim, grid, pt_grid) for c in range(head_dim)]
         for i in range(h) for j in range(w)],
        dtype=torch.float64)
    return angles.cos(), angles.sin()


def reference_rope(x, grid, pt_grid=16):
    """x (..., H*W, head_dim): each interleaved pair (x0, x1) rotated by its angle."""
    cos, sin = reference_tables(x.shape[-1], grid, pt_grid)
    out = torch.empty_like(x)
    out[..., 0::2] = x[..., 0::2] * cos[:, 0::2].to(x) - x[..., 1::2] * sin[:, 0::2].to(x)
    out[..., 1::2] = x[..., 1::2] * cos[:, 1::2].to(x) + x[..., 0::2] * sin[:, 1::2].to(x)
    return out


@pytest.mark.parametrize('head_dim,grid', [(64, (16, 16)), (64, (32, 32)), (16, (4, 6))])
def test_tables_equal_the_release_at_the_pretraining_grid_and_beyond(head_dim, grid):
    cos, sin = eva02_rope_tables(head_dim, grid, pt_grid=16)
    ref_cos, ref_sin = reference_tables(head_dim, grid)
    torch.testing.assert_close(cos.double(), ref_cos, rtol=0, atol=2e-6)
    torch.testing.assert_close(sin.double(), ref_sin, rtol=0, atol=2e-6)


def test_mmpretrain_table_is_not_the_release():
    """Why mmpretrain's RotaryEmbeddingFast is replaced (the Rein EVA02-L setting)."""
    from mmpretrain.models.utils import RotaryEmbeddingFast
    theirs = RotaryEmbeddingFast(embed_dims=64, patch_resolution=(32, 32))
    ref_cos, _ = reference_tables(64, (32, 32))
    assert (theirs.freqs_cos.double() - ref_cos).abs().max() > 1.0


def test_rotation_keeps_the_norm_and_logits_depend_only_on_the_offset():
    rope = EVA02RotaryEmbedding(head_dim=16)
    grid = (6, 6)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2, 3, 36, 16, generator=g)
    y = rope(x, grid)
    torch.testing.assert_close(y.norm(dim=-1), x.norm(dim=-1), rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(y, reference_rope(x, grid), rtol=1e-5, atol=1e-5)
    # one query and one key vector placed at every position: <R_p q, R_p' k> = f(p - p')
    q = torch.randn(16, generator=g).expand(1, 1, 36, 16)
    k = torch.randn(16, generator=g).expand(1, 1, 36, 16)
    logits = (rope(q, grid)[0, 0] @ rope(k, grid)[0, 0].T).view(6, 6, 6, 6)
    for (di, dj) in [(0, 0), (1, 2), (-3, 1), (2, -4)]:
        vals = [
            logits[i, j, i - di, j - dj] for i in range(6) for j in range(6)
            if 0 <= i - di < 6 and 0 <= j - dj < 6
        ]
        assert max(vals) - min(vals) < 1e-4, (di, dj)


def _layer_norm(x, w, b):
    return F.layer_norm(x, (x.shape[-1], ), w, b, eps=1e-6)  # the release's eps


def reference_block(x, w, i, grid, heads):
    """One block of the EVA-02 release from its official weights: separate q/k/v projections
    (q and v biases), rope on the patch tokens (not the class token), SwiGLU with ffn_ln."""
    p = f'blocks.{i}.'
    B, N, C_ = x.shape
    h = _layer_norm(x, w[p + 'norm1.weight'], w[p + 'norm1.bias'])
    q = F.linear(h, w[p + 'attn.q_proj.weight'], w[p + 'attn.q_bias'])
    k = F.linear(h, w[p + 'attn.k_proj.weight'])
    v = F.linear(h, w[p + 'attn.v_proj.weight'], w[p + 'attn.v_bias'])
    q, k, v = (t.view(B, N, heads, -1).transpose(1, 2) for t in (q, k, v))
    q = torch.cat([q[:, :, :1], reference_rope(q[:, :, 1:], grid)], dim=2)
    k = torch.cat([k[:, :, :1], reference_rope(k[:, :, 1:], grid)], dim=2)
    attn = (q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])).softmax(-1)
    out = (attn @ v).transpose(1, 2).reshape(B, N, C_)
    x = x + F.linear(out, w[p + 'attn.proj.weight'], w[p + 'attn.proj.bias'])
    h = _layer_norm(x, w[p + 'norm2.weight'], w[p + 'norm2.bias'])
    hidden = F.silu(F.linear(h, w[p + 'mlp.w1.weight'], w[p + 'mlp.w1.bias'])) * F.linear(
        h, w[p + 'mlp.w2.weight'], w[p + 'mlp.w2.bias'])
    hidden = _layer_norm(hidden, w[p + 'mlp.ffn_ln.weight'], w[p + 'mlp.ffn_ln.bias'])
    return x + F.linear(hidden, w[p + 'mlp.w3.weight'], w[p + 'mlp.w3.bias'])


@pytest.mark.parametrize('grid', [(4, 4), (3, 5)])  # square and non-square patch grids
def test_eva02_block_matches_the_release_from_official_weights(grid):
    official = {k: v.double() for k, v in official_eva02_state().items()}
    vit = dict(VITS['eva02'], norm_cfg=dict(type='LN', eps=1e-6))
    backbone = MODELS.build(
        dict(type='VFMVisionTransformer', out_indices=(0, 1), scales=(1, 1), vit=vit))
    backbone.load_state_dict(convert_eva02(official), strict=True)  # no rope tables to load
    backbone.double()  # float64 on both sides: the comparison is of formulas, not rounding
    assert isinstance(backbone.vit.layers[1].attn.rope, EVA02RotaryEmbedding)
    x = torch.randn(
        2,
        1 + grid[0] * grid[1],
        C,
        generator=torch.Generator().manual_seed(1),
        dtype=torch.float64)
    with torch.no_grad():
        for i, layer in enumerate(backbone.vit.layers):
            ours = layer(x, grid)
            ref = reference_block(x, official, i, grid, heads=2)
            torch.testing.assert_close(ours, ref, rtol=1e-9, atol=1e-9)
            x = ref


@pytest.mark.parametrize('inner_attn_ln', [False, True])  # EVA02 / EVA02-CLIP attention
def test_eva02_trunk_without_norm_cfg_gets_the_released_eps_in_every_norm(inner_attn_ln):
    """A config that leaves ``vit.norm_cfg`` out: every LayerNorm of the trunk, the released
    attention's included, has the release's eps (1e-6, baaivision/EVA
    EVA-02/asuka/modeling_finetune.py ``norm_layer=partial(FusedLayerNorm, eps=1e-6)``), the value
    every shipped EVA02 config writes; and the block is still the release's forward. mmpretrain's
    default (1e-5), or a fallback that reaches only the attention's norm, fails."""
    from torch import nn

    from repo_paths import shipped_config
    written = shipped_config('rein', 'rein_eva02-l_mask2former_1xb4-40k_gtav-512x512.py')
    assert 'norm_cfg' not in VITS['eva02']
    backbone = MODELS.build(
        dict(
            type='VFMVisionTransformer',
            out_indices=(0, 1),
            scales=(1, 1),
            vit=dict(VITS['eva02']),
            eva02_attention=dict(inner_attn_ln=inner_attn_ln)))
    eps = {m.eps for m in backbone.modules() if isinstance(m, nn.LayerNorm)}
    assert eps == {1e-6} == {written.model.backbone.vit.norm_cfg.eps}
    if inner_attn_ln:
        return
    official = {k: v.double() for k, v in official_eva02_state().items()}
    backbone.load_state_dict(convert_eva02(official), strict=True)
    backbone.double()
    x = torch.randn(2, 1 + 16, C, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    with torch.no_grad():
        torch.testing.assert_close(
            backbone.vit.layers[0](x, (4, 4)),
            reference_block(x, official, 0, (4, 4), heads=2),
            rtol=1e-9,
            atol=1e-9)


def test_every_eva02_config_uses_the_released_embedding_and_eps():
    from repo_paths import CONFIGS, shipped_config
    found = 0
    for path in CONFIGS:
        cfg = shipped_config(path)
        backbone = cfg.model.get('backbone', {})
        if 'ViTEVA02' not in str(backbone.get('vit', {}).get('type', '')):
            continue
        found += 1
        assert backbone.get('eva02_rope', dict(pt_grid=16)) == dict(pt_grid=16), path
        assert backbone['vit']['norm_cfg'] == dict(type='LN', eps=1e-6), path
    assert found >= 3
