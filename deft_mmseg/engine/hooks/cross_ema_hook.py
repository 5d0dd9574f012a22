"""DeFT's cross-pathway EMA (DeFT paper, Eq. 2)."""
from typing import List, Optional, Sequence, Tuple

import torch
from mmengine.hooks import Hook
from mmengine.runner import Runner
from mmseg.registry import HOOKS
from torch import Tensor

from ...models.segmentors import DualPathwaySegmentor
from ...utils.errors import TwoStageConfigError
from ...utils.model_wrappers import unwrap_model

TensorPairs = Tuple[List[Tensor], List[Tensor]]

BUFFER_UPDATES = ('forward', 'ema', 'copy')


@HOOKS.register_module()
class CrossEMAHook(Hook):
    """After every decoupled-finetuning optimizer step, update the GC modules (Eq. 2)::

        d~1 <- beta * d~1 + (1 - beta) * d2        e~2 <- beta * e~2 + (1 - beta) * e1

    computed with fused multi-tensor ops (``torch._foreach_mul_`` then ``torch._foreach_add_``
    with ``alpha = 1 - beta``), for every parameter of the modules. mmengine's ``EMAHook`` is not
    used: it deep-copies the whole model and swaps it in for validation and checkpoints, whereas
    DeFT's GC modules are ordinary submodules of :class:`DualPathwaySegmentor` updated from their
    counterpart in the *other* pathway (mmdet's ``MeanTeacherHook`` pattern). Checkpoints, resume
    and test therefore need no EMA-specific code.

    Normalization buffers (BN running mean/var) of the GC modules: Alg. 2 averages parameters only
    and freezes the GC modules' weights without putting them in eval mode, so their BN statistics
    are updated by their own forward passes. ``buffer_update`` chooses:

    - ``'forward'`` (default, the literal Alg. 2): GC modules run in train mode (batch statistics)
      and their running statistics follow their own forward passes;
    - ``'ema'``: GC modules run in eval mode and floating-point buffers follow the same EMA as the
      parameters (integer buffers such as ``num_batches_tracked`` are copied);
    - ``'copy'``: GC modules run in eval mode and buffers are copied from the UC counterpart.

    Under DDP the update runs identically on every rank from the all-reduced UC weights, so GC
    weights stay identical without communication (never guard it with a rank check). With gradient
    accumulation the update follows optimizer steps, not iterations.

    Args:
        beta (float): the update ratio beta of Eq. 2, in (0, 1). Default 0.9999 (Sec. 4.1).
        buffer_update (str): ``'forward'``, ``'ema'`` or ``'copy'``.
    """

    priority = 'ABOVE_NORMAL'  # before CheckpointHook/LoggerHook, so saved checkpoints include it

    def __init__(self, beta: float = 0.9999, buffer_update: str = 'forward') -> None:
        if not isinstance(beta, (int, float)) or not 0.0 < beta < 1.0:
            raise TwoStageConfigError(
                f'CrossEMAHook: beta must be in (0, 1) (paper: 0.9999), got {beta!r}.')
        if buffer_update not in BUFFER_UPDATES:
            raise TwoStageConfigError(f'CrossEMAHook: buffer_update must be one of '
                                      f'{BUFFER_UPDATES}, got {buffer_update!r}.')
        self.beta = float(beta)
        self.buffer_update = buffer_update

    @staticmethod
    def _segmentor(runner: Runner) -> DualPathwaySegmentor:
        return unwrap_model(runner.model)

    def before_train(self, runner: Runner) -> None:
        # the model's loop (TwoStageTrainLoop) is checked by TrainLoopCheckHook
        model = self._segmentor(runner)
        if not isinstance(model, DualPathwaySegmentor):
            raise TwoStageConfigError(
                f'CrossEMAHook needs model type DualPathwaySegmentor, got '
                f'{type(model).__name__}. Remove the hook or use DualPathwaySegmentor.')
        self.bind(model)

    def bind(self, model: DualPathwaySegmentor) -> None:
        """Pair the GC tensors of ``model`` with their UC counterparts for
        :meth:`cross_ema_update` and set the GC modules' train mode per ``buffer_update``."""
        model.gc_train_mode = self.buffer_update == 'forward'
        self._params, self._float_buffers, self._int_buffers = self._pair_tensors(model)

    @staticmethod
    def _pair_tensors(model: DualPathwaySegmentor) -> Tuple[TensorPairs, TensorPairs, TensorPairs]:
        """Matched (gc, uc) tensor lists for parameters, float buffers and integer buffers."""
        params, floats, ints = ([], []), ([], []), ([], [])
        for gc, uc in model.cross_pairs():
            uc_params = dict(uc.named_parameters())
            for name, p in gc.named_parameters():
                if p is uc_params[name]:
                    continue  # a frozen part shared by both pathways: nothing to average
                params[0].append(p.data)
                params[1].append(uc_params[name].data)
            uc_buffers = dict(uc.named_buffers())
            for name, b in gc.named_buffers():
                if b is uc_buffers[name]:
                    continue
                target = floats if b.is_floating_point() else ints
                target[0].append(b)
                target[1].append(uc_buffers[name])
        return params, floats, ints

    @torch.no_grad()
    def cross_ema_update(self) -> None:
        """One update of Eq. 2 (parameters, and buffers per ``buffer_update``)."""
        gc, uc = self._params
        if gc:
            torch._foreach_mul_(gc, self.beta)
            torch._foreach_add_(gc, uc, alpha=1.0 - self.beta)
        if self.buffer_update == 'ema':
            gc_f, uc_f = self._float_buffers
            if gc_f:
                torch._foreach_mul_(gc_f, self.beta)
                torch._foreach_add_(gc_f, uc_f, alpha=1.0 - self.beta)
            for g, u in zip(*self._int_buffers):
                g.copy_(u)
        elif self.buffer_update == 'copy':
            for g, u in zip(*self._float_buffers):
                g.copy_(u)
            for g, u in zip(*self._int_buffers):
                g.copy_(u)

    def after_train_iter(self,
                         runner: Runner,
                         batch_idx: int,
                         data_batch: Optional[Sequence[dict]] = None,
                         outputs: Optional[dict] = None) -> None:
        if self._segmentor(runner).in_warmup:
            return
        should_update = getattr(runner.optim_wrapper, 'should_update', None)
        if should_update is not None and not should_update():
            return  # gradient accumulation: no optimizer step in this iteration
        self.cross_ema_update()
