"""Periodic loss of the inference model on a held-out target dataset (DeFT paper, Fig. 1 / 9)."""
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.runner import Runner
from mmseg.models import BaseSegmentor
from mmseg.models.decode_heads import Mask2FormerHead
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.registry import HOOKS
from mmseg.utils import ConfigType

from ...datasets.checks import check_dataset_cfg
from ...models.segmentors.two_stage import TwoStageSegmentor
from ...utils.model_wrappers import unwrap_model


def inference_decode_head(model: BaseSegmentor) -> BaseDecodeHead:
    """The decode head that segments at test time (for DeFT: the final model's, e.g. d~1)."""
    if isinstance(model, TwoStageSegmentor):
        return model.inference_modules()[1].decode_head
    return model.decode_head


@HOOKS.register_module()
class TargetLossHook(Hook):
    """Every ``interval`` training iterations, the pixel-wise CE (Eq. 1) of the model used at
    inference on a target dataset, logged as ``target/loss_ce`` (logger and TensorBoard). It is a
    diagnostic: the target data never reaches the optimizer.

    The model's ``encode_decode`` gives per-class scores at the input size (whole-image
    inference); mmseg's ``postprocess_result`` takes them to the label's size as at test time
    (padding removed, flip undone, bilinear resize to ``ori_shape``: the test pipeline may resize
    the image, never the label). Heads whose scores are already probabilities (Mask2Former; for
    two-stage models the inference model's head) are scored with the negative log-likelihood of
    those probabilities.

    Args:
        dataloader (dict): dataloader config of the target dataset (with the test pipeline).
        interval (int): iterations between evaluations. Default 1000.
        max_batches (int, optional): evaluate only the first batches. Default: all.
        ignore_index (int): label to ignore. Default 255.
    """

    priority = 'LOW'

    def __init__(self,
                 dataloader: ConfigType,
                 interval: int = 1000,
                 max_batches: Optional[int] = None,
                 ignore_index: int = 255) -> None:
        self.dataloader_cfg = dataloader
        self.interval = interval
        self.max_batches = max_batches
        self.ignore_index = ignore_index
        self.dataloader = None

    def before_train(self, runner: Runner) -> None:
        check_dataset_cfg(self.dataloader_cfg.get('dataset'), 'TargetLossHook.dataloader.dataset')
        self.dataloader = runner.build_dataloader(self.dataloader_cfg, seed=runner.seed)

    @torch.no_grad()
    def target_loss(self, model: BaseSegmentor) -> float:
        """Mean CE (or NLL of probabilities) over the labelled pixels of the target batches."""
        model_was_training = model.training
        model.eval()
        # every Mask2Former head (mmseg's and its subclasses, e.g. ReinMask2FormerHead) outputs
        # sums of class probabilities x mask probabilities, not logits
        probabilities = isinstance(inference_decode_head(model), Mask2FormerHead)
        total, count = 0.0, 0
        for i, batch in enumerate(self.dataloader):
            if self.max_batches is not None and i >= self.max_batches:
                break
            data = model.data_preprocessor(batch, False)
            metas = [s.metainfo for s in data['data_samples']]
            scores = model.encode_decode(data['inputs'], metas)
            # (C, H, W) scores at each label's size (ori_shape), as mmseg's predict gives them
            samples = model.postprocess_result(scores, data['data_samples'])
            for sample in samples:
                score = sample.seg_logits.data[None]  # (1, C, H, W)
                gt = sample.gt_sem_seg.data.to(score.device).long()  # (1, H, W)
                if probabilities:
                    loss = F.nll_loss(
                        score.clamp_min(1e-8).log(),
                        gt,
                        reduction='sum',
                        ignore_index=self.ignore_index)
                else:
                    loss = F.cross_entropy(
                        score, gt, reduction='sum', ignore_index=self.ignore_index)
                total += float(loss)
                count += int((gt != self.ignore_index).sum())
        model.train(model_was_training)
        return total / max(count, 1)

    def after_train_iter(self,
                         runner: Runner,
                         batch_idx: int,
                         data_batch: Optional[Sequence[dict]] = None,
                         outputs: Optional[dict] = None) -> None:
        if not self.every_n_train_iters(runner, self.interval):
            return
        model = unwrap_model(runner.model)
        loss = self.target_loss(model)
        runner.visualizer.add_scalars({'target/loss_ce': loss}, step=runner.iter + 1)
        print_log(f'Iter {runner.iter + 1} target loss_ce: {loss:.4f}', logger='current')
