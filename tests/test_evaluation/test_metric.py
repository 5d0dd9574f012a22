"""DGIoUMetric and the multi-domain summary against IoU computed by hand on label maps."""
import numpy as np
import pytest
import torch

from deft_mmseg.evaluation import DGIoUMetric, format_domain_table, summarize_domains
from deft_mmseg.utils.errors import LabelRangeError


def _sample(pred, gt):
    return dict(
        pred_sem_seg=dict(data=torch.tensor(pred)[None]),
        gt_sem_seg=dict(data=torch.tensor(gt)[None]),
        seg_map_path='x.png')


def _by_hand(preds, gts, num_classes, ignore=255):
    """Straightforward per-class counting, independent of mmseg's histogram code."""
    inter, union, label_area = np.zeros(num_classes), np.zeros(num_classes), np.zeros(num_classes)
    correct = valid = 0
    for pred, gt in zip(preds, gts):
        pred, gt = np.asarray(pred), np.asarray(gt)
        for p, g in zip(pred.ravel(), gt.ravel()):
            if g == ignore:
                continue
            valid += 1
            correct += p == g
            label_area[g] += 1
            if p == g:
                inter[g] += 1
                union[g] += 1
            else:
                union[g] += 1
                union[p] += 1
    return inter / union, inter / label_area, correct / valid


PRED = [[0, 0, 1], [1, 2, 2]]
GT = [[0, 1, 1], [1, 2, 255]]


def _metric(classes=('a', 'b', 'c'), **kwargs):
    metric = DGIoUMetric(**kwargs)
    metric.dataset_meta = dict(classes=classes)
    return metric


def test_miou_matches_hand_computation():
    metric = _metric()
    metric.process({}, [_sample(PRED, GT), _sample([[2, 2, 2]], [[2, 0, 255]])])
    result = metric.compute_metrics(metric.results)
    iou, acc, aacc = _by_hand([PRED, [[2, 2, 2]]], [GT, [[2, 0, 255]]], 3)
    assert result['mIoU'] == pytest.approx(round(iou.mean() * 100, 2))
    assert result['mAcc'] == pytest.approx(round(acc.mean() * 100, 2))
    assert result['aAcc'] == pytest.approx(round(aacc * 100, 2))
    # the single-sample case, literally: IoU = (1/2, 2/3, 1), Acc = (1, 2/3, 1), aAcc = 4/5
    metric = _metric()
    metric.process({}, [_sample(PRED, GT)])
    result = metric.compute_metrics(metric.results)
    assert result['mIoU'] == 72.22 and result['mAcc'] == 88.89 and result['aAcc'] == 80.0


def test_class_subset_and_per_class_values():
    metric = _metric(eval_classes=['a', 'c'], per_class=True)
    metric.process({}, [_sample(PRED, GT)])
    result = metric.compute_metrics(metric.results)
    assert result['mIoU'] == 75.0  # (1/2 + 1) / 2
    assert result['IoU.a'] == 50.0 and result['IoU.c'] == 100.0 and 'IoU.b' not in result
    assert result['aAcc'] == 80.0  # pixel accuracy still counts every labelled pixel
    # the subset can also come from the dataset metainfo (SYNTHIA's 16-class protocol)
    metric = _metric()
    metric.dataset_meta = dict(classes=('a', 'b', 'c'), eval_class_ids=(1, 2))
    metric.process({}, [_sample(PRED, GT)])
    assert metric.compute_metrics(metric.results)['mIoU'] == pytest.approx(83.33)
    with pytest.raises(KeyError, match='not classes'):
        bad = _metric(eval_classes=['zebra'])
        bad.process({}, [_sample(PRED, GT)])
        bad.compute_metrics(bad.results)


def test_label_ids_outside_classes_raise_instead_of_being_dropped():
    metric = _metric()
    with pytest.raises(LabelRangeError, match=r"x.png.*\[7\]"):
        metric.process({}, [_sample(PRED, [[0, 1, 7], [1, 2, 255]])])


def test_domain_summary_average_and_table():
    flat, nested = summarize_domains({
        'cityscapes': dict(aAcc=90.0, mIoU=50.0, mAcc=60.0),
        'bdd100k': dict(aAcc=80.0, mIoU=40.0, mAcc=55.0),
        'mapillary': dict(aAcc=85.0, mIoU=45.5, mAcc=58.0)
    })
    assert flat['cityscapes/mIoU'] == 50.0 and flat['bdd100k/aAcc'] == 80.0
    assert flat['avg/mIoU'] == pytest.approx(45.17)
    assert flat['avg/mAcc'] == pytest.approx(57.67)
    assert flat['avg/aAcc'] == 85.0
    assert list(nested) == ['cityscapes', 'bdd100k', 'mapillary', 'avg']
    lines = format_domain_table(nested).splitlines()
    assert 'Domain' in lines[1] and 'mIoU' in lines[1]
    assert lines[-2].split('|')[1].strip() == 'avg'
