"""mmseg's inference API refuses a checkpoint that does not fit the model of its config.

mmseg's ``init_model`` and ``MMSegInferencer`` load weights with mmengine's non-strict loading:
a checkpoint of another architecture (a ``tools/train.py --demo`` checkpoint given with the
full-size config, another ``num_classes``, a release without its ViT trunk) is reported as a list
of size-mismatch warnings, hundreds of lines long, and the model then predicts with the weights
that did not load at their random initialization. For prediction that is never wanted, so after
``import deft_mmseg`` both raise :class:`~deft_mmseg.utils.errors.CheckpointMismatchError`
with one line naming the first differences and the fix (the check the runner's
``CheckpointMatchHook`` makes). Loading a part of a model (a backbone's ``init_cfg``), mmengine's
``load_checkpoint`` in general and the runner are unchanged.

mmseg 1.2.2 has no option for strict loading in either entry point
(``mmseg/apis/inference.py``: ``init_model`` calls ``load_checkpoint(model, checkpoint,
map_location='cpu')``; ``mmseg/apis/mmseg_inferencer.py``: ``_load_weights_to_model`` calls
``_load_checkpoint_to_model(model, checkpoint)``), so :func:`install_inference_checkpoint_check`
replaces those two names in those two modules with checked versions.
"""
import os.path as osp
from typing import Optional

from mmengine.runner.checkpoint import _load_checkpoint, _load_checkpoint_to_model

from ..engine.hooks.checkpoint_match_hook import check_checkpoint_matches, check_feature_layout
from ..utils.errors import CheckpointMismatchError

#: how a checkpoint of another architecture is used with mmseg's API (appended to the error)
USE_ITS_CONFIG = ('Build the model from the config the checkpoint was trained with: its run '
                  'dumped it into the work dir next to the checkpoint (for a tools/train.py '
                  '--demo checkpoint, the config of the tiny demo network), e.g. '
                  'init_model(WORK_DIR/CONFIG_NAME.py, CKPT); in the tools, the config with '
                  '--demo.')


def check_inference_checkpoint(model, checkpoint: dict, source: str = 'the checkpoint') -> None:
    """Raise :class:`CheckpointMismatchError` (one line) if ``checkpoint`` does not fit
    ``model``: weights of another shape, no common weight names, model weights it lacks, or a
    recorded config with another feature layout (``check_feature_layout``)."""
    state_dict = checkpoint.get('state_dict', checkpoint) if isinstance(checkpoint, dict) else {}
    try:
        check_checkpoint_matches(model, state_dict, source)
        check_feature_layout(model, checkpoint, source)
    except CheckpointMismatchError as exc:
        message = str(exc)
        if 'ViT trunk' not in message:  # that one names its own fix (the trunk file)
            message = f'{message} {USE_ITS_CONFIG}'
        raise CheckpointMismatchError(message) from None


def checked_load_checkpoint(model,
                            filename: str,
                            map_location=None,
                            strict: bool = False,
                            logger=None,
                            revise_keys=[(r'^module\.', '')]) -> dict:
    """mmengine's ``load_checkpoint`` (what mmseg's ``init_model`` calls), checked first."""
    checkpoint = _load_checkpoint(filename, map_location, logger)
    if not isinstance(checkpoint, dict):
        raise CheckpointMismatchError(f'{filename!r} holds no state dict.')
    check_inference_checkpoint(model, checkpoint, f'checkpoint {osp.basename(filename)!r}')
    return _load_checkpoint_to_model(model, checkpoint, strict, logger, revise_keys)


def checked_load_checkpoint_to_model(model,
                                     checkpoint: dict,
                                     strict: bool = False,
                                     logger=None,
                                     revise_keys=[(r'^module\.', '')]) -> dict:
    """mmengine's ``_load_checkpoint_to_model`` (what ``MMSegInferencer`` calls), checked."""
    check_inference_checkpoint(model, checkpoint, 'the checkpoint (weights=)')
    return _load_checkpoint_to_model(model, checkpoint, strict, logger, revise_keys)


_ORIGINALS: Optional[dict] = None


def install_inference_checkpoint_check() -> None:
    """Make mmseg's ``init_model`` and ``MMSegInferencer`` refuse checkpoints that do not fit
    (see the module docstring). Idempotent; :func:`uninstall_inference_checkpoint_check`
    restores mmseg's functions."""
    global _ORIGINALS
    if _ORIGINALS is not None:
        return
    from mmseg.apis import inference, mmseg_inferencer
    _ORIGINALS = dict(
        load_checkpoint=inference.load_checkpoint,
        _load_checkpoint_to_model=mmseg_inferencer._load_checkpoint_to_model)
    inference.load_checkpoint = checked_load_checkpoint
    mmseg_inferencer._load_checkpoint_to_model = checked_load_checkpoint_to_model


def uninstall_inference_checkpoint_check() -> None:
    """Give mmseg's ``init_model`` and ``MMSegInferencer`` their own loading back."""
    global _ORIGINALS
    if _ORIGINALS is None:
        return
    from mmseg.apis import inference, mmseg_inferencer
    inference.load_checkpoint = _ORIGINALS['load_checkpoint']
    mmseg_inferencer._load_checkpoint_to_model = _ORIGINALS['_load_checkpoint_to_model']
    _ORIGINALS = None
