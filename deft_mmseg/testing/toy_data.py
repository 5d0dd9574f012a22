"""A toy segmentation dataset for runner-level unit tests (mmengine's ``RunnerTestCase`` brings a
toy model and a toy classification dataset; segmentors need images and label maps)."""
import torch
from mmengine.structures import PixelData
from mmseg.registry import DATASETS
from mmseg.structures import SegDataSample
from torch.utils.data import Dataset


@DATASETS.register_module()
class ToySegDataset(Dataset):
    """``num`` random images (uint8, (3, size, size)) with random label maps in
    ``[0, num_classes)``, as mmseg's ``PackSegInputs`` would hand them to ``SegDataPreProcessor``.
    Deterministic in ``seed``."""

    METAINFO = dict(
        classes=tuple(f'class{i}' for i in range(19)),
        palette=[[i * 13 % 256] * 3 for i in range(19)])

    def __init__(self, num: int = 8, size: int = 32, num_classes: int = 19, seed: int = 0) -> None:
        g = torch.Generator().manual_seed(seed)
        self.images = torch.randint(0, 256, (num, 3, size, size), generator=g, dtype=torch.uint8)
        self.labels = torch.randint(0, num_classes, (num, 1, size, size), generator=g)
        self.size = size

    @property
    def metainfo(self) -> dict:
        return dict(self.METAINFO)

    def __len__(self) -> int:
        return len(self.images)

    def get_data_info(self, index: int) -> dict:
        """What mmengine's ``BaseDataset.get_data_info`` gives (file names of the sample)."""
        return dict(img_path=f'toy_{index}.png', seg_map_path=f'toy_{index}_label.png')

    def __getitem__(self, index: int) -> dict:
        return self.prepare_data(index)

    def prepare_data(self, index: int) -> dict:
        """One packed sample, as ``BaseDataset.prepare_data`` (the loops wrap this method with
        the plugin's sample checks, as they do for every dataset)."""
        sample = SegDataSample()
        sample.gt_sem_seg = PixelData(data=self.labels[index].clone())
        shape = (self.size, self.size)
        sample.set_metainfo(
            dict(img_shape=shape, ori_shape=shape, pad_shape=shape, img_path=f'toy_{index}.png'))
        return dict(inputs=self.images[index].clone(), data_samples=sample)
