"""IoU metric for domain-generalization protocols (mmseg ``IoUMetric`` plus three things).

1. **Class subsets.** Protocols such as SYNTHIA's 16 classes average IoU over a subset of the 19
   classes. The subset comes from ``eval_classes`` (names) or from the dataset's metainfo key
   ``eval_class_ids``; classes outside it are still counted in aAcc (pixel accuracy over all
   labelled pixels, as in mmseg) but not in mIoU/mAcc.
2. **Per-class values** as metrics (``IoU.<class>``, ``Acc.<class>``) when ``per_class=True``.
3. **Label validation.** mmseg's histogram silently drops label ids outside ``[0, num_classes)``;
   here a ground-truth id that is neither a class nor ``ignore_index`` raises an error naming the
   label file, instead of producing a silently wrong mIoU.

And for test-server submissions (``format_only=True`` with ``output_dir``, ``tools/test.py
--format-only``): each prediction is written to ``<output_dir>/<image's folder>/<image stem>.png``,
as Cityscapes label ids with ``label_ids='cityscapes'`` (train ids otherwise); no label is read.
"""
import os
import os.path as osp
from collections import OrderedDict

import numpy as np
from mmengine.logging import MMLogger, print_log
from mmseg.evaluation import IoUMetric
from mmseg.registry import METRICS
from PIL import Image
from prettytable import PrettyTable

from ..datasets.label_checks import check_label_ids  # noqa: F401  (re-exported)
from ..datasets.label_maps import CITYSCAPES_TRAINID_TO_ID


@METRICS.register_module()
class DGIoUMetric(IoUMetric):
    """mmseg ``IoUMetric`` with class subsets, per-class outputs and label validation.

    Args:
        eval_classes (list[str], optional): class names to average over; default: the dataset's
            ``eval_class_ids`` metainfo if present, else all classes.
        per_class (bool): also return ``IoU.<class>`` and ``Acc.<class>``. Default False.
        **kwargs: as mmseg ``IoUMetric`` (``ignore_index``, ``iou_metrics``, ...).
    """

    #: ``label_ids`` choices: train id -> id written by ``format_only``
    LABEL_IDS = {'cityscapes': CITYSCAPES_TRAINID_TO_ID}

    def __init__(self, eval_classes=None, per_class=False, label_ids=None, **kwargs):
        super().__init__(**kwargs)
        self.eval_classes = list(eval_classes) if eval_classes is not None else None
        self.per_class = per_class
        if label_ids is not None and label_ids not in self.LABEL_IDS:
            raise KeyError(f'label_ids={label_ids!r}: known {sorted(self.LABEL_IDS)}')
        self.label_ids = label_ids

    def _write_submission(self, data_samples):
        """``format_only``: one PNG per image, named after the image in its folder."""
        lut = None
        if self.label_ids is not None:
            mapping = self.LABEL_IDS[self.label_ids]
            lut = np.zeros(256, np.uint8)
            for train_id, label_id in mapping.items():
                lut[train_id] = label_id
        for sample in data_samples:
            img_path = sample['img_path']
            folder = osp.join(self.output_dir, osp.basename(osp.dirname(img_path)))
            os.makedirs(folder, exist_ok=True)
            pred = sample['pred_sem_seg']['data'][0].cpu().numpy().astype(np.uint8)
            if lut is not None:
                pred = lut[pred]
            stem = osp.splitext(osp.basename(img_path))[0]
            Image.fromarray(pred).save(osp.join(folder, stem + '.png'))

    def process(self, data_batch, data_samples):
        if self.format_only and self.output_dir:
            self._write_submission(data_samples)
            return
        num_classes = len(self.dataset_meta['classes'])
        if not self.format_only:
            for sample in data_samples:
                check_label_ids(sample['gt_sem_seg']['data'], num_classes, self.ignore_index,
                                repr(sample.get('seg_map_path', sample.get('img_path'))))
        super().process(data_batch, data_samples)

    def evaluated_class_ids(self):
        """Indices of the classes mIoU/mAcc average over."""
        classes = list(self.dataset_meta['classes'])
        if self.eval_classes is not None:
            unknown = [c for c in self.eval_classes if c not in classes]
            if unknown:
                raise KeyError(f'eval_classes {unknown} are not classes of the dataset '
                               f'({classes})')
            return [classes.index(c) for c in self.eval_classes]
        ids = self.dataset_meta.get('eval_class_ids')
        return list(ids) if ids is not None else list(range(len(classes)))

    def compute_metrics(self, results):
        logger = MMLogger.get_current_instance()
        if self.format_only:
            return super().compute_metrics(results)
        areas = [sum(r) for r in zip(*results)]
        ret = self.total_area_to_metrics(*areas, self.metrics, self.nan_to_num, self.beta)
        ids = self.evaluated_class_ids()
        class_names = list(self.dataset_meta['classes'])
        metrics = OrderedDict(aAcc=float(np.round(ret.pop('aAcc') * 100, 2)))
        for key, value in ret.items():
            value = np.asarray(value, dtype=np.float64)
            metrics['m' + key] = float(np.round(np.nanmean(value[ids]) * 100, 2))
        table = PrettyTable()
        table.add_column('Class', [class_names[i] for i in ids])
        for key, value in ret.items():
            table.add_column(key, [round(float(value[i]) * 100, 2) for i in ids])
        print_log('per class results:\n' + table.get_string(), logger=logger)
        if self.per_class:
            for key, value in ret.items():
                for i in ids:
                    metrics[f'{key}.{class_names[i]}'] = float(np.round(value[i] * 100, 2))
        return metrics
