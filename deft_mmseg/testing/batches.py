"""A random segmentation batch in the form a segmentor's ``loss`` / ``predict`` receive."""
import torch
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample


def seg_batch(n=2, size=32, seed=0, num_classes=19, device='cpu'):
    """``(inputs, data_samples)``: inputs (n, 3, size, size) standard normal (an already
    normalized image), one ``SegDataSample`` per image with ``gt_sem_seg`` (1, size, size) of
    class ids in ``[0, num_classes)`` and the image/pad/original shapes. Deterministic in
    ``seed`` (a private generator; the global RNG is untouched)."""
    g = torch.Generator().manual_seed(seed)
    inputs = torch.randn(n, 3, size, size, generator=g)
    samples = []
    for _ in range(n):
        sample = SegDataSample()
        labels = torch.randint(0, num_classes, (1, size, size), generator=g)
        sample.gt_sem_seg = PixelData(data=labels.to(device))
        sample.set_metainfo(
            dict(img_shape=(size, size), pad_shape=(size, size), ori_shape=(size, size)))
        samples.append(sample)
    return inputs.to(device), samples
