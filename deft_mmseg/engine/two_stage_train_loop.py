"""The iteration loop that runs a two-stage segmentor's stages in one ``tools/train.py`` run.

``TwoStageTrainLoop`` drives every :class:`TwoStageSegmentor` (DeFT's ``DualPathwaySegmentor``,
the LP-FT / freezing baselines' ``StagedEncoderDecoder``; ``FisherTuneTrainLoop`` extends it).
"""
import copy
from typing import Dict, List, Optional, Sequence, Tuple, Union

from mmengine.logging import print_log
from mmengine.optim import OptimWrapper, OptimWrapperDict
from mmengine.runner import IterBasedTrainLoop, Runner
from mmseg.registry import LOOPS
from torch.utils.data import DataLoader

from ..models.segmentors.two_stage import TwoStageSegmentor
from ..utils.errors import TwoStageConfigError
from ..utils.model_wrappers import unwrap_model

STAGES = ('warmup', 'decoupled')


def resolve_stage_schedulers(schedulers: Union[None, dict, list],
                             warmup_iters: int,
                             max_iters: int,
                             stages: Tuple[str, str] = STAGES) -> Union[None, dict, list]:
    """Replace ``stage=<first>|<second>`` in scheduler configs by ``begin``/``end``.

    Accepts the forms ``param_scheduler`` takes (a dict, a list, or a dict of lists for several
    optimizers) and returns a resolved copy. ``stages`` names the two stages (DeFT:
    ``('warmup', 'decoupled')``, FisherTune: ``('warmup', 'tune')``).
    """
    if schedulers is None:
        return None
    if isinstance(schedulers, dict) and 'type' not in schedulers:
        return {
            k: resolve_stage_schedulers(v, warmup_iters, max_iters, stages)
            for k, v in schedulers.items()
        }
    single = isinstance(schedulers, dict)
    out = []
    for cfg in ([schedulers] if single else schedulers):
        if not isinstance(cfg, dict) or 'stage' not in cfg:
            out.append(cfg)
            continue
        cfg = copy.deepcopy(cfg)
        stage = cfg.pop('stage')
        if stage not in stages:
            raise TwoStageConfigError(f"param_scheduler {cfg.get('type')}: unknown stage "
                                      f'{stage!r}; use one of {stages}.')
        if 'begin' in cfg or 'end' in cfg:
            raise TwoStageConfigError(f"param_scheduler {cfg.get('type')}: give either stage= "
                                      f'or begin/end, not both.')
        cfg['begin'], cfg['end'] = (0, warmup_iters) if stage == stages[0] else (warmup_iters,
                                                                                 max_iters)
        cfg['by_epoch'] = False
        if cfg['begin'] == cfg['end']:  # an empty stage (e.g. no warm-up): drop its schedulers
            continue
        out.append(cfg)
    return out[0] if single and out else out


@LOOPS.register_module()
class TwoStageTrainLoop(IterBasedTrainLoop):
    """``IterBasedTrainLoop`` with two stages: for DeFT, Alg. 1 then Alg. 2 of the DeFT paper.

    Iterations ``[0, warmup_iters)`` warm up the decoder on the frozen encoder; at iteration
    ``warmup_iters`` the loop calls ``model.end_warmup()`` (for DeFT: initialize both pathways from
    the warmed-up model) and iterations ``[warmup_iters, max_iters)`` run the second stage
    (decoupled finetuning; for ``StagedEncoderDecoder`` the joint/freeze baselines). ``warmup_iters`` is the single place the stage length is set: param schedulers
    written with ``stage='warmup'`` or ``stage='decoupled'`` get their ``begin``/``end`` from it.
    On resume the switch is not repeated (the model's ``decoupled`` state is in the checkpoint).

    Subclasses change the stages through two overridable steps, never by skipping this class:
    :meth:`start_second_stage` (once, at the switch) and :meth:`second_stage_step` (before every
    iteration of the second stage, including the first after a resume).

    Which model this loop may train (``segmentor_class``) and which loop a two-stage model needs
    are checked in one place, ``TrainLoopCheckHook`` (a default hook), before training.

    Args:
        warmup_iters (int): length of the warm-up stage; 0 skips it.
        decoupled_iters (int, optional): length of decoupled finetuning; the run then has
            ``warmup_iters + decoupled_iters`` iterations.
        max_iters (int, optional): total iterations, instead of ``decoupled_iters``.
        reset_optimizer_state (bool): clear the optimizer state (SGD momentum buffers, Adam
            moments) at the switch, so the second stage starts as a fresh optimizer: Alg. 1 and
            Alg. 2 of the DeFT paper are two separate training loops, each with its own
            ``update()``; in the codebase of the paper's baselines (shachoi/RobustNet
            ``train.py``, ``optimizer.get_optimizer``) every training run builds a new optimizer.
            The paper-table schedules set True; False (default, and the mmseg-native configs)
            carries the warm-up momentum of the decoder into the second stage (one mmengine
            optimizer for the whole run). Learning rate and weight decay are the schedulers'.
        Others as ``IterBasedTrainLoop``.
    """

    #: names of the two stages for ``param_scheduler`` entries written with ``stage=``
    stages = STAGES
    #: the models this loop trains
    segmentor_class = TwoStageSegmentor
    segmentor_kinds = 'a two-stage segmentor (DualPathwaySegmentor, StagedEncoderDecoder)'

    def __init__(self,
                 runner: Runner,
                 dataloader: Union[DataLoader, Dict],
                 warmup_iters: int,
                 decoupled_iters: Optional[int] = None,
                 max_iters: Optional[int] = None,
                 val_begin: int = 1,
                 val_interval: int = 1000,
                 dynamic_intervals: Optional[List[Tuple[int, int]]] = None,
                 reset_optimizer_state: bool = False) -> None:
        if (decoupled_iters is None) == (max_iters is None):
            raise TwoStageConfigError(
                "TwoStageTrainLoop: give exactly one of decoupled_iters (the paper's second stage, "
                'e.g. 40000) and max_iters (warm-up + decoupled).')
        if not isinstance(warmup_iters, int) or warmup_iters < 0:
            raise TwoStageConfigError(f'TwoStageTrainLoop: warmup_iters must be an integer >= 0, '
                                      f'got {warmup_iters!r}.')
        if decoupled_iters is not None:
            if not isinstance(decoupled_iters, int) or decoupled_iters < 1:
                raise TwoStageConfigError(
                    f'TwoStageTrainLoop: decoupled_iters={decoupled_iters!r} leaves no decoupled '
                    f'finetuning after the {warmup_iters} warm-up iterations. Set '
                    f'train_cfg.decoupled_iters to the length of the second stage (an integer '
                    f'>= 1, e.g. 40000).')
            max_iters = warmup_iters + decoupled_iters
        if warmup_iters >= max_iters:
            raise TwoStageConfigError(
                f'TwoStageTrainLoop: the warm-up ({warmup_iters} iterations) is not shorter than the '
                f'whole run (max_iters={max_iters}), so decoupled finetuning would never start. '
                f'Set train_cfg.max_iters={warmup_iters + 1} or more (warm-up + decoupled '
                f'iterations).')
        self.warmup_iters = warmup_iters
        self.decoupled_iters = max_iters - warmup_iters
        self.reset_optimizer_state = bool(reset_optimizer_state)
        runner.param_schedulers = resolve_stage_schedulers(runner.param_schedulers, warmup_iters,
                                                           max_iters, self.stages)
        super().__init__(
            runner,
            dataloader,
            max_iters=max_iters,
            val_begin=val_begin,
            val_interval=val_interval,
            dynamic_intervals=dynamic_intervals)

    def _segmentor(self) -> TwoStageSegmentor:
        return unwrap_model(self.runner.model)

    @property
    def stage(self) -> str:
        """``'warmup'`` or ``'decoupled'``: the stage of the next iteration."""
        return 'warmup' if self._iter < self.warmup_iters else 'decoupled'

    def run_iter(self, data_batch: Sequence[dict]) -> None:
        model = self._segmentor()
        if self._iter >= self.warmup_iters:
            if model.in_warmup:
                self.start_second_stage(model)
            self.second_stage_step(model)
        super().run_iter(data_batch)

    def second_stage_step(self, model: TwoStageSegmentor) -> None:
        """Called before every second-stage iteration (after :meth:`start_second_stage` on the
        first one); nothing for DeFT and the baselines."""

    def start_second_stage(self, model: TwoStageSegmentor) -> None:
        """Switch ``model`` from the warm-up to the second stage (and, with
        ``reset_optimizer_state``, start a fresh optimizer state)."""
        model.end_warmup()
        if self.reset_optimizer_state:
            self.clear_optimizer_state(self.runner.optim_wrapper)
        # the log would otherwise keep showing the last warm-up losses next to f1/f2
        scalars = self.runner.message_hub.log_scalars
        for key in [k for k in scalars if k.startswith('train/warmup.')]:
            scalars.pop(key)
        print_log(
            f'Warm-up finished at iteration {self._iter}: '
            f'{model.second_stage_description}',
            logger='current')

    @staticmethod
    def clear_optimizer_state(optim_wrapper: Union[OptimWrapper, OptimWrapperDict]) -> None:
        """Empty the state of every torch optimizer of ``optim_wrapper`` (momentum buffers,
        moments, step counts); parameter groups (lr, weight decay) are kept."""
        wrappers = (
            optim_wrapper.values()
            if isinstance(optim_wrapper, OptimWrapperDict) else [optim_wrapper])
        for wrapper in wrappers:
            wrapper.optimizer.state.clear()


#: the loop's name before LP-FT, the freezing baselines and FisherTune used it; configs keep it
