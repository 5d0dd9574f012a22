from .cpu_amp import CPUBF16OptimWrapper
from .frozen_params_constructor import FrozenParamsOptimWrapperConstructor
from .multi_domain_loops import MultiDomainTestLoop, MultiDomainValLoop
from .two_stage_train_loop import TwoStageTrainLoop
from .fishertune_train_loop import FisherTuneTrainLoop
from .stage_schedulers import StageConstantParamScheduler, StagePolyLR
from .test_runner import PerRunTestRunner
from . import hooks  # noqa: F401,E402  (registers the hooks; after the loops they check)

__all__ = [
    'CPUBF16OptimWrapper', 'MultiDomainValLoop', 'MultiDomainTestLoop', 'TwoStageTrainLoop',
    'FisherTuneTrainLoop', 'StagePolyLR', 'StageConstantParamScheduler', 'PerRunTestRunner',
    'FrozenParamsOptimWrapperConstructor'
]
