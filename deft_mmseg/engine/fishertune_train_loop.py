"""The iteration loop that runs FisherTune's three steps (FisherTune paper, Alg. 1) in one run."""
import os.path as osp
from typing import List, Optional, Tuple, Union

from mmengine import dist
from mmengine.logging import print_log
from mmengine.optim import OptimWrapperDict
from mmengine.runner import Runner
from mmseg.registry import LOOPS
from mmseg.utils import SampleList
from torch import Tensor
from torch.optim import Optimizer
from torch.utils.data import DataLoader

from ..models.segmentors.fishertune_encoder_decoder import FisherTuneEncoderDecoder
from ..utils.errors import SensitivityConfigError
from .fishertune_artifact import ARTIFACT_FILE, load_artifact, save_artifact
from .two_stage_train_loop import TwoStageTrainLoop


@LOOPS.register_module()
class FisherTuneTrainLoop(TwoStageTrainLoop):
    """Alg. 1 of the FisherTune paper as one ``IterBasedTrainLoop``.

    1. iterations ``[0, warmup_iters)`` (T1): the decoder trains on the frozen VFM;
    2. at iteration ``warmup_iters``: ``estimate_iters`` (T2) batches of the training data
       estimate DR-FIM (no parameter update, not counted as training iterations); the estimate is
       written to ``work_dir/fishertune_sensitivity.pth`` (plus a JSON summary per block), or read
       from ``load_sensitivity`` instead;
    3. iterations ``[warmup_iters, warmup_iters + tune_iters)`` (T3): the decoder and the selected
       VFM elements train; before tuning step ``t`` (1-based) the top ``delta(t)`` elements are
       selected (Eq. 16), and the selected count is logged as ``fishertune_selected``.

    Param schedulers written with ``stage='warmup'`` / ``stage='tune'`` get their ``begin``/``end``
    from ``warmup_iters``. On resume after the warm-up the estimate is read back from the work
    dir (or ``load_sensitivity``): the masks follow from it and the step.

    Args:
        warmup_iters (int): T1.
        estimate_iters (int): T2 (ignored with ``load_sensitivity`` or a ``'random'`` score).
        tune_iters (int): T3.
        load_sensitivity (str, optional): a ``fishertune_sensitivity.pth`` of an earlier run of
            the same network, used instead of estimating.
        Others as ``IterBasedTrainLoop``.
    """

    stages = ('warmup', 'tune')
    segmentor_class = FisherTuneEncoderDecoder
    segmentor_kinds = 'FisherTuneEncoderDecoder'

    def __init__(self,
                 runner: Runner,
                 dataloader: Union[DataLoader, dict],
                 warmup_iters: int,
                 tune_iters: int,
                 estimate_iters: int = 100,
                 load_sensitivity: Optional[str] = None,
                 val_begin: int = 1,
                 val_interval: int = 1000,
                 dynamic_intervals: Optional[List[Tuple[int, int]]] = None) -> None:
        if not isinstance(tune_iters, int) or tune_iters < 1:
            raise SensitivityConfigError(f'FisherTuneTrainLoop: tune_iters (T3) must be an integer '
                                         f'>= 1, got {tune_iters!r}.')
        if not isinstance(estimate_iters, int) or estimate_iters < 1:
            raise SensitivityConfigError(f'FisherTuneTrainLoop: estimate_iters (T2) must be an '
                                         f'integer >= 1, got {estimate_iters!r}.')
        super().__init__(
            runner,
            dataloader,
            warmup_iters,
            decoupled_iters=tune_iters,
            val_begin=val_begin,
            val_interval=val_interval,
            dynamic_intervals=dynamic_intervals)
        self.estimate_iters = estimate_iters
        self.tune_iters = tune_iters
        self.load_sensitivity = load_sensitivity
        if load_sensitivity is not None and not osp.isfile(load_sensitivity):
            load_artifact(load_sensitivity)  # raises the explanatory FileNotFoundError
        print_log(self._segmentor().tuning_summary(), logger='current')

    @property
    def artifact_path(self) -> str:
        return osp.join(self.runner.work_dir, ARTIFACT_FILE)

    def _optimizers(self) -> List[Optimizer]:
        wrapper = self.runner.optim_wrapper
        wrappers = wrapper.values() if isinstance(wrapper, OptimWrapperDict) else [wrapper]
        return [w.optimizer for w in wrappers]

    def _next_batch(self) -> Tuple[Tensor, SampleList]:
        model = self._segmentor()
        data = model.data_preprocessor(next(self.dataloader_iterator), True)
        return data['inputs'], data['data_samples']

    def _estimate_or_load(self, model: FisherTuneEncoderDecoder, resuming: bool) -> Optional[dict]:
        if not model.needs_estimate:
            return None
        if self.load_sensitivity is not None:
            print_log(
                f'FisherTune: sensitivity read from {self.load_sensitivity}', logger='current')
            artifact = load_artifact(self.load_sensitivity)
            model.stability(artifact, log=lambda msg: print_log(msg, logger='current'))
            return artifact
        if resuming:
            if not osp.isfile(self.artifact_path):
                raise SensitivityConfigError(
                    f'Resuming FisherTune after its estimation stage needs {self.artifact_path}, '
                    f'which that stage wrote; it is missing. Copy it back, or set '
                    f'train_cfg.load_sensitivity to a copy.')
            return load_artifact(self.artifact_path)
        print_log(
            f'FisherTune: estimating DR-FIM on {self.estimate_iters} batches '
            f"({model.estimator.method} estimation)",
            logger='current')
        artifact = model.estimate_sensitivity(
            self._next_batch, self.estimate_iters, log=lambda msg: print_log(msg, logger='current'))
        if dist.is_main_process():
            path = save_artifact(artifact, self.runner.work_dir)
            print_log(
                f'FisherTune: sensitivity written to {path} (reuse it with '
                f'train_cfg.load_sensitivity; plot it with tools/plot_sensitivity.py)',
                logger='current')
        return artifact

    def start_second_stage(self, model: FisherTuneEncoderDecoder) -> None:
        artifact = self._estimate_or_load(model, resuming=False)
        super().start_second_stage(model)
        model.start_tuning(artifact, self._optimizers())

    def second_stage_step(self, model: FisherTuneEncoderDecoder) -> None:
        if model.sparse_mask is None:  # resumed during tuning: masks follow from the estimate
            model.start_tuning(self._estimate_or_load(model, resuming=True), self._optimizers())
        selected = model.set_tune_step(self._iter - self.warmup_iters + 1, self.tune_iters)
        self.runner.message_hub.update_scalar('train/fishertune_selected', selected)
