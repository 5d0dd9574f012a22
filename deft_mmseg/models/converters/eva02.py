"""Official EVA02 checkpoints (baaivision/EVA) -> ``VFMVisionTransformer`` weights for
mmpretrain's ``ViTEVA02`` with the released attention (:class:`EVA02Attention`, under ``vit.``).

- EVA-02 MIM releases (e.g. ``eva02_L_pt_m38m_p14.pt``): top-level ``blocks.*`` keys;
- EVA-CLIP image towers (e.g. ``EVA02_CLIP_L_psz14_s4B.pt``, ``visual.*`` keys): the same blocks
  plus the attention sub-LN ``attn.inner_attn_ln``; the tower's final ``visual.norm`` and
  projection ``visual.head`` are not encoder weights (see ``clip_image_projection``).

The official blocks keep separate q/k/v projections with q and v biases only, and SwiGLU weights
``w1``/``w2``; here q/k/v are one ``attn.qkv`` Linear (no bias) with ``attn.q_bias`` /
``attn.v_bias`` (the k bias is a constant zero, as released) and mmpretrain's fused ``mlp.w12``.
Rotary tables are computed, not loaded.
"""
import re

import torch

from ...utils.errors import ConversionKeyError
from .dinov2 import resize_patch_kernel

_RENAME = {
    'norm1.weight': 'norm1.weight',
    'norm1.bias': 'norm1.bias',
    'norm2.weight': 'norm2.weight',
    'norm2.bias': 'norm2.bias',
    'attn.proj.weight': 'attn.proj.weight',
    'attn.proj.bias': 'attn.proj.bias',
    'attn.q_bias': 'attn.q_bias',
    'attn.v_bias': 'attn.v_bias',
    'mlp.w3.weight': 'mlp.w3.weight',
    'mlp.w3.bias': 'mlp.w3.bias',
    'mlp.ffn_ln.weight': 'mlp.norm.weight',
    'mlp.ffn_ln.bias': 'mlp.norm.bias',
}
#: EVA-CLIP's attention sub-LN (absent from the EVA-02 MIM releases)
_INNER_LN = {
    'attn.inner_attn_ln.weight': 'attn.inner_attn_ln.weight',
    'attn.inner_attn_ln.bias': 'attn.inner_attn_ln.bias'
}
_FUSED = {
    'attn.q_proj.weight', 'attn.k_proj.weight', 'attn.v_proj.weight', 'mlp.w1.weight',
    'mlp.w2.weight', 'mlp.w1.bias', 'mlp.w2.bias'
}
_DROPPED_TOP = {
    'mask_token', 'norm.weight', 'norm.bias', 'fc_norm.weight', 'fc_norm.bias', 'lm_head.weight',
    'lm_head.bias', 'head.weight', 'head.bias'
}


def _convert_blocks(state_dict, prefix, rename, what):
    out, parts, unknown = {}, {}, []
    for key, value in state_dict.items():
        match = re.fullmatch(r'blocks\.(\d+)\.(.+)', key)
        if match and match.group(2) in rename:
            out[f'{prefix}layers.{match.group(1)}.{rename[match.group(2)]}'] = value
        elif match and match.group(2) in _FUSED:
            parts.setdefault(match.group(1), {})[match.group(2)] = value
        elif match and 'rope' in match.group(2) or key.startswith('rope.'):
            continue  # rotary tables: computed (EVA02RotaryEmbedding)
        elif key in ('cls_token', 'pos_embed'):
            out[prefix + key] = value
        elif key.startswith('patch_embed.proj.'):
            out[prefix + key.replace('patch_embed.proj.', 'patch_embed.projection.')] = value
        elif key not in _DROPPED_TOP:
            unknown.append(key)
    if unknown:
        raise ConversionKeyError(f'{len(unknown)} keys are not those of {what}, e.g. '
                                 f'{unknown[:5]}')
    if not parts:
        raise ConversionKeyError(f'no transformer blocks of {what} in this checkpoint')
    for idx, p in parts.items():
        b = f'{prefix}layers.{idx}.'
        try:
            out[b + 'attn.qkv.weight'] = torch.cat(
                [p['attn.q_proj.weight'], p['attn.k_proj.weight'], p['attn.v_proj.weight']])
            out[b + 'mlp.w12.weight'] = torch.cat([p['mlp.w1.weight'], p['mlp.w2.weight']])
            out[b + 'mlp.w12.bias'] = torch.cat([p['mlp.w1.bias'], p['mlp.w2.bias']])
        except KeyError as e:
            raise ConversionKeyError(f'block {idx} lacks {e} (an incomplete {what} checkpoint)')
    return out


def convert_eva02(state_dict, patch_size=None, prefix='vit.'):
    """Map an official EVA-02 MIM state dict (``module`` / ``model`` entries are unwrapped)."""
    for key in ('module', 'model'):
        state_dict = state_dict.get(key, state_dict)
    if any(k.startswith('visual.') for k in state_dict):
        raise ConversionKeyError('this is an EVA-CLIP checkpoint (visual.* keys): convert it '
                                 'with `tools/model_converters/vfm.py eva-clip`')
    out = _convert_blocks(state_dict, prefix, _RENAME, 'an EVA-02 ViT')
    resize_patch_kernel(out, prefix, patch_size)
    return {k: v.detach().clone() for k, v in out.items()}


def convert_eva_clip_visual(state_dict, patch_size=None, prefix='vit.'):
    """Map the image tower (``visual.*``) of an official EVA-CLIP state dict; other keys (the
    text tower, ``logit_scale``) are ignored. For ``VFMVisionTransformer(vit=ViTEVA02,
    eva02_attention=dict(inner_attn_ln=True))``."""
    for key in ('module', 'model', 'state_dict'):
        state_dict = state_dict.get(key, state_dict)
    visual = {k[len('visual.'):]: v for k, v in state_dict.items() if k.startswith('visual.')}
    if not visual:
        raise ConversionKeyError('no visual.* keys: not an EVA-CLIP checkpoint (an EVA-02 MIM '
                                 'checkpoint converts with `vfm.py eva02`)')
    out = _convert_blocks(visual, prefix, {**_RENAME, **_INNER_LN}, 'an EVA-CLIP image tower')
    if not any(k.endswith('attn.inner_attn_ln.weight') for k in out):
        raise ConversionKeyError('the image tower has no attn.inner_attn_ln: an EVA01-CLIP or '
                                 'non-subln tower, which VLTSeg configs do not build')
    resize_patch_kernel(out, prefix, patch_size)
    return {k: v.detach().clone() for k, v in out.items()}
