from .atomic_checkpoint_hook import AtomicCheckpointHook
from .checkpoint_match_hook import (CheckpointMatchHook, check_checkpoint_matches,
                                    check_feature_layout)
from .cross_ema_hook import CrossEMAHook
from .dataset_model_check_hook import DatasetModelCheckHook
from .exact_resume_hook import ExactResumeHook, capture_rng_state, restore_rng_state
from .frozen_trunk_hook import FrozenTrunkHook
from .param_distance_hook import ParamDistanceHook, distance_norms
from .stop_signal_hook import StopSignalHook
from .target_loss_hook import TargetLossHook
from .train_loop_check_hook import TrainLoopCheckHook

__all__ = [
    'FrozenTrunkHook', 'CrossEMAHook', 'CheckpointMatchHook', 'check_checkpoint_matches',
    'check_feature_layout', 'DatasetModelCheckHook', 'ExactResumeHook', 'capture_rng_state',
    'restore_rng_state', 'ParamDistanceHook', 'distance_norms', 'TargetLossHook',
    'TrainLoopCheckHook', 'AtomicCheckpointHook', 'StopSignalHook'
]
