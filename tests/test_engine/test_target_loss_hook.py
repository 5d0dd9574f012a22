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

from deft_mmseg.engine.hooks import TargetLossHook
from repo_paths import REPO

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


@pytest.mark.parametrize(
    'model_file,expected',
    [
        ('rein_vit_tiny_demo.py', nll_of_scores),  # ReinMask2FormerHead: a subclass
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


def test_scores_are_taken_to_the_label_size_when_the_test_pipeline_resizes():
    """The test pipeline resizes the image, never the label: the scores of the (32, 32) input are
    scored against a (48, 40) label after a bilinear resize, as mmseg's predict does."""
    import torch.nn.functional as F
    model = build('deeplabv3plus_tiny_demo.py')
    g = torch.Generator().manual_seed(3)
    inputs = [torch.randint(0, 256, (3, 32, 32), generator=g, dtype=torch.uint8)]
    gt = torch.randint(0, 19, (1, 48, 40), generator=g)
    gt[:, :5] = 255
    sample = SegDataSample(gt_sem_seg=PixelData(data=gt))
    sample.set_metainfo(dict(img_shape=(32, 32), ori_shape=(48, 40), pad_shape=(32, 32)))
    hook = TargetLossHook(dataloader=None)
    hook.dataloader = [dict(inputs=inputs, data_samples=[sample])]
    got = hook.target_loss(model)
    data = model.data_preprocessor(dict(inputs=inputs, data_samples=[sample]), False)
    logits = model.encode_decode(data['inputs'], [sample.metainfo])
    logits = F.interpolate(logits, size=(48, 40), mode='bilinear', align_corners=False)[0]
    keep = gt[0] != 255
    pixels = logits.permute(1, 2, 0)[keep]
    labels = gt[0][keep]
    want = float((pixels.logsumexp(1) - pixels.gather(1, labels[:, None])[:, 0]).mean())
    assert got == pytest.approx(want, rel=1e-5)


def test_two_stage_models_are_scored_with_the_final_models_head():
    """DeFT with Mask2Former: the inference model's head (d~1 after the warm-up) decides that
    the scores are probabilities; the loss is the final model's, not the warm-up model's."""
    torch.manual_seed(0)
    cfg = Config.fromfile(osp.join(MODELS_DIR, 'mask2former_tiny_demo.py')).model
    cfg.type = 'DualPathwaySegmentor'
    model = MODELS.build(cfg)
    model.init_weights()
    model.end_warmup()
    with torch.no_grad():  # the final model d~1 o e~2 differs from d2 o e1
        for p in model.pathway1.decode_head.parameters():
            p.add_(0.05 * torch.randn_like(p))
    model.eval()
    batches = [batch(1)]
    hook = TargetLossHook(dataloader=None)
    hook.dataloader = batches
    got = hook.target_loss(model)
    assert got == pytest.approx(nll_of_scores(model, batches), rel=1e-5)
    plain = MODELS.build(Config.fromfile(osp.join(MODELS_DIR, 'mask2former_tiny_demo.py')).model)
    plain.load_state_dict(model.final_model_state_dict())
    plain.eval()
    assert got == pytest.approx(hook.target_loss(plain), rel=1e-5)
