"""Label ids are checked on the whole map before the random crop: a bad id outside the crop is
caught as well as one inside it (the datasets' own check sees the cropped map only)."""
import glob
import os.path as osp
import shutil

import numpy as np
import pytest
from mmcv.transforms import Compose
from PIL import Image

from deft_mmseg.datasets import CheckImageLabelPair
from deft_mmseg.datasets.transforms.check_image_label import use_class_count
from deft_mmseg.utils.errors import LabelRangeError
from e2e_helpers import DEFT_DEMO, error_line_in_process


def _sample(bad_at=(0, 0), bad_id=77):
    label = np.full((64, 128), 3, np.uint8)
    label[bad_at] = bad_id
    return dict(
        img=np.zeros((64, 128, 3), np.uint8),
        gt_seg_map=label,
        ori_shape=(64, 128),
        img_shape=(64, 128),
        img_path='a.png',
        seg_map_path='a_label.png',
        seg_fields=['gt_seg_map'])


def test_a_bad_id_outside_the_crop_is_caught():
    crop = dict(type='mmseg.RandomCrop', crop_size=(16, 16))
    pipeline = Compose([CheckImageLabelPair(num_classes=19), crop])
    with pytest.raises(
            LabelRangeError,
            match=r"'a_label.png' \(whole map, before cropping\) "
            r"holds ids \[77\] outside the 19 classes"):
        pipeline(_sample())
    assert pipeline(_sample(bad_id=255)) is not None  # the ignore index is fine
    # without a class count the transform checks shapes only (the hook fills it in)
    assert Compose([CheckImageLabelPair(), crop])(_sample()) is not None


def test_the_dataset_gives_the_check_its_class_count():
    pipeline = Compose([CheckImageLabelPair(), CheckImageLabelPair(num_classes=7)])
    assert use_class_count(pipeline, 19, 254) == 1
    assert [(t.num_classes, t.ignore_index) for t in pipeline.transforms] == [(19, 254), (7, 255)]


def test_training_stops_at_a_bad_id_in_a_corner_with_one_line(demo_root, tmp_path, monkeypatch,
                                                              capsys):
    """The shipped DeFT demo pipeline (random resize, 64x64 random crop) on source labels whose
    single bad pixel sits in a corner: the run stops at once, naming the file."""
    shutil.copytree(demo_root, tmp_path / 'data' / 'demo')
    monkeypatch.chdir(tmp_path)
    for path in glob.glob(osp.join('data', 'demo', 'gtav', 'labels', '*_labelTrainIds.png')):
        ids = np.array(Image.open(path))
        ids[-1, -1] = 77
        Image.fromarray(ids).save(path)
    line = error_line_in_process(capsys, 'train.py', *DEFT_DEMO, '--work-dir', 'run',
                                 '--cfg-options', 'train_cfg.warmup_iters=1',
                                 'train_cfg.decoupled_iters=1')
    assert 'LabelRangeError' in line and '(whole map, before cropping) holds ids [77]' in line
