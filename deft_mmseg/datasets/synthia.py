"""SYNTHIA-RAND-CITYSCAPES (Ros et al., 2016), 16-class protocol."""
from mmseg.registry import DATASETS

from .dg_base import DGBaseSegDataset
from .label_maps import SYNTHIA_16_TRAIN_IDS


@DATASETS.register_module()
class SynthiaDataset(DGBaseSegDataset):
    """SYNTHIA: ``RGB/0000000.png`` with ``GT/LABELS/0000000_labelTrainIds.png``.

    Labels use the 19 Cityscapes train ids (``tools/dataset_converters/synthia.py``); SYNTHIA has no
    terrain, truck or train pixels. **16-class protocol**: the metainfo key ``eval_class_ids``
    lists the 16 classes SYNTHIA annotates, and :class:`DGIoUMetric` averages mIoU/mAcc over them
    when SYNTHIA is a target. When SYNTHIA is the *source*, configs pass the same 16 classes to the
    target domains' metric (``eval_classes``); see docs/datasets.md.
    """

    METAINFO = dict(DGBaseSegDataset.METAINFO, eval_class_ids=SYNTHIA_16_TRAIN_IDS)

    def __init__(self,
                 img_suffix='.png',
                 seg_map_suffix='_labelTrainIds.png',
                 data_prefix=dict(img_path='RGB', seg_map_path='GT/LABELS'),
                 **kwargs):
        super().__init__(
            img_suffix=img_suffix, seg_map_suffix=seg_map_suffix, data_prefix=data_prefix, **kwargs)
