"""Datasets of the DG protocols (mmseg's CityscapesDataset and BDD100KDataset are used as they are)."""
from .acdc import ACDC_CONDITIONS, ACDCDataset
from .checks import check_dataset_cfg, check_num_classes, domain_dataset_cfgs
from .class_uniform import ClassUniformDataset, ClassUniformSampler
from .dg_base import DGBaseSegDataset
from .foggy_driving import FoggyDrivingDataset
from .foggy_zurich import FoggyZurichDataset
from .gtav import GTAVDataset
from .mapillary_cs19 import MapillaryCS19Dataset
from .synthia import SynthiaDataset
from .transforms import CheckImageLabelPair, RandomGaussianBlur

__all__ = [
    'ClassUniformDataset', 'ClassUniformSampler', 'ACDCDataset', 'ACDC_CONDITIONS',
    'DGBaseSegDataset', 'GTAVDataset', 'SynthiaDataset', 'MapillaryCS19Dataset',
    'FoggyZurichDataset', 'FoggyDrivingDataset', 'check_dataset_cfg', 'check_num_classes',
    'domain_dataset_cfgs', 'CheckImageLabelPair', 'RandomGaussianBlur'
]
