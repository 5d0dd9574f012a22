"""Official OpenAI CLIP checkpoints (the ``visual.*`` image encoder, e.g. ViT-L/14) ->
``VFMVisionTransformer`` weights (mmpretrain ViT with ``pre_norm`` under ``vit.``)."""
import re

from ...utils.errors import ConversionKeyError

_BLOCK_KEYS = {
    'ln_1.weight': 'ln1.weight',
    'ln_1.bias': 'ln1.bias',
    'attn.in_proj_weight': 'attn.qkv.weight',
    'attn.in_proj_bias': 'attn.qkv.bias',
    'attn.out_proj.weight': 'attn.proj.weight',
    'attn.out_proj.bias': 'attn.proj.bias',
    'ln_2.weight': 'ln2.weight',
    'ln_2.bias': 'ln2.bias',
    'mlp.c_fc.weight': 'ffn.layers.0.0.weight',
    'mlp.c_fc.bias': 'ffn.layers.0.0.bias',
    'mlp.c_proj.weight': 'ffn.layers.1.weight',
    'mlp.c_proj.bias': 'ffn.layers.1.bias',
}
#: image-encoder keys with no counterpart here (the final norm and the joint-embedding projection)
_DROPPED = {'visual.ln_post.weight', 'visual.ln_post.bias', 'visual.proj'}


def convert_clip(state_dict, prefix='vit.'):
    """Map the image encoder of an OpenAI CLIP state dict; text-encoder keys are ignored.

    Raises:
        ConversionKeyError: no ``visual.*`` keys, or unknown ones (e.g. a ResNet CLIP).
    """
    state_dict = state_dict.get('state_dict', state_dict)
    out, unknown = {}, []
    for key, value in state_dict.items():
        if not key.startswith('visual.') or key in _DROPPED:
            continue
        match = re.fullmatch(r'visual\.transformer\.resblocks\.(\d+)\.(.+)', key)
        if match and match.group(2) in _BLOCK_KEYS:
            out[f'{prefix}layers.{match.group(1)}.{_BLOCK_KEYS[match.group(2)]}'] = value
        elif key == 'visual.class_embedding':
            out[prefix + 'cls_token'] = value.reshape(1, 1, -1)
        elif key == 'visual.positional_embedding':
            out[prefix + 'pos_embed'] = value.unsqueeze(0)
        elif key == 'visual.conv1.weight':
            out[prefix + 'patch_embed.projection.weight'] = value
        elif key.startswith('visual.ln_pre.'):
            out[prefix + 'pre_norm.' + key.rsplit('.', 1)[1]] = value
        else:
            unknown.append(key)
    if unknown or not out:
        raise ConversionKeyError('not the image encoder of an OpenAI CLIP ViT: ' +
                                 (f'unknown keys {unknown[:5]}' if unknown else 'no visual.* keys'))
    return {k: v.detach().clone() for k, v in out.items()}
