"""Each domain's metrics in MultiDomainTestLoop / MultiDomainValLoop are that domain's alone: every
domain's mIoU, mAcc and aAcc equal the same metric computed here, by hand, on that domain's images
only (a loop that pools all domains into every domain's result, or shifts them, fails)."""
import json
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.model import BaseModel
from mmengine.runner import Runner
from mmengine.structures import PixelData
from mmseg.registry import MODELS

from deft_mmseg.testing import ToySegDataset  # noqa: F401  (registers the toy dataset)

NUM_CLASSES = 19  # ToySegDataset's metainfo
#: three domains whose labels differ in range (so that pooled IoUs differ from each domain's)
DOMAINS = dict(
    day=dict(num=3, size=16, num_classes=3, seed=1),
    fog=dict(num=2, size=16, num_classes=5, seed=2),
    night=dict(num=4, size=16, num_classes=2, seed=3))
BINS = 4


@MODELS.register_module(force=True)
class _IntensityBinSegmentor(BaseModel):
    """Predicts, per pixel, the bin of its red value: ``r * BINS // 256`` (a fixed function of the
    image, so the test can compute the prediction without the model)."""

    def __init__(self):
        super().__init__()
        self.unused = torch.nn.Parameter(torch.zeros(1))

    def forward(self, inputs, data_samples=None, mode='tensor'):
        raise NotImplementedError  # only test_step / val_step are used

    def test_step(self, data):
        outputs = []
        for image, sample in zip(data['inputs'], data['data_samples']):
            sample.pred_sem_seg = PixelData(data=(image[:1].long() * BINS // 256))
            outputs.append(sample)
        return outputs

    val_step = test_step


def _metrics_by_hand(dataset_kwargs):
    """mIoU, mAcc, aAcc (in %, 2 decimals) of one domain: intersection and union summed over the
    domain's images, per class; mIoU / mAcc the mean over classes whose union / label area is not
    empty (as mmseg's IoUMetric: nan classes are left out)."""
    data = ToySegDataset(**dataset_kwargs)
    intersect = np.zeros(NUM_CLASSES)
    pred_area = np.zeros(NUM_CLASSES)
    label_area = np.zeros(NUM_CLASSES)
    for image, label in zip(data.images, data.labels):
        pred = (image[0].long() * BINS // 256).numpy()
        gt = label[0].numpy()
        for c in range(NUM_CLASSES):
            intersect[c] += np.sum((pred == c) & (gt == c))
            pred_area[c] += np.sum(pred == c)
            label_area[c] += np.sum(gt == c)
    union = pred_area + label_area - intersect
    with np.errstate(invalid='ignore', divide='ignore'):
        iou = intersect / union
        acc = intersect / label_area
    return dict(
        mIoU=round(float(np.nanmean(iou)) * 100, 2),
        mAcc=round(float(np.nanmean(acc)) * 100, 2),
        aAcc=round(float(intersect.sum() / label_area.sum()) * 100, 2))


def _runner(tmp_path, stage):
    loader = dict(
        batch_size=2,
        num_workers=0,
        sampler=dict(type='DefaultSampler', shuffle=False),
        datasets={
            d: dict(type='ToySegDataset', **kw)
            for d, kw in DOMAINS.items()
        })
    evaluator = dict(type='DGIoUMetric', iou_metrics=['mIoU'])
    loop = dict(type='MultiDomainTestLoop' if stage == 'test' else 'MultiDomainValLoop')
    return Runner(
        model=dict(type='_IntensityBinSegmentor'),
        work_dir=str(tmp_path),
        default_scope='mmseg',
        **{
            f'{stage}_dataloader': loader,
            f'{stage}_evaluator': evaluator,
            f'{stage}_cfg': loop
        })


@pytest.mark.parametrize('stage', ['test', 'val'])
def test_each_domain_is_scored_on_its_own_images(tmp_path, stage):
    runner = _runner(tmp_path, stage)
    metrics = runner.test() if stage == 'test' else runner.val()
    expected = {d: _metrics_by_hand(kw) for d, kw in DOMAINS.items()}
    # the domains really differ (so a pooled or shifted result cannot pass by chance)
    assert len({e['mIoU'] for e in expected.values()}) == len(DOMAINS)
    for domain, values in expected.items():
        for key, value in values.items():
            assert metrics[f'{domain}/{key}'] == pytest.approx(value, abs=0.01), (domain, key)
    for key in ('mIoU', 'mAcc', 'aAcc'):  # the unweighted mean over domains, as DG papers report
        mean = sum(e[key] for e in expected.values()) / len(DOMAINS)
        assert metrics[f'avg/{key}'] == pytest.approx(mean, abs=0.01)
    if stage == 'test':  # the results file says the same
        results_file = osp.join(runner.log_dir, 'test_results.json')
        written = json.load(open(results_file))
        assert written['fog']['mIoU'] == pytest.approx(expected['fog']['mIoU'], abs=0.01)
