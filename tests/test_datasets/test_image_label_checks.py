"""A label map that does not fit its image stops the run at the first such sample with one line
naming both files; tools/check_dataset.py checks every sample of a config before a run."""
import os.path as osp
import shutil

import numpy as np
import pytest
from PIL import Image

from deft_mmseg.datasets import CheckImageLabelPair
from deft_mmseg.utils.errors import DatasetSampleError
from e2e_helpers import DEFT_DEMO, error_line_in_process, run_tool, run_tool_in_process

SOURCE_LABEL = osp.join('data', 'demo', 'gtav', 'labels', '00003_labelTrainIds.png')
SOURCE_IMAGE = osp.join('data', 'demo', 'gtav', 'images', '00003.png')
FOG = osp.join('data', 'demo', 'demo_fog')
FOG_LABEL = osp.join(FOG, 'gtFine', 'val', 'demo', 'demo_000002_000019_gtFine_labelTrainIds.png')
FOG_IMAGE = osp.join(FOG, 'leftImg8bit', 'val', 'demo', 'demo_000001_000019_leftImg8bit.png')


@pytest.fixture
def own_demo(demo_root, tmp_path, monkeypatch):
    """A private, writable copy of the demo data as data/demo of the working directory."""
    shutil.copytree(demo_root, tmp_path / 'data' / 'demo')
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _half_size(path):
    img = Image.open(path)
    img.resize((img.width // 2, img.height // 2), Image.NEAREST).save(path)


def test_check_transform_against_the_image_shape():
    img, label = np.zeros((64, 128, 3), np.uint8), np.zeros((64, 128), np.uint8)
    base = dict(img=img, ori_shape=(64, 128), img_path='a.png', seg_map_path='a_label.png')
    check = CheckImageLabelPair()
    assert check(dict(base, gt_seg_map=label)) is not None
    # a test pipeline resizes the image before LoadAnnotations: ori_shape is what counts
    assert check(dict(base, img=np.zeros((512, 1024, 3), np.uint8), gt_seg_map=label)) is not None
    with pytest.raises(
            DatasetSampleError,
            match=r"'a_label.png' is 32x64 \(HxW\) but its image "
            r"is 64x128 \(image 'a.png'\)"):
        check(dict(base, gt_seg_map=label[::2, ::2]))
    with pytest.raises(DatasetSampleError, match='has 3 channels'):
        check(dict(base, gt_seg_map=np.zeros((64, 128, 3), np.uint8)))
    lenient = CheckImageLabelPair(on_mismatch='resize_label')
    small = np.arange(32 * 64, dtype=np.uint8).reshape(32, 64) % 19
    out = lenient(dict(base, gt_seg_map=small))['gt_seg_map']
    assert out.shape == (64, 128) and np.array_equal(out[::2, ::2], small)  # nearest neighbour
    with pytest.raises(DatasetSampleError, match='channels'):
        lenient(dict(base, gt_seg_map=np.zeros((64, 128, 3), np.uint8)))


@pytest.mark.parametrize('damage', ['half_size', 'rgb'])
def test_training_stops_at_a_label_that_does_not_fit_its_image(own_demo, damage, capsys):
    if damage == 'half_size':
        _half_size(SOURCE_LABEL)
        expected = 'is 32x64 (HxW) but its image is 64x128'
    else:
        ids = np.array(Image.open(SOURCE_LABEL))
        Image.fromarray(np.stack([ids] * 3, -1)).save(SOURCE_LABEL)
        expected = 'has 3 channels'
    line = error_line_in_process(capsys, 'train.py', *DEFT_DEMO, '--work-dir', 'work',
                                 '--cfg-options', 'train_cfg.warmup_iters=2',
                                 'train_cfg.decoupled_iters=6', 'train_cfg.val_interval=100')
    assert expected in line and SOURCE_LABEL in line and SOURCE_IMAGE in line


def test_check_dataset_tool_passes_good_data(own_demo, capsys):
    assert run_tool_in_process('check_dataset.py', *DEFT_DEMO) == 0
    stdout = capsys.readouterr().out
    rows = {
        ln.split()[0]: ln.split()[1:]
        for ln in stdout.splitlines() if ln.startswith(('train/', 'val/'))
    }
    assert rows == {
        'train/source': ['GTAVDataset', '12', '0'],
        'val/demo_real': ['CityscapesDataset', '4', '0'],
        'val/demo_fog': ['CityscapesDataset', '4', '0'],
        'val/demo_night': ['CityscapesDataset', '4', '0']
    }
    assert 'all samples are good' in stdout


def test_check_dataset_tool_lists_every_bad_sample(own_demo):
    """From a fresh shell: the tool's contract (exit 2, the summary as one error line)."""
    _half_size(SOURCE_LABEL)
    with open(FOG_IMAGE, 'wb') as f:
        f.write(b'not a png')
    ids = np.array(Image.open(FOG_LABEL))
    ids[0, 0] = 40  # not a train id
    Image.fromarray(ids).save(FOG_LABEL)
    proc = run_tool('check_dataset.py', *DEFT_DEMO, '--workers', '2')
    assert proc.returncode == 2
    assert 'Traceback' not in proc.stderr
    assert 'error: 3 of 24 samples are bad' in proc.stderr
    out = proc.stdout
    assert f"train/source: label '{SOURCE_LABEL}'" in out
    assert 'is 32x64 (HxW) but its image is 64x128' in out
    assert 'val/demo_fog: image' in out and FOG_IMAGE in out and 'cannot be read' in out
    assert 'holds ids [40] outside the 19 classes' in out and FOG_LABEL in out
    rows = {
        ln.split()[0]: ln.split()[1:]
        for ln in out.splitlines() if ln.startswith(('train/', 'val/')) and len(ln.split()) == 4
    }
    assert rows['train/source'][-1] == '1' and rows['val/demo_fog'][-1] == '2'
    assert rows['val/demo_real'][-1] == '0'
