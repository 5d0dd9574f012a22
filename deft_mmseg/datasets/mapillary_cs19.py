"""Mapillary Vistas v1.2 evaluated on the 19 Cityscapes classes."""
from mmseg.registry import DATASETS

from .dg_base import DGBaseSegDataset


@DATASETS.register_module()
class MapillaryCS19Dataset(DGBaseSegDataset):
    """Mapillary Vistas with its 66 v1.2 classes mapped to the 19 Cityscapes train ids.

    Layout: ``validation/images/<key>.jpg`` with ``validation/labels_cs19/<key>.png`` written by
    ``tools/dataset_converters/mapillary.py`` (the mapping is in
    ``deft_mmseg.datasets.label_maps.MAPILLARY_V12_ID_TO_TRAINID``). With ``--short-side N`` the
    converter writes resized copies; point ``data_prefix`` at the folders it prints.
    """

    def __init__(self,
                 img_suffix='.jpg',
                 seg_map_suffix='.png',
                 data_prefix=dict(
                     img_path='validation/images', seg_map_path='validation/labels_cs19'),
                 **kwargs):
        super().__init__(
            img_suffix=img_suffix, seg_map_suffix=seg_map_suffix, data_prefix=data_prefix, **kwargs)
