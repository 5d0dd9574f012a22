"""Foggy Driving (Sakaridis et al., IJCV 2018): 101 real foggy road scenes with Cityscapes
labels, 33 finely and 68 coarsely annotated; a target domain of the FisherTune paper's Table 3."""
import os.path as osp

from mmseg.registry import DATASETS

from ..utils.errors import DatasetConfigError
from .dg_base import DGBaseSegDataset

#: annotation subsets: (image folder, label folder, label suffix)
FOGGY_DRIVING_PARTS = dict(
    fine=('leftImg8bit/test', 'gtFine/test', '_gtFine_labelTrainIds.png'),
    coarse=('leftImg8bit/test_extra', 'gtCoarse/test_extra', '_gtCoarse_labelTrainIds.png'))


@DATASETS.register_module()
class FoggyDrivingDataset(DGBaseSegDataset):
    """Foggy Driving in its release's Cityscapes-style layout::

        Foggy_Driving/                                       <- data_root
          leftImg8bit/test/<scene>/<name>_leftImg8bit.png        (33 finely annotated)
          gtFine/test/<scene>/<name>_gtFine_labelTrainIds.png
          leftImg8bit/test_extra/<scene>/<name>_leftImg8bit.png  (68 coarsely annotated)
          gtCoarse/test_extra/<scene>/<name>_gtCoarse_labelTrainIds.png

    Args:
        annotations (str): ``'all'`` (the 101 images, default: the set usually reported as
            "Foggy Driving"), ``'fine'`` or ``'coarse'``.
    """

    def __init__(self,
                 annotations='all',
                 img_suffix='_leftImg8bit.png',
                 data_prefix=dict(img_path='', seg_map_path=''),
                 **kwargs):
        if annotations not in ('all', *FOGGY_DRIVING_PARTS):
            raise DatasetConfigError(f"FoggyDrivingDataset: annotations={annotations!r}, use "
                                     f"'all', 'fine' or 'coarse'.")
        self.parts = tuple(FOGGY_DRIVING_PARTS) if annotations == 'all' else (annotations, )
        super().__init__(
            img_suffix=img_suffix,
            seg_map_suffix='_gtFine_labelTrainIds.png',
            data_prefix=data_prefix,
            **kwargs)

    def load_data_list(self):
        prefix, suffix = dict(self.data_prefix), self.seg_map_suffix
        root = self.data_root or ''
        data_list = []
        try:
            for part in self.parts:
                img_dir, seg_dir, self.seg_map_suffix = FOGGY_DRIVING_PARTS[part]
                self.data_prefix = dict(
                    img_path=osp.join(root, img_dir), seg_map_path=osp.join(root, seg_dir))
                data_list += super().load_data_list()
        finally:
            self.data_prefix, self.seg_map_suffix = prefix, suffix
        return data_list
