"""Official Segment Anything checkpoints (facebookresearch/segment-anything, e.g.
``sam_vit_h_4b8939.pth``) -> ``VFMVisionTransformer`` weights for mmpretrain's ``ViTSAM``
(under ``vit.``). Only the image encoder is kept; its channel-reduction neck is not used.
Positional and relative-position tables are resized by mmpretrain when loaded."""
import re

from ...utils.errors import ConversionKeyError

_RENAME = {
    'norm1.weight': 'ln1.weight',
    'norm1.bias': 'ln1.bias',
    'norm2.weight': 'ln2.weight',
    'norm2.bias': 'ln2.bias',
    'attn.qkv.weight': 'attn.qkv.weight',
    'attn.qkv.bias': 'attn.qkv.bias',
    'attn.proj.weight': 'attn.proj.weight',
    'attn.proj.bias': 'attn.proj.bias',
    'attn.rel_pos_h': 'attn.rel_pos_h',
    'attn.rel_pos_w': 'attn.rel_pos_w',
    'mlp.lin1.weight': 'ffn.layers.0.0.weight',
    'mlp.lin1.bias': 'ffn.layers.0.0.bias',
    'mlp.lin2.weight': 'ffn.layers.1.weight',
    'mlp.lin2.bias': 'ffn.layers.1.bias',
}


def convert_sam(state_dict, prefix='vit.'):
    """Map the ``image_encoder.*`` part of an official SAM state dict."""
    out, unknown = {}, []
    for key, value in state_dict.items():
        if not key.startswith('image_encoder.') or key.startswith('image_encoder.neck.'):
            continue  # prompt encoder, mask decoder, encoder neck
        rest = key[len('image_encoder.'):]
        match = re.fullmatch(r'blocks\.(\d+)\.(.+)', rest)
        if match and match.group(2) in _RENAME:
            out[f'{prefix}layers.{match.group(1)}.{_RENAME[match.group(2)]}'] = value
        elif rest == 'pos_embed':
            out[prefix + 'pos_embed'] = value
        elif rest.startswith('patch_embed.proj.'):
            out[prefix + rest.replace('patch_embed.proj.', 'patch_embed.projection.')] = value
        else:
            unknown.append(key)
    if unknown or not out:
        raise ConversionKeyError('not a SAM image encoder: ' + (
            f'unknown keys {unknown[:5]}' if unknown else 'no image_encoder.* keys'))
    return {k: v.detach().clone() for k, v in out.items()}
