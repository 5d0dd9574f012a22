"""The text tower and image projection of official CLIP / EVA-CLIP checkpoints, and the one-file
VLTSeg layout (``tools/model_converters/vfm.py vltseg-eva-clip|vltseg-clip``).

Text tower, OpenAI CLIP (``ViT-L-14.pt``) and EVA-CLIP (``EVA02_CLIP_L_psz14_s4B.pt``) alike:
``token_embedding``, ``positional_embedding``, ``transformer.resblocks.N.{ln_1, attn.in_proj_*,
attn.out_proj.*, ln_2, mlp.c_fc.*, mlp.c_proj.*}``, ``ln_final``, ``text_projection``,
``logit_scale`` (top-level, or under ``text.`` in open_clip's CustomCLIP layout) -> mmseg 1.2.2's
``CLIPTextEncoder`` names (``transformer.N.attentions.0.attn.*``, ``norms.0/1``,
``ffns.0.layers.0.0`` / ``layers.1``).

Image projection: the tower's final norm and projection into the joint space, for the
pixel-text score map of VLTSeg (``VLTSegMask2FormerHead.pixel_text_proj``): OpenAI
``visual.ln_post`` + ``visual.proj`` (width x embed, applied as ``x @ proj``, no bias), EVA-CLIP
``visual.norm`` + ``visual.head`` (a Linear with bias).
"""
import re

import torch

from ...utils.errors import ConversionKeyError
from .clip import convert_clip
from .eva02 import convert_eva_clip_visual

_TEXT_BLOCK_KEYS = {
    'ln_1.weight': 'norms.0.weight',
    'ln_1.bias': 'norms.0.bias',
    'attn.in_proj_weight': 'attentions.0.attn.in_proj_weight',
    'attn.in_proj_bias': 'attentions.0.attn.in_proj_bias',
    'attn.out_proj.weight': 'attentions.0.attn.out_proj.weight',
    'attn.out_proj.bias': 'attentions.0.attn.out_proj.bias',
    'ln_2.weight': 'norms.1.weight',
    'ln_2.bias': 'norms.1.bias',
    'mlp.c_fc.weight': 'ffns.0.layers.0.0.weight',
    'mlp.c_fc.bias': 'ffns.0.layers.0.0.bias',
    'mlp.c_proj.weight': 'ffns.0.layers.1.weight',
    'mlp.c_proj.bias': 'ffns.0.layers.1.bias',
}
_TEXT_TOP_KEYS = ('token_embedding.weight', 'positional_embedding', 'ln_final.weight',
                  'ln_final.bias', 'text_projection', 'logit_scale')
#: top-level keys of a CLIP checkpoint that belong to neither tower's weights
_NOT_TEXT = ('visual.', 'attn_mask', 'input_resolution', 'context_length', 'vocab_size')


def _unwrap(state_dict):
    for key in ('module', 'model', 'state_dict'):
        state_dict = state_dict.get(key, state_dict)
    return state_dict


def convert_clip_text(state_dict, prefix=''):
    """Map the text tower of an official CLIP / EVA-CLIP state dict to ``CLIPTextEncoder`` keys.

    Raises:
        ConversionKeyError: no text tower, unknown text keys, or a missing one.
    """
    state_dict = _unwrap(state_dict)
    out, unknown = {}, []
    for key, value in state_dict.items():
        name = key[len('text.'):] if key.startswith('text.') else key
        if name.startswith(_NOT_TEXT):
            continue
        match = re.fullmatch(r'transformer\.resblocks\.(\d+)\.(.+)', name)
        if match and match.group(2) in _TEXT_BLOCK_KEYS:
            out[f'{prefix}transformer.{match.group(1)}.{_TEXT_BLOCK_KEYS[match.group(2)]}'] = value
        elif name in _TEXT_TOP_KEYS:
            out[prefix + name] = value
        else:
            unknown.append(key)
    if unknown:
        raise ConversionKeyError(f'{len(unknown)} keys are not those of a CLIP text tower, e.g. '
                                 f'{unknown[:5]} (Hugging Face text towers are not supported)')
    missing = [k for k in _TEXT_TOP_KEYS if prefix + k not in out]
    if missing:
        raise ConversionKeyError(f'no CLIP text tower in this checkpoint (missing {missing})')
    return {k: v.detach().clone() for k, v in out.items()}


def clip_image_projection(state_dict, prefix=''):
    """The image tower's final LayerNorm and joint-space projection as ``{norm.*, linear.*}``:
    ``linear(norm(x))`` equals the release's ``ln_post(x) @ proj`` (OpenAI) or
    ``head(norm(x))`` (EVA-CLIP) on every token."""
    state_dict = _unwrap(state_dict)
    if 'visual.proj' in state_dict:  # OpenAI CLIP
        proj = state_dict['visual.proj']
        out = {
            'norm.weight': state_dict['visual.ln_post.weight'],
            'norm.bias': state_dict['visual.ln_post.bias'],
            'linear.weight': proj.t(),
            'linear.bias': torch.zeros(proj.shape[1])
        }
    elif 'visual.head.weight' in state_dict:  # EVA-CLIP
        out = {
            'norm.weight': state_dict['visual.norm.weight'],
            'norm.bias': state_dict['visual.norm.bias'],
            'linear.weight': state_dict['visual.head.weight'],
            'linear.bias': state_dict['visual.head.bias']
        }
    else:
        raise ConversionKeyError('no image projection (visual.proj or visual.head) in this '
                                 'checkpoint')
    return {prefix + k: v.detach().clone().contiguous() for k, v in out.items()}


def convert_vltseg(state_dict, source, patch_size=None):
    """One file for a VLTSeg model: ``backbone.vit.*`` (image tower), ``decode_head.text_encoder.*``
    (text tower) and ``decode_head.pixel_text_proj.*`` (image projection).

    Args:
        source (str): ``'eva-clip'`` (EVA02-CLIP, ``visual.blocks.*``) or ``'clip'`` (OpenAI CLIP
            ViT, ``visual.transformer.resblocks.*``).
    """
    state_dict = _unwrap(state_dict)
    if source == 'eva-clip':
        if 'visual.transformer.resblocks.0.ln_1.weight' in state_dict:
            raise ConversionKeyError('this is an OpenAI CLIP checkpoint: convert it with '
                                     '`vfm.py vltseg-clip`')
        visual = convert_eva_clip_visual(state_dict, patch_size, prefix='backbone.vit.')
    elif source == 'clip':
        if any(k.startswith('visual.blocks.') for k in state_dict):
            raise ConversionKeyError('this is an EVA-CLIP checkpoint: convert it with '
                                     '`vfm.py vltseg-eva-clip`')
        visual = convert_clip(state_dict, prefix='backbone.vit.')
    else:
        raise ValueError(f'convert_vltseg: source must be eva-clip or clip, not {source!r}')
    return {
        **visual,
        **convert_clip_text(state_dict, prefix='decode_head.text_encoder.'),
        **clip_image_projection(state_dict, prefix='decode_head.pixel_text_proj.')
    }
