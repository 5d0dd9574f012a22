"""Official DINOv2 checkpoints (facebookresearch/dinov2, e.g. ``dinov2_vitl14_pretrain.pth``) ->
``VFMVisionTransformer`` weights (mmpretrain ViT key names under ``vit.``). The same timm-style
key layout without layer scale is MAE's (``mae_pretrain_vit_large.pth``), so it converts too."""
import re

import torch
import torch.nn.functional as F

from ...utils.errors import ConversionKeyError

#: official key pattern -> mmpretrain key (``{}`` is the block index)
_BLOCK_KEYS = {
    'norm1.weight': 'ln1.weight',
    'norm1.bias': 'ln1.bias',
    'attn.qkv.weight': 'attn.qkv.weight',
    'attn.qkv.bias': 'attn.qkv.bias',
    'attn.proj.weight': 'attn.proj.weight',
    'attn.proj.bias': 'attn.proj.bias',
    'ls1.gamma': 'attn.gamma1.weight',
    'norm2.weight': 'ln2.weight',
    'norm2.bias': 'ln2.bias',
    'mlp.fc1.weight': 'ffn.layers.0.0.weight',
    'mlp.fc1.bias': 'ffn.layers.0.0.bias',
    'mlp.fc2.weight': 'ffn.layers.1.weight',
    'mlp.fc2.bias': 'ffn.layers.1.bias',
    'ls2.gamma': 'ffn.gamma2.weight',
}
_TOP_KEYS = {
    'cls_token': 'cls_token',
    'pos_embed': 'pos_embed',
    'patch_embed.proj.weight': 'patch_embed.projection.weight',
    'patch_embed.proj.bias': 'patch_embed.projection.bias',
}
#: official keys with no counterpart in the segmentation encoder (MIM token, final norm: the
#: encoder returns intermediate block outputs)
_DROPPED = {'mask_token', 'norm.weight', 'norm.bias', 'fc_norm.weight', 'fc_norm.bias'}


def resize_patch_kernel(state, prefix, patch_size):
    """Resize the patch-embedding kernel in ``state`` to ``patch_size`` (bicubic), in place."""
    key = prefix + 'patch_embed.projection.weight'
    if patch_size is not None and state[key].shape[-1] != patch_size:
        state[key] = F.interpolate(
            state[key].float(), size=(patch_size, patch_size), mode='bicubic', align_corners=False)


def convert_dinov2(state_dict, patch_size=None, prefix='vit.'):
    """Map an official DINOv2 state dict to ``VFMVisionTransformer`` keys.

    Args:
        state_dict (dict): the official checkpoint (a state dict, or a dict with ``model``).
        patch_size (int, optional): resize the patch-embedding kernel to this size (bicubic), as
            the Rein release does to run DINOv2 with patch 16; positional embeddings are resized
            by mmpretrain when the weights are loaded.
        prefix (str): prefix of the output keys (``'vit.'`` for ``VFMVisionTransformer``).

    Raises:
        ConversionKeyError: unknown keys (e.g. SwiGLU FFNs of ViT-g, register tokens).
    """
    state_dict = state_dict.get('model', state_dict)
    out, unknown = {}, []
    for key, value in state_dict.items():
        match = re.fullmatch(r'blocks\.(\d+)\.(.+)', key)
        if match and match.group(2) in _BLOCK_KEYS:
            out[f'{prefix}layers.{match.group(1)}.{_BLOCK_KEYS[match.group(2)]}'] = value
        elif key in _TOP_KEYS:
            out[prefix + _TOP_KEYS[key]] = value
        elif key not in _DROPPED:
            unknown.append(key)
    if unknown:
        raise ConversionKeyError(
            f'{len(unknown)} keys are not those of a DINOv2 ViT-S/B/L checkpoint, e.g. '
            f'{unknown[:5]} (SwiGLU FFNs of ViT-g and register tokens are not supported).')
    resize_patch_kernel(out, prefix, patch_size)
    return {k: v.detach().clone() if torch.is_tensor(v) else v for k, v in out.items()}
