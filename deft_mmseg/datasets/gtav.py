"""GTAV (Richter et al., 2016) as a source domain, with labels converted to train ids."""
from mmseg.registry import DATASETS

from .dg_base import DGBaseSegDataset


@DATASETS.register_module()
class GTAVDataset(DGBaseSegDataset):
    """GTAV: ``images/00001.png`` with ``labels/00001_labelTrainIds.png``.

    The train-id labels are written by ``tools/dataset_converters/gtav.py`` from the release's
    label PNGs (Cityscapes label ids). Splits: ``ann_file='train.txt'`` (written by the converter
    from ``split.mat``: 12,403 train / 6,382 val / 6,181 test) or all 24,966 images without one.
    """

    def __init__(self,
                 img_suffix='.png',
                 seg_map_suffix='_labelTrainIds.png',
                 data_prefix=dict(img_path='images', seg_map_path='labels'),
                 **kwargs):
        super().__init__(
            img_suffix=img_suffix, seg_map_suffix=seg_map_suffix, data_prefix=data_prefix, **kwargs)
