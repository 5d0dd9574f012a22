"""Checkpoints without the VFM trunk: released PEFT checkpoints and slim exports.

A VFM model (``EncoderDecoder`` with a ``VFMVisionTransformer`` backbone: Rein, LoRA, VPT,
AdaptFormer, frozen, FisherTune) holds its pretrained ViT under ``backbone.vit.*`` (the *trunk*,
hundreds of MB), and what training changed elsewhere (``backbone.reins.*``, ``decode_head.*``, ...:
a few MB). The Rein release ships only the latter and loads the trunk from the converted VFM file
(its ``--backbone`` option). Here:

- :func:`trunk_state` reads a trunk file: converter output (``vit.*`` keys), any checkpoint with
  ``backbone.vit.*``, or a file in the official DINOv2 key layout (``blocks.N.*``), which is how
  the Rein release ships its trunk (``dinov2_converted.pth``: the official keys with the patch
  embedding resized to 16 and the position embedding to 32x32; w1oves/Rein,
  tools/convert_models/convert_dinov2_large_512x512.py): converted here by
  :func:`~deft_mmseg.models.converters.convert_dinov2`, as tools/model_converters/vfm.py would.
- :func:`fill_trunk` completes such a checkpoint from a trunk file and expands a slim
  checkpoint's sparse trunk changes; ``FrozenTrunkHook`` calls it on every checkpoint the
  runner loads.
- :func:`slim_checkpoint` writes the inverse: every tensor outside the trunk, trunk tensors that
  differ from the trunk file (FisherTune's sparse updates as ``(flat index, new value)`` pairs,
  dense tensors when most elements changed), and a fingerprint of the trunk it was taken against,
  so that merging with another trunk file is refused instead of giving silently wrong weights.

Merging a slim checkpoint with its trunk gives back the full state dict bit for bit.
"""
import torch

from ..utils.errors import CheckpointMismatchError
from .converters.dinov2 import convert_dinov2

TRUNK_PREFIX = 'backbone.vit.'
#: keys that mark the official DINOv2 (and MAE) layout, as facebookresearch/dinov2 saves it
OFFICIAL_DINOV2_KEYS = ('patch_embed.proj.weight', 'blocks.0.attn.qkv.weight')
#: a trunk tensor is stored sparse when at most this fraction of its elements changed
SPARSE_MAX_FRACTION = 0.5


def trunk_state(checkpoint, source='trunk file'):
    """``{backbone.vit.<name>: tensor}`` from a converted VFM file (``vit.*`` keys, as
    tools/model_converters/vfm.py writes), a full model checkpoint (``backbone.vit.*``) or an
    official DINOv2 / MAE state dict (converted; see the module docstring).

    Raises:
        CheckpointMismatchError: no trunk weights in a layout known here.
        ConversionKeyError: an official-layout file with keys DINOv2 ViT-S/B/L do not have.
    """
    state = checkpoint.get('state_dict', checkpoint) if isinstance(checkpoint, dict) else None
    if not isinstance(state, dict):
        raise CheckpointMismatchError(f'{source} holds no state dict.')
    if all(key in state for key in OFFICIAL_DINOV2_KEYS):
        return convert_dinov2(state, prefix=TRUNK_PREFIX)
    out = {}
    for key, value in state.items():
        if key.startswith(TRUNK_PREFIX):
            out[key] = value
        elif key.startswith('vit.'):
            out['backbone.' + key] = value
    if not out:
        raise CheckpointMismatchError(
            f'{source} has no ViT trunk weights (keys vit.* or backbone.vit.*; it has e.g. '
            f'{list(state)[:3]}). Give the file tools/model_converters/vfm.py wrote for this VFM.')
    return out


def trunk_fingerprint(trunk):
    """Two float sums per trunk (order-independent over keys): cheap, and differs for another
    file of the same architecture."""
    total = torch.zeros((), dtype=torch.float64)
    absolute = torch.zeros((), dtype=torch.float64)
    for key in sorted(trunk):
        t = trunk[key].detach().to(torch.float64)
        total += t.sum()
        absolute += t.abs().sum()
    return [float(total), float(absolute)]


def _check_trunk_fits(trunk, model_state, source):
    expected = {k: v for k, v in model_state.items() if k.startswith(TRUNK_PREFIX)}
    missing = [k for k in expected if k not in trunk]
    shapes = [
        f'{k}: trunk {tuple(trunk[k].shape)} vs model {tuple(v.shape)}'
        for k, v in expected.items() if k in trunk and trunk[k].shape != v.shape
    ]
    if missing or shapes or not expected:
        what = shapes[:2] if shapes else (missing[:2] or ['the model has no backbone.vit.*'])
        raise CheckpointMismatchError(
            f'{source} does not fit the model\'s ViT trunk ({len(shapes)} shapes differ, '
            f'{len(missing)} weights missing, e.g. {what}): it is the trunk of another VFM or '
            f'size. Give the converted file of the VFM this config uses.')


def slim_checkpoint(state_dict, trunk, meta=None):
    """The slim form of a full ``state_dict`` taken against ``trunk`` (see module docstring)."""
    _check_trunk_fits(trunk, state_dict, 'the trunk file')
    slim_state, deltas = {}, {}
    for key, value in state_dict.items():
        if not key.startswith(TRUNK_PREFIX):
            slim_state[key] = value
            continue
        reference = trunk[key].to(value.dtype)
        changed = (value != reference).flatten().nonzero().flatten()
        if changed.numel() == 0:
            continue
        if changed.numel() <= SPARSE_MAX_FRACTION * value.numel():
            deltas[key] = dict(index=changed, value=value.flatten()[changed].clone())
        else:
            slim_state[key] = value
    slim_meta = dict(meta or {})
    slim_meta['slim'] = dict(
        trunk_prefix=TRUNK_PREFIX,
        trunk_fingerprint=trunk_fingerprint(trunk),
        trunk_keys=len([k for k in state_dict if k.startswith(TRUNK_PREFIX)]))
    return dict(state_dict=slim_state, trunk_deltas=deltas, meta=slim_meta)


def is_slim(checkpoint):
    return isinstance(checkpoint, dict) and 'slim' in (checkpoint.get('meta') or {})


def fill_trunk(checkpoint, trunk, model_state, source='the trunk file'):
    """Complete ``checkpoint`` (in place) with the trunk weights it lacks, for a model whose state
    dict is ``model_state``: a released PEFT checkpoint (no ``backbone.vit.*`` at all) or a slim
    one (its ``trunk_deltas`` applied on top of the trunk). Returns the number of trunk tensors
    taken from ``trunk``.

    Raises:
        CheckpointMismatchError: the trunk does not fit the model, or is not the trunk a slim
            checkpoint was taken against.
    """
    _check_trunk_fits(trunk, model_state, source)
    state = checkpoint.setdefault('state_dict', {})
    if is_slim(checkpoint):
        expected = checkpoint['meta']['slim']['trunk_fingerprint']
        got = trunk_fingerprint(trunk)
        if not all(abs(a - b) <= 1e-9 * max(1.0, abs(a)) for a, b in zip(expected, got)):
            raise CheckpointMismatchError(
                f'{source} is not the trunk this slim checkpoint was exported against (weight '
                f'sums {got} vs {expected}): give the same converted VFM file as at export.')
    deltas = checkpoint.pop('trunk_deltas', None) or {}
    filled = 0
    for key in model_state:
        if not key.startswith(TRUNK_PREFIX) or key in state:
            continue
        value = trunk[key].to(model_state[key].dtype).clone()
        if key in deltas:
            flat = value.view(-1)
            flat[deltas[key]['index']] = deltas[key]['value'].to(value.dtype)
        state[key] = value
        filled += 1
    if is_slim(checkpoint):
        checkpoint['meta'].pop('slim')
    return filled
