"""Label validation shared by the datasets (sample checks, target domains) and the metric.

mmseg's IoU histogram silently drops label ids outside ``[0, num_classes)``; every place that reads
labels here calls :func:`check_label_ids` instead, so a wrong label conversion is an error that
names the file, not a silently wrong mIoU.
"""
import torch

from ..utils.errors import LabelRangeError


def check_label_ids(label, num_classes, ignore_index, source):
    """Raise :class:`LabelRangeError` when ``label`` (tensor) holds ids outside the classes."""
    valid = (label < num_classes) & (label >= 0) | (label == ignore_index)
    if not bool(valid.all()):
        bad = torch.unique(label[~valid]).tolist()[:10]
        raise LabelRangeError(
            f'label map {source} holds ids {bad} outside the {num_classes} classes '
            f'(valid: 0..{num_classes - 1} and ignore {ignore_index}). Convert the labels to '
            f'train ids with tools/dataset_converters/ or check the dataset type.')
