"""ACDC (adverse conditions: fog, night, rain, snow) with Cityscapes train ids."""
import os.path as osp

from mmseg.registry import DATASETS

from ..utils.errors import DatasetConfigError
from .dg_base import DGBaseSegDataset

ACDC_CONDITIONS = ('fog', 'night', 'rain', 'snow')


@DATASETS.register_module()
class ACDCDataset(DGBaseSegDataset):
    """ACDC: ``rgb_anon/<cond>/<split>/<seq>/<name>_rgb_anon.png`` with
    ``gt/<cond>/<split>/<seq>/<name>_gt_labelTrainIds.png`` (the official release layout).

    Args:
        conditions (str | Sequence[str]): ``'all'`` or one/several of fog, night, rain, snow.
        split (str): ``'train'``, ``'val'`` or ``'test'`` (test has no labels). Default ``'val'``.
    """

    def __init__(self,
                 conditions='all',
                 split='val',
                 img_suffix='_rgb_anon.png',
                 seg_map_suffix='_gt_labelTrainIds.png',
                 data_prefix=dict(img_path='rgb_anon', seg_map_path='gt'),
                 **kwargs):
        if conditions == 'all':
            conditions = ACDC_CONDITIONS
        elif isinstance(conditions, str):
            conditions = (conditions, )
        unknown = [c for c in conditions if c not in ACDC_CONDITIONS]
        if unknown:
            raise DatasetConfigError(f'ACDCDataset: unknown conditions {unknown}; choose from '
                                     f"{ACDC_CONDITIONS} or 'all'.")
        self.conditions = tuple(conditions)
        self.split = split
        super().__init__(
            img_suffix=img_suffix, seg_map_suffix=seg_map_suffix, data_prefix=data_prefix, **kwargs)

    def load_data_list(self):
        img_root = self.data_prefix['img_path']
        seg_root = self.data_prefix.get('seg_map_path')
        data_list = []
        for cond in self.conditions:
            self.data_prefix = dict(
                img_path=osp.join(img_root, cond, self.split),
                seg_map_path=osp.join(seg_root, cond, self.split) if seg_root else None)
            try:
                data_list += super().load_data_list()
            finally:
                self.data_prefix = dict(img_path=img_root, seg_map_path=seg_root)
        return data_list
