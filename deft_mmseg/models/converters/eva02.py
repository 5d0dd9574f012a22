"""Official EVA02 checkpoints (baaivision/EVA, e.g. ``eva02_L_pt_m38m_p14.pt``) ->
``VFMVisionTransformer`` weights for mmpretrain's ``ViTEVA02`` (under ``vit.``).

The official blocks keep separate q/k/v projections with q and v biases only, and SwiGLU weights
``w1``/``w2``; mmpretrain fuses them (``attn.qkv`` with a zero k bias, ``mlp.w12``). Rotary tables
are computed, not loaded."""
import re

import torch

from .dinov2 import ConversionKeyError, resize_patch_kernel

_RENAME = {
    'norm1.weight': 'norm1.weight', 'norm1.bias': 'norm1.bias',
    'norm2.weight': 'norm2.weight', 'norm2.bias': 'norm2.bias',
    'attn.proj.weight': 'attn.proj.weight', 'attn.proj.bias': 'attn.proj.bias',
    'mlp.w3.weight': 'mlp.w3.weight', 'mlp.w3.bias': 'mlp.w3.bias',
    'mlp.ffn_ln.weight': 'mlp.norm.weight', 'mlp.ffn_ln.bias': 'mlp.norm.bias',
}
_FUSED = {'attn.q_proj.weight', 'attn.k_proj.weight', 'attn.v_proj.weight', 'attn.q_bias',
          'attn.v_bias', 'mlp.w1.weight', 'mlp.w2.weight', 'mlp.w1.bias', 'mlp.w2.bias'}
_DROPPED_TOP = {'mask_token', 'norm.weight', 'norm.bias', 'fc_norm.weight', 'fc_norm.bias',
                'lm_head.weight', 'lm_head.bias', 'head.weight', 'head.bias'}


def convert_eva02(state_dict, patch_size=None, prefix='vit.'):
    """Map an official EVA02 state dict (``module`` / ``model`` entries are unwrapped)."""
    for key in ('module', 'model'):
        state_dict = state_dict.get(key, state_dict)
    out, parts, unknown = {}, {}, []
    for key, value in state_dict.items():
        match = re.fullmatch(r'blocks\.(\d+)\.(.+)', key)
        if match and match.group(2) in _RENAME:
            out[f'{prefix}layers.{match.group(1)}.{_RENAME[match.group(2)]}'] = value
        elif match and match.group(2) in _FUSED:
            parts.setdefault(match.group(1), {})[match.group(2)] = value
        elif match and 'rope' in match.group(2) or key.startswith('rope.'):
            continue  # rotary tables: computed by mmpretrain
        elif key in ('cls_token', 'pos_embed'):
            out[prefix + key] = value
        elif key.startswith('patch_embed.proj.'):
            out[prefix + key.replace('patch_embed.proj.', 'patch_embed.projection.')] = value
        elif key not in _DROPPED_TOP:
            unknown.append(key)
    if unknown:
        raise ConversionKeyError(f'{len(unknown)} keys are not those of an EVA02 ViT, e.g. '
                                 f'{unknown[:5]}')
    for idx, p in parts.items():
        b = f'{prefix}layers.{idx}.'
        try:
            out[b + 'attn.qkv.weight'] = torch.cat(
                [p['attn.q_proj.weight'], p['attn.k_proj.weight'], p['attn.v_proj.weight']])
            out[b + 'attn.qkv.bias'] = torch.cat(
                [p['attn.q_bias'], torch.zeros_like(p['attn.q_bias']), p['attn.v_bias']])
            out[b + 'mlp.w12.weight'] = torch.cat([p['mlp.w1.weight'], p['mlp.w2.weight']])
            out[b + 'mlp.w12.bias'] = torch.cat([p['mlp.w1.bias'], p['mlp.w2.bias']])
        except KeyError as e:
            raise ConversionKeyError(f'block {idx} lacks {e} (an incomplete EVA02 checkpoint)')
    resize_patch_kernel(out, prefix, patch_size)
    return {k: v.detach().clone() for k, v in out.items()}
