"""Refuse checkpoints that do not fit the model, instead of loading them half-way or into a
network that would feed their weights other features."""
from typing import Dict, List, Optional

import torch.nn as nn
from mmengine.hooks import Hook
from mmengine.runner import Runner
from mmseg.registry import HOOKS
from torch import Tensor

from ...models.segmentors import DualPathwaySegmentor, expand_plain_state_dict
from ...utils.checkpoint_loading import recorded_config
from ...utils.errors import CheckpointMismatchError
from ...utils.model_wrappers import unwrap_model


def check_checkpoint_matches(model: nn.Module,
                             state_dict: Dict[str, Tensor],
                             source: str = 'checkpoint',
                             allow_missing: bool = False) -> None:
    """Raise :class:`CheckpointMismatchError` if ``state_dict`` does not fit ``model``.

    Mismatched shapes always raise; keys of the model absent from the checkpoint raise unless
    ``allow_missing`` (they would silently keep their random initialization).
    """
    if isinstance(model, DualPathwaySegmentor):  # it loads plain checkpoints into both pathways
        state_dict = expand_plain_state_dict(dict(state_dict))
    expected = model.state_dict()
    common = [k for k in expected if k in state_dict]
    if not common:
        raise CheckpointMismatchError(
            f'{source} shares no weight names with the model {type(model).__name__} (e.g. '
            f'checkpoint has {list(state_dict)[:3]}, model expects {list(expected)[:3]}). It was '
            f'trained with another architecture: use the config it was trained with.')
    shapes = [
        f'{k}: checkpoint {tuple(state_dict[k].shape)} vs model {tuple(expected[k].shape)}'
        for k in common if hasattr(state_dict[k], 'shape')
        and tuple(state_dict[k].shape) != tuple(expected[k].shape)
    ]
    if shapes:
        raise CheckpointMismatchError(
            f'{source} does not fit the model: {len(shapes)} weights differ in shape, e.g. '
            f'{shapes[:3]}. Was it trained with another config (num_classes, depth, width)?')
    # the regularizer's anchors are training state: a checkpoint written without one may be
    # loaded into a model that has one (set_anchor fills them when finetuning starts)
    missing = [k for k in expected if k not in state_dict and not k.startswith('distance_reg.')]
    if missing and not allow_missing and all(k.startswith('backbone.vit.') for k in missing):
        raise CheckpointMismatchError(
            f'{source} lacks the ViT trunk (backbone.vit.*, {len(missing)} weights): a released '
            f'PEFT checkpoint or a slim export. Give the converted VFM file: tools/test.py (or '
            f'train.py) --backbone FILE, or custom_hooks=[dict(type=\'FrozenTrunkHook\', '
            f'checkpoint=FILE)] in the config.')
    if missing and not allow_missing:
        raise CheckpointMismatchError(
            f'{source} lacks {len(missing)} of the model\'s {len(expected)} weights, e.g. '
            f'{missing[:3]}; they would stay randomly initialized. Use the config the checkpoint '
            f'was trained with, or set default_hooks.checkpoint_match.allow_missing=True for a '
            f'deliberate partial load.')


#: settings without weights that decide which features the weights see: the blocks a backbone
#: outputs, their rescaling, the level a head reads. A checkpoint trained under other values fits
#: every weight shape, loads without a word and predicts wrong (e.g. a DeepLabv3+ VFM checkpoint
#: from before its head moved to the last ViT block, docs/vfm.md).
LAYOUT_SETTINGS = (('backbone', 'out_indices'), ('backbone', 'scales'), ('neck', 'scales'),
                   ('decode_head', 'in_index'))


def _network_of(model: nn.Module) -> Optional[nn.Module]:
    """The first module with a backbone and a decode head: the segmentor itself, or the first
    pathway of a :class:`DualPathwaySegmentor` (both pathways are built from one config)."""
    return next(
        (m for m in model.modules() if hasattr(m, 'backbone') and hasattr(m, 'decode_head')), None)


def _plain(value):
    return [float(v) for v in value] if isinstance(value, (list, tuple)) else value


def layout_differences(model: nn.Module, checkpoint: dict) -> List[str]:
    """The :data:`LAYOUT_SETTINGS` in which the config a runner recorded in ``checkpoint``
    (``meta['cfg']``) differs from ``model``, as ``'part.key: checkpoint A, model B'``; empty
    when the checkpoint records no config (a converted release, a slim export)."""
    recorded_cfg = recorded_config(checkpoint)
    network = _network_of(model)
    if recorded_cfg is None or network is None:
        return []
    trained = recorded_cfg.get('model') or {}
    differences = []
    for part, key in LAYOUT_SETTINGS:
        recorded = (trained.get(part) or {}).get(key)
        module = getattr(network, part, None)
        current = getattr(module, key, None)
        blocks = getattr(getattr(module, 'vit', None), 'layers', None)
        if key == 'out_indices' and blocks is not None and recorded is not None:
            # VFMVisionTransformer counts negative indices from the end (-1: the last block)
            recorded = type(recorded)(i if i >= 0 else len(blocks) + i for i in recorded)
        if recorded is not None and current is not None and _plain(recorded) != _plain(current):
            differences.append(f'{part}.{key}: checkpoint {recorded}, model {current}')
    return differences


def check_feature_layout(model: nn.Module, checkpoint: dict, source: str = 'checkpoint') -> None:
    """Raise :class:`CheckpointMismatchError` (one line) if ``checkpoint`` was trained with
    another feature layout than ``model``'s (:func:`layout_differences`)."""
    differences = layout_differences(model, checkpoint)
    if differences:
        raise CheckpointMismatchError(
            f'{source} was trained with another feature layout than this model\'s '
            f'({"; ".join(differences)}): its weights fit, but would see other features and '
            f'predict wrong. Use the config it was trained with (its run dumped it into the work '
            f'dir), or set default_hooks.checkpoint_match.check_layout=False to load it on '
            f'purpose.')


@HOOKS.register_module()
class CheckpointMatchHook(Hook):
    """Check every checkpoint the runner loads (``load_from``, ``--resume``, ``tools/test.py``)
    against the model before its weights are copied; see :func:`check_checkpoint_matches` and
    :func:`check_feature_layout`.

    Args:
        allow_missing (bool): accept checkpoints lacking some of the model's weights.
        check_layout (bool): refuse a checkpoint whose recorded config has another feature
            layout (:data:`LAYOUT_SETTINGS`) than the model. Default True.
    """

    priority = 'VERY_HIGH'

    def __init__(self, allow_missing: bool = False, check_layout: bool = True) -> None:
        self.allow_missing = allow_missing
        self.check_layout = check_layout

    def after_load_checkpoint(self, runner: Runner, checkpoint: dict) -> None:
        model = unwrap_model(runner.model)
        state_dict = checkpoint.get('state_dict', checkpoint)
        check_checkpoint_matches(
            model, state_dict, 'the loaded checkpoint', allow_missing=self.allow_missing)
        if self.check_layout:
            check_feature_layout(model, checkpoint, 'the loaded checkpoint')
