"""Parameter schedulers that restart at a training stage's start (DeFT runs two stages in one run).

mmengine's ``PolyLR`` is chainable: each step multiplies the *current* value, so a second poly stage
that starts where the first one decayed the lr to ``eta_min = 0`` stays at zero. DeFT (DeFT paper,
Sec. 4.1) restarts a poly(0.9) decay from lr 1e-2 at the start of decoupled finetuning; these
schedulers compute their value in closed form from the optimizer's initial value instead.

``begin``/``end`` may be given directly, or filled in by :class:`TwoStageTrainLoop` from
``stage='warmup'`` / ``stage='decoupled'`` so that the warm-up length is set in one place.
"""
from typing import List, Optional

from mmengine.optim.scheduler.lr_scheduler import LRSchedulerMixin
from mmseg.registry import PARAM_SCHEDULERS
from torch.optim import Optimizer

from ..utils.errors import TwoStageConfigError
from ..utils.mmengine_compat import INF, ParamSchedulerBase


def _reject_unresolved_stage(stage: Optional[str], name: str) -> None:
    if stage is not None:
        raise TwoStageConfigError(
            f"{name}(stage={stage!r}): stage= is resolved by train_cfg type 'TwoStageTrainLoop' "
            f"(or 'FisherTuneTrainLoop'), which sets begin/end from warmup_iters; with another "
            f'train loop give begin/end.')


@PARAM_SCHEDULERS.register_module()
class StagePolyParamScheduler(ParamSchedulerBase):
    """Polynomial decay from the initial value, restarting at ``begin``.

    value(k) = (factor * v0 - eta_min) * (1 - k / (end - begin - 1)) ** power + eta_min for the
    k-th step after ``begin``, v0 the optimizer's initial value (per parameter group, so lr
    multipliers are kept). With ``factor=1`` these are the values of mmengine's
    ``PolyParamScheduler`` started at step 0; ``factor`` lets a stage start from a different value
    (e.g. the DeFT paper's Table 2: lr 3e-3 after a warm-up at 1e-2 is ``factor=0.3``).
    """

    def __init__(self,
                 optimizer: Optimizer,
                 param_name: str,
                 eta_min: float = 0.,
                 power: float = 1.0,
                 begin: int = 0,
                 end: int = INF,
                 last_step: int = -1,
                 by_epoch: bool = False,
                 verbose: bool = False,
                 stage: Optional[str] = None,
                 factor: float = 1.0) -> None:
        _reject_unresolved_stage(stage, type(self).__name__)
        self.factor = factor
        self.eta_min = eta_min
        self.power = power
        self.total_iters = end - begin - 1
        super().__init__(
            optimizer,
            param_name=param_name,
            begin=begin,
            end=end,
            last_step=last_step,
            by_epoch=by_epoch,
            verbose=verbose)

    def _get_value(self) -> List[float]:
        frac = 1.0 if self.total_iters <= 0 else 1.0 - min(self.last_step, self.total_iters) / \
            self.total_iters
        return [(self.factor * base - self.eta_min) * frac**self.power + self.eta_min
                for base in self.base_values]


@PARAM_SCHEDULERS.register_module()
class StagePolyLR(LRSchedulerMixin, StagePolyParamScheduler):
    """:class:`StagePolyParamScheduler` for the learning rate."""


@PARAM_SCHEDULERS.register_module()
class StageConstantParamScheduler(ParamSchedulerBase):
    """Hold ``param_name`` at ``value`` for steps in ``[begin, end)`` (e.g. DeFT's weight decay:
    5e-3 during warm-up, 5e-4 during decoupled finetuning)."""

    def __init__(self,
                 optimizer: Optimizer,
                 param_name: str,
                 value: float,
                 begin: int = 0,
                 end: int = INF,
                 last_step: int = -1,
                 by_epoch: bool = False,
                 verbose: bool = False,
                 stage: Optional[str] = None) -> None:
        _reject_unresolved_stage(stage, type(self).__name__)
        self.value = value
        super().__init__(
            optimizer,
            param_name=param_name,
            begin=begin,
            end=end,
            last_step=last_step,
            by_epoch=by_epoch,
            verbose=verbose)

    def _get_value(self) -> List[float]:
        return [self.value for _ in self.optimizer.param_groups]
