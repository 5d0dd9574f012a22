"""Refuse checkpoints that do not fit the model, instead of loading them half-way."""
from typing import Dict

import torch.nn as nn
from mmengine.hooks import Hook
from mmengine.runner import Runner
from mmseg.registry import HOOKS
from torch import Tensor

from ...models.segmentors import DualPathwaySegmentor, expand_plain_state_dict
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


@HOOKS.register_module()
class CheckpointMatchHook(Hook):
    """Check every checkpoint the runner loads (``load_from``, ``--resume``, ``tools/test.py``)
    against the model before its weights are copied; see :func:`check_checkpoint_matches`.

    Args:
        allow_missing (bool): accept checkpoints lacking some of the model's weights.
    """

    priority = 'VERY_HIGH'

    def __init__(self, allow_missing: bool = False) -> None:
        self.allow_missing = allow_missing

    def after_load_checkpoint(self, runner: Runner, checkpoint: dict) -> None:
        model = unwrap_model(runner.model)
        state_dict = checkpoint.get('state_dict', checkpoint)
        check_checkpoint_matches(
            model, state_dict, 'the loaded checkpoint', allow_missing=self.allow_missing)
