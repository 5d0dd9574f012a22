"""Periodic loss of the inference model on a held-out target dataset (DeFT paper, Fig. 1 / 9)."""
import torch
import torch.nn.functional as F
from mmengine.hooks import Hook
from mmengine.logging import print_log

from mmseg.models.decode_heads import Mask2FormerHead
from mmseg.registry import HOOKS

from ...datasets.checks import check_dataset_cfg
from ...utils.model_wrappers import unwrap_model


@HOOKS.register_module()
class TargetLossHook(Hook):
    """Every ``interval`` training iterations, the pixel-wise CE (Eq. 1) of the model used at
    inference on a target dataset, logged as ``target/loss_ce`` (logger and TensorBoard). It is a
    diagnostic: the target data never reaches the optimizer.

    The model's ``encode_decode`` gives per-class scores at the input size (whole-image
    inference); heads whose scores are already probabilities (Mask2Former) are scored with the
    negative log-likelihood of those probabilities.

    Args:
        dataloader (dict): dataloader config of the target dataset (with the test pipeline).
        interval (int): iterations between evaluations. Default 1000.
        max_batches (int, optional): evaluate only the first batches. Default: all.
        ignore_index (int): label to ignore. Default 255.
    """

    priority = 'LOW'

    def __init__(self, dataloader, interval=1000, max_batches=None, ignore_index=255):
        self.dataloader_cfg = dataloader
        self.interval = interval
        self.max_batches = max_batches
        self.ignore_index = ignore_index
        self.dataloader = None

    def before_train(self, runner):
        check_dataset_cfg(self.dataloader_cfg.get('dataset'), 'TargetLossHook.dataloader.dataset')
        self.dataloader = runner.build_dataloader(self.dataloader_cfg, seed=runner.seed)

    @torch.no_grad()
    def target_loss(self, model):
        model_was_training = model.training
        model.eval()
        # every Mask2Former head (mmseg's and its subclasses, e.g. ReinMask2FormerHead) outputs
        # sums of class probabilities x mask probabilities, not logits
        probabilities = isinstance(model.decode_head, Mask2FormerHead)
        total, count = 0.0, 0
        for i, batch in enumerate(self.dataloader):
            if self.max_batches is not None and i >= self.max_batches:
                break
            data = model.data_preprocessor(batch, False)
            metas = [s.metainfo for s in data['data_samples']]
            scores = model.encode_decode(data['inputs'], metas)
            for score, sample in zip(scores, data['data_samples']):
                gt = sample.gt_sem_seg.data.to(score.device).long()  # (1, H, W)
                score = score[:, :gt.shape[-2], :gt.shape[-1]][None]
                if probabilities:
                    loss = F.nll_loss(score.clamp_min(1e-8).log(), gt, reduction='sum',
                                      ignore_index=self.ignore_index)
                else:
                    loss = F.cross_entropy(score, gt, reduction='sum',
                                           ignore_index=self.ignore_index)
                total += float(loss)
                count += int((gt != self.ignore_index).sum())
        model.train(model_was_training)
        return total / max(count, 1)

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if not self.every_n_train_iters(runner, self.interval):
            return
        model = unwrap_model(runner.model)
        loss = self.target_loss(model)
        runner.visualizer.add_scalars({'target/loss_ce': loss}, step=runner.iter + 1)
        print_log(f'Iter {runner.iter + 1} target loss_ce: {loss:.4f}', logger='current')
