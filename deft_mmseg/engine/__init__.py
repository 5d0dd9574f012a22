from .checkpoint_loading import (ALLOW_PICKLE_ENV, CheckpointSecurityError,
                                 install_checkpoint_loader, load_local_checkpoint,
                                 trusted_checkpoint_globals)
from .cpu_amp import CPUBF16OptimWrapper
from .frozen_params_constructor import FrozenParamsOptimWrapperConstructor
from .multi_domain_loops import MultiDomainTestLoop, MultiDomainValLoop
from .two_stage_train_loop import DeFTTrainLoop, TwoStageTrainLoop
from .fishertune_train_loop import FisherTuneTrainLoop
from .stage_schedulers import StageConstantParamScheduler, StagePolyLR
from .test_runner import PerRunTestRunner
from .stop_signals import StopSignalHook, TrainingStopped
from . import hooks  # noqa: F401,E402  (registers the hooks; after the loops they check)

__all__ = [
    'ALLOW_PICKLE_ENV', 'CPUBF16OptimWrapper', 'CheckpointSecurityError', 'install_checkpoint_loader',
    'load_local_checkpoint', 'trusted_checkpoint_globals', 'MultiDomainValLoop',
    'MultiDomainTestLoop', 'DeFTTrainLoop', 'TwoStageTrainLoop', 'FisherTuneTrainLoop', 'StagePolyLR', 'StageConstantParamScheduler',
    'PerRunTestRunner', 'FrozenParamsOptimWrapperConstructor',
    'StopSignalHook', 'TrainingStopped'
]
