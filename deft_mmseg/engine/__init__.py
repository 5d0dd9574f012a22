from .cpu_amp import CPUBF16OptimWrapper
from .fishertune_train_loop import FisherTuneTrainLoop
from .frozen_params_constructor import FrozenParamsOptimWrapperConstructor
from .multi_domain_loops import MultiDomainTestLoop, MultiDomainValLoop
from .stage_schedulers import StageConstantParamScheduler, StagePolyLR
from .test_runner import PerRunTestRunner
from .two_stage_train_loop import TwoStageTrainLoop

# the hooks register after the loops they check
from . import hooks  # noqa: F401,E402  # isort: skip

__all__ = [
    'CPUBF16OptimWrapper', 'MultiDomainValLoop', 'MultiDomainTestLoop', 'TwoStageTrainLoop',
    'FisherTuneTrainLoop', 'StagePolyLR', 'StageConstantParamScheduler', 'PerRunTestRunner',
    'FrozenParamsOptimWrapperConstructor'
]
