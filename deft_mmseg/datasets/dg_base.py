"""Common base of this plugin's datasets: the 19 Cityscapes classes plus input validation."""
import os.path as osp
from functools import partial

from mmseg.datasets import BaseSegDataset, CityscapesDataset

from ..utils.errors import DatasetConfigError, DatasetSampleError
from .label_checks import check_label_ids


class DGBaseSegDataset(BaseSegDataset):
    """``BaseSegDataset`` with the 19 Cityscapes classes and clear errors for bad data.

    - A missing ``data_root``/image folder/label folder raises :class:`DatasetConfigError`.
    - Images without a label file raise, listing the first ones, unless ``allow_missing_labels``.
    - A sample whose image cannot be decoded, or whose label holds ids outside the classes, raises
      :class:`DatasetSampleError` naming the files (mmengine would otherwise retry other indices or
      fail deep inside a dataloader worker).
    """

    METAINFO = dict(
        classes=CityscapesDataset.METAINFO['classes'],
        palette=CityscapesDataset.METAINFO['palette'])

    def __init__(self, *args, allow_missing_labels=False, **kwargs):
        self.allow_missing_labels = allow_missing_labels
        super().__init__(*args, **kwargs)

    def _check_dir(self, key, path):
        if not osp.isdir(path):
            raise DatasetConfigError(
                f'{type(self).__name__}: data_prefix.{key} {path!r} does not exist (data_root='
                f'{self.data_root!r}). Check the dataset layout in docs/datasets.md and that the '
                f'label converter has run.')

    def load_data_list(self):
        if self.data_root and not osp.isdir(self.data_root):
            raise DatasetConfigError(
                f'{type(self).__name__}: data_root {self.data_root!r} does not exist. Put the '
                f'dataset there (docs/datasets.md) or set data_root in the config.')
        img_dir = self.data_prefix.get('img_path', None)
        ann_dir = self.data_prefix.get('seg_map_path', None)
        self._check_dir('img_path', img_dir)
        if ann_dir:
            self._check_dir('seg_map_path', ann_dir)
        data_list = super().load_data_list()
        if not data_list:
            raise DatasetConfigError(
                f'{type(self).__name__}: no images ending in {self.img_suffix!r} under {img_dir!r}'
                + (f' listed in {self.ann_file!r}' if self.ann_file else '') + '.')
        if ann_dir and not self.allow_missing_labels:
            missing = [d['img_path'] for d in data_list if not osp.isfile(d['seg_map_path'])]
            if missing:
                raise DatasetConfigError(
                    f'{type(self).__name__}: {len(missing)} of {len(data_list)} images have no '
                    f'label file ending in {self.seg_map_suffix!r} under {ann_dir!r}, e.g. '
                    f'{missing[:3]}. Run the label converter (tools/dataset_converters/) or '
                    f'pass allow_missing_labels=True to skip them.')
        if ann_dir and self.allow_missing_labels:
            data_list = [d for d in data_list if osp.isfile(d['seg_map_path'])]
        return data_list

    def prepare_data(self, idx):
        return prepare_checked(self, super().prepare_data, idx)


def prepare_checked(dataset, prepare, idx):
    """``prepare(idx)`` of ``dataset`` with the plugin's sample errors: a sample that fails to
    load raises :class:`DatasetSampleError` naming its image and label files (mmengine would retry
    other indices in training or fail deep inside a dataloader worker), and a label holding ids
    outside the classes raises ``LabelRangeError`` naming the file."""
    try:
        data = prepare(idx)
    except DatasetSampleError:
        raise
    except Exception as e:
        info = dataset.get_data_info(idx)
        raise DatasetSampleError(
            f'{type(dataset).__name__}: failed to load sample {idx} (image '
            f'{info.get("img_path")!r}, label {info.get("seg_map_path")!r}): '
            f'{type(e).__name__}: {e}. The file may be corrupt or not an image: re-extract '
            f'it or remove it from the split.') from e
    if data is None:
        return data
    samples = data.get('data_samples')
    gt = getattr(samples, 'gt_sem_seg', None)
    if gt is not None:
        info = dataset.get_data_info(idx)
        check_label_ids(gt.data, len(dataset.metainfo['classes']),
                        getattr(dataset, 'ignore_index', 255), repr(info.get('seg_map_path')))
    return data


def guard_sample_errors(dataset):
    """Give a dataset that is not a :class:`DGBaseSegDataset` (e.g. mmseg's
    ``CityscapesDataset`` as a target domain) the same per-sample errors, in place."""
    if isinstance(dataset, DGBaseSegDataset) or getattr(dataset, '_deft_guarded', False):
        return dataset
    dataset.prepare_data = partial(prepare_checked, dataset, dataset.prepare_data)
    dataset._deft_guarded = True
    return dataset
