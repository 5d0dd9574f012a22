"""Kept for imports written before the hooks moved under ``deft_mmseg.engine.hooks`` (mmseg's
layout: ``mmseg.engine.hooks``). ``deft_mmseg.hooks`` and ``deft_mmseg.hooks.<module>`` are the
same objects as their ``deft_mmseg.engine.hooks`` counterparts."""
import importlib
import sys

from ..engine import hooks as _hooks
from ..engine.hooks import *  # noqa: F401,F403

__all__ = list(_hooks.__all__)
for _name in ('checkpoint_match_hook', 'cross_ema_hook', 'dataset_model_check_hook',
              'exact_resume_hook', 'frozen_trunk_hook', 'param_distance_hook',
              'target_loss_hook', 'train_loop_check_hook'):
    sys.modules[f'{__name__}.{_name}'] = importlib.import_module(f'{_hooks.__name__}.{_name}')
