"""TargetLossHook scores what the head outputs: class probabilities-like scores for every
Mask2Former head (mmseg's and its subclasses, e.g. Rein's), logits otherwise. Checked against the
losses written out here from their definitions."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from repo_paths import REPO
from deft_mmseg.engine.hooks import TargetLossHook

MODELS_DIR = osp.join(REPO, 'configs', '_base_', 'models')


def batch(seed, size=(32, 32), classes=19):
    g = torch.Generator().manual_seed(seed)
    inputs = [torch.randint(0, 256, (3, *size), generator=g, dtype=torch.uint8) for _ in range(2)]
    samples = []
    for _ in range(2):
        gt = torch.randint(0, classes, (1, *size), generator=g)
        gt[:, :4] = 255  # ignored pixels
        s = SegDataSample(gt_sem_seg=PixelData(data=gt))
        s.set_metainfo(dict(img_shape=size, ori_shape=size, pad_shape=size))
        samples.append(s)
    return dict(inputs=inputs, data_samples=samples)


def _mean_over_labelled_pixels(model, batches, pixel_loss):
    """Mean of ``pixel_loss(scores (n, C), labels (n,)) -> (n,)`` over labelled pixels of the
    model's ``encode_decode`` output."""
    total, count = 0.0, 0
    for b in batches:
        data = model.data_preprocessor(b, False)
        scores = model.encode_decode(data['inputs'], [s.metainfo for s in data['data_samples']])
        for score, s in zip(scores, data['data_samples']):
            gt = s.gt_sem_seg.data[0]
            keep = gt != 255
            total += float(pixel_loss(score.permute(1, 2, 0)[keep], gt[keep]).sum())
            count += int(keep.sum())
    return total / count


def nll_of_scores(model, batches):
    """Mean over labelled pixels of -log(score of the true class) (Mask2Former's scores are
    already non-negative class scores)."""
    return _mean_over_labelled_pixels(
        model, batches, lambda scores, gt: -scores.gather(1, gt[:, None]).clamp_min(1e-8).log())


def cross_entropy_of_logits(model, batches):
    """Mean over labelled pixels of logsumexp(logits) - logit of the true class."""
    return _mean_over_labelled_pixels(
        model, batches,
        lambda logits, gt: logits.logsumexp(1) - logits.gather(1, gt[:, None])[:, 0])


def build(model_file):
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(osp.join(MODELS_DIR, model_file)).model)
    model.init_weights()
    return model.eval()


@pytest.mark.parametrize('model_file,expected', [
    ('rein_vit_tiny_demo.py', nll_of_scores),          # ReinMask2FormerHead: a subclass
    ('mask2former_tiny_demo.py', nll_of_scores),
    ('deeplabv3plus_tiny_demo.py', cross_entropy_of_logits),
])
def test_target_loss_is_computed_on_what_the_head_outputs(model_file, expected):
    model = build(model_file)
    batches = [batch(1), batch(2)]
    hook = TargetLossHook(dataloader=None)
    hook.dataloader = batches
    got = hook.target_loss(model)
    want = expected(model, batches)
    assert got == pytest.approx(want, rel=1e-5)
    other = cross_entropy_of_logits if expected is nll_of_scores else nll_of_scores
    assert abs(got - other(model, batches)) > 1e-3 * abs(want)  # the two readings differ here
