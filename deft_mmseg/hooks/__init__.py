from .checkpoint_match_hook import (CheckpointMatchHook, CheckpointMismatchError,
                                    check_checkpoint_matches)
from .cross_ema_hook import CrossEMAHook
from .dataset_model_check_hook import DatasetModelCheckHook

__all__ = [
    'CrossEMAHook', 'CheckpointMatchHook', 'CheckpointMismatchError', 'check_checkpoint_matches',
    'DatasetModelCheckHook'
]
