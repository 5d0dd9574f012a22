"""Foggy Zurich-test (Sakaridis et al., ECCV 2018): 40 dense-fog scenes with fine Cityscapes
labels, a target domain of the FisherTune paper's Table 3."""
import os.path as osp

from mmseg.registry import DATASETS

from ..utils.errors import DatasetConfigError
from .dg_base import DGBaseSegDataset


@DATASETS.register_module()
class FoggyZurichDataset(DGBaseSegDataset):
    """Foggy Zurich as released: the test images lie in the sequence folders of ``RGB/`` among
    thousands of unlabelled frames, so the release's two list files name the labelled ones, line
    by line in the same order (paths relative to ``data_root``)::

        Foggy_Zurich/                                   <- data_root
          RGB/<sequence>/<frame>.png
          gt_labelTrainIds/testv2/<frame>.png          (Cityscapes train ids, 255 = ignore)
          lists_file_names/RGB_testv2_filenames.txt
          lists_file_names/gt_labelTrainIds_testv2_filenames.txt

    Args:
        img_list (str), seg_list (str): the two list files, relative to ``data_root``.
    """

    def __init__(self,
                 img_list='lists_file_names/RGB_testv2_filenames.txt',
                 seg_list='lists_file_names/gt_labelTrainIds_testv2_filenames.txt',
                 data_prefix=dict(img_path='', seg_map_path=''),
                 **kwargs):
        self.img_list, self.seg_list = img_list, seg_list
        super().__init__(
            img_suffix='.png', seg_map_suffix='.png', data_prefix=data_prefix, **kwargs)

    def _read_list(self, name):
        path = osp.join(self.data_root or '', name)
        if not osp.isfile(path):
            raise DatasetConfigError(
                f'FoggyZurichDataset: list file {path!r} does not exist (data_root='
                f'{self.data_root!r}); it comes with the Foggy Zurich release '
                f'(docs/datasets.md).')
        with open(path) as f:
            return [line.strip() for line in f if line.strip()]

    def load_data_list(self):
        if self.data_root and not osp.isdir(self.data_root):
            raise DatasetConfigError(
                f'FoggyZurichDataset: data_root {self.data_root!r} does not exist. Put the '
                f'dataset there (docs/datasets.md) or set data_root in the config.')
        images, labels = self._read_list(self.img_list), self._read_list(self.seg_list)
        if len(images) != len(labels) or not images:
            raise DatasetConfigError(
                f'FoggyZurichDataset: {self.img_list} lists {len(images)} images but '
                f'{self.seg_list} lists {len(labels)} labels; they must pair line by line.')
        root = self.data_root or ''
        data_list = [
            dict(
                img_path=osp.join(root, img),
                seg_map_path=osp.join(root, seg),
                label_map=self.label_map,
                reduce_zero_label=self.reduce_zero_label,
                seg_fields=[]) for img, seg in zip(images, labels)
        ]
        missing = [d['img_path'] for d in data_list if not osp.isfile(d['img_path'])]
        missing += [d['seg_map_path'] for d in data_list if not osp.isfile(d['seg_map_path'])]
        if missing:
            raise DatasetConfigError(
                f'FoggyZurichDataset: {len(missing)} files named in the list files do not exist, '
                f'e.g. {missing[:3]}.')
        return data_list
