"""Load one part of a converted checkpoint into a module, refusing files that do not fit.

mmengine's ``Pretrained`` init loads with ``strict=False`` and only logs missing keys and shape
mismatches, so a checkpoint of another variant (ViT-B instead of ViT-L, another patch size, the
OpenAI CLIP text tower under an EVA-CLIP config) would train from a half-random model without an
error. This check runs before such loads (``VFMVisionTransformer`` and the VLTSeg head).
"""
from mmengine.runner.checkpoint import CheckpointLoader

from ..utils.errors import CheckpointMismatchError


def read_part(checkpoint, prefix):
    """``{key without prefix: tensor}`` for the entries of ``checkpoint`` under ``prefix``."""
    state = CheckpointLoader.load_checkpoint(checkpoint, map_location='cpu', logger='silent')
    return sub_part(state.get('state_dict', state), prefix)


def check_part_fits(module, part, source, what, under='', resized=()):
    """Raise :class:`CheckpointMismatchError` unless every weight of ``module`` whose name starts
    with ``under`` is in ``part`` with the same shape (names in ``resized`` are resized on load
    and may differ in shape)."""
    expected = {k: v for k, v in module.state_dict().items() if k.startswith(under)}
    missing = [k for k in expected if k not in part]
    shapes = [
        f'{k}: file {tuple(part[k].shape)} vs model {tuple(v.shape)}' for k, v in expected.items()
        if k in part and k not in resized and tuple(part[k].shape) != tuple(v.shape)
    ]
    if not part or missing or shapes:
        detail = (f'{len(shapes)} weights differ in shape, e.g. {shapes[:2]}'
                  if shapes else f'{len(missing)} weights are missing, e.g. {missing[:3]}')
        raise CheckpointMismatchError(
            f'{source} does not fit {what}: {detail}. It is a checkpoint of another model '
            f'variant (width, depth, patch size) or conversion; convert the release the config '
            f'names (tools/model_converters/vfm.py, docs/vfm.md).')


def sub_part(part, prefix):
    """The entries of ``part`` under ``prefix``, with the prefix removed."""
    return {k[len(prefix):]: v for k, v in part.items() if k.startswith(prefix)}


def load_part(module, part, source, what, resized=()):
    """Check (:func:`check_part_fits`) then load ``part`` into ``module`` (``strict=True``)."""
    check_part_fits(module, part, source, what, resized=resized)
    module.load_state_dict(part, strict=True)
