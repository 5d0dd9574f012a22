"""Load checkpoints that do not carry the frozen VFM trunk (released PEFT checkpoints, slim
exports) by completing them from the converted VFM file."""
from typing import Optional

from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.runner import Runner
from mmseg.registry import HOOKS

from ...models.trunk_checkpoint import fill_trunk, trunk_state
from ...utils.checkpoint_loading import load_local_checkpoint
from ...utils.model_wrappers import unwrap_model


@HOOKS.register_module()
class FrozenTrunkHook(Hook):
    """Complete every checkpoint the runner loads (``tools/test.py``, ``load_from``, ``--resume``)
    with the ViT trunk weights (``backbone.vit.*``) it lacks, from a converted VFM file, before the
    checkpoint check and before the weights are copied (the Rein release's ``--backbone``).

    ``Runner.test()`` never runs ``init_weights``, so without this a released Rein checkpoint
    (only ``backbone.reins.*`` and ``decode_head.*``) would leave the trunk random; the checkpoint
    check refuses such a file unless this hook fills it.

    Args:
        checkpoint (str, optional): the converted VFM file (``vit.*`` keys). Default: the
            backbone's ``init_cfg`` checkpoint in the config (where training loaded it from).
    """

    priority = 'HIGHEST'  # before CheckpointMatchHook (VERY_HIGH) sees the checkpoint

    def __init__(self, checkpoint: Optional[str] = None) -> None:
        self.checkpoint = checkpoint

    def _trunk_file(self, runner: Runner) -> str:
        if self.checkpoint:
            return self.checkpoint
        init_cfg = runner.cfg.get('model', {}).get('backbone', {}).get('init_cfg') or {}
        if isinstance(init_cfg, dict) and init_cfg.get('checkpoint'):
            return init_cfg['checkpoint']
        raise FileNotFoundError(
            'FrozenTrunkHook: no trunk file; give checkpoint= (or --backbone FILE), the file '
            'tools/model_converters/vfm.py wrote for this VFM.')

    def after_load_checkpoint(self, runner: Runner, checkpoint: dict) -> None:
        model_state = unwrap_model(runner.model).state_dict()
        path = self._trunk_file(runner)
        trunk = trunk_state(load_local_checkpoint(path, map_location='cpu'), f'trunk {path!r}')
        filled = fill_trunk(checkpoint, trunk, model_state, f'trunk {path!r}')
        if filled:
            print_log(
                f'FrozenTrunkHook: {filled} ViT trunk tensors taken from {path}.', logger='current')


def use_trunk_file(cfg: Config, path: str) -> Config:
    """What ``--backbone FILE`` does in tools/train.py and tools/test.py: (re)place a
    ``FrozenTrunkHook(checkpoint=FILE)`` in ``cfg.custom_hooks``."""
    import os.path as osp
    if not osp.isfile(path):
        raise FileNotFoundError(f'--backbone {path!r} does not exist: give the converted VFM file '
                                f'(tools/model_converters/vfm.py).')
    hooks = [h for h in cfg.get('custom_hooks', []) or [] if h.get('type') != 'FrozenTrunkHook']
    cfg.custom_hooks = hooks + [dict(type='FrozenTrunkHook', checkpoint=path)]
    return cfg
