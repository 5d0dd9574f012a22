"""Dataset converters, on small files generated in each dataset's real layout and naming."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from PIL import Image

from deft_mmseg.datasets.converters import (convert_gtav_labels, convert_mapillary_labels,
                                            convert_synthia_labels)
from deft_mmseg.utils.errors import ConversionError


def _palette_png(path, ids):
    os.makedirs(osp.dirname(path), exist_ok=True)
    im = Image.frombytes('P', (ids.shape[1], ids.shape[0]), ids.astype(np.uint8).tobytes())
    im.putpalette([v for i in range(256) for v in (i, 255 - i, i // 2)])
    im.save(path)


def _rgb(path, h, w):
    os.makedirs(osp.dirname(path), exist_ok=True)
    Image.fromarray(np.full((h, w, 3), 100, np.uint8)).save(path)


def test_gtav_ids_to_train_ids_and_splits(tmp_path):
    root = str(tmp_path / 'gtav')
    ids = np.array([[7, 8, 11, 0], [26, 33, 34, 255]], dtype=np.uint8)
    _palette_png(osp.join(root, 'labels', '00001.png'), ids)
    _rgb(osp.join(root, 'images', '00001.png'), 2, 4)
    _palette_png(osp.join(root, 'labels', '00002.png'), np.full((3, 3), 23, np.uint8))
    _rgb(osp.join(root, 'images', '00002.png'), 4, 4)  # size differs from its label
    from scipy.io import savemat
    savemat(
        osp.join(root, 'split.mat'),
        dict(trainIds=np.array([[1]]), valIds=np.array([[2]]), testIds=np.array([[3]])))
    result = convert_gtav_labels(root, split_mat=osp.join(root, 'split.mat'))
    assert result['converted'] == 2
    assert result['size_mismatch'] == ['00002']
    out = np.asarray(Image.open(osp.join(root, 'labels', '00001_labelTrainIds.png')))
    np.testing.assert_array_equal(out, [[0, 1, 2, 255], [13, 18, 255, 255]])
    out2 = np.asarray(Image.open(osp.join(root, 'labels', '00002_labelTrainIds.png')))
    assert (out2 == 10).all()  # sky
    assert open(osp.join(root, 'train.txt')).read() == '00001\n'
    assert open(osp.join(root, 'val.txt')).read() == '00002\n'
    # converting again ignores the written train-id files
    assert convert_gtav_labels(root)['converted'] == 2


def test_gtav_errors(tmp_path):
    with pytest.raises(ConversionError, match='GTAV image folder not found'):
        convert_gtav_labels(str(tmp_path))
    root = tmp_path / 'g'
    _rgb(str(root / 'images' / '00001.png'), 2, 2)
    os.makedirs(root / 'labels')
    Image.fromarray(np.zeros((2, 2, 3), np.uint8)).save(root / 'labels' / '00001.png')
    with pytest.raises(ConversionError, match="mode 'RGB'"):
        convert_gtav_labels(str(root))


def test_synthia_16bit_labels(tmp_path):
    root = str(tmp_path / 'synthia')
    os.makedirs(osp.join(root, 'GT', 'LABELS'))
    _rgb(osp.join(root, 'RGB', '0000000.png'), 2, 3)
    label = np.zeros((2, 3, 3), np.uint16)  # B, G, R with the class id in R
    label[..., 2] = [[3, 4, 2], [10, 0, 19]]
    label[..., 1] = 777  # instance ids in G must be ignored
    cv2.imwrite(osp.join(root, 'GT', 'LABELS', '0000000.png'), label)
    assert convert_synthia_labels(root)['converted'] == 1
    out = np.asarray(Image.open(osp.join(root, 'GT', 'LABELS', '0000000_labelTrainIds.png')))
    np.testing.assert_array_equal(out, [[0, 1, 2], [11, 255, 15]])


@pytest.mark.parametrize('release', ['v1.2', 'v2.0'])
def test_mapillary_to_cs19_with_resize(tmp_path, release):
    root = str(tmp_path / 'mapillary')
    label_dir = (
        osp.join(root, 'validation', 'labels') if release == 'v1.2' else osp.join(
            root, 'validation', 'v1.2', 'labels'))
    ids = np.array([[13, 24, 15, 17], [55, 27, 0, 65]], dtype=np.uint8)
    _palette_png(osp.join(label_dir, 'abc.png'), ids)
    os.makedirs(osp.join(root, 'validation', 'images'))
    Image.fromarray(np.full((2, 4, 3), 50,
                            np.uint8)).save(osp.join(root, 'validation', 'images', 'abc.jpg'))
    result = convert_mapillary_labels(root)
    out = np.asarray(Image.open(osp.join(root, 'validation', 'labels_cs19', 'abc.png')))
    np.testing.assert_array_equal(out, [[0, 0, 1, 2], [13, 10, 255, 255]])
    assert result['seg_map_path'] == osp.join('validation', 'labels_cs19')
    result = convert_mapillary_labels(root, short_side=4)
    resized = np.asarray(Image.open(osp.join(root, result['seg_map_path'], 'abc.png')))
    assert resized.shape == (4, 8)
    np.testing.assert_array_equal(resized[::2, ::2], out)  # nearest-neighbour upscaling
    with Image.open(osp.join(root, result['img_path'], 'abc.jpg')) as im:
        assert im.size == (8, 4)


def test_mapillary_half_resolution_copy(tmp_path):
    """--scale 0.5: the Rein release's half/val copy (both sides halved, labels nearest)."""
    root = str(tmp_path / 'mapillary')
    ids = np.kron(
        np.array([[13, 24, 15, 17], [55, 27, 0, 65]], np.uint8), np.ones((2, 2), np.uint8))
    _palette_png(osp.join(root, 'validation', 'labels', 'abc.png'), ids)  # 4 x 8, blocks of 2x2
    os.makedirs(osp.join(root, 'validation', 'images'))
    Image.fromarray(np.full((4, 8, 3), 50,
                            np.uint8)).save(osp.join(root, 'validation', 'images', 'abc.jpg'))
    result = convert_mapillary_labels(root, scale=0.5)
    assert result == dict(
        converted=1,
        img_path=osp.join('validation', 'images_half'),
        seg_map_path=osp.join('validation', 'labels_cs19_half'))
    half = np.asarray(Image.open(osp.join(root, result['seg_map_path'], 'abc.png')))
    np.testing.assert_array_equal(half, [[0, 0, 1, 2], [13, 10, 255, 255]])
    with Image.open(osp.join(root, result['img_path'], 'abc.jpg')) as im:
        assert im.size == (4, 2)
    with pytest.raises(ConversionError, match='either short_side or scale'):
        convert_mapillary_labels(root, short_side=2, scale=0.5)


def test_mapillary_rejects_v2_ids(tmp_path):
    root = str(tmp_path / 'm')
    _palette_png(osp.join(root, 'validation', 'labels', 'x.png'), np.full((2, 2), 100, np.uint8))
    os.makedirs(osp.join(root, 'validation', 'images'))
    Image.fromarray(np.zeros((2, 2, 3),
                             np.uint8)).save(osp.join(root, 'validation', 'images', 'x.jpg'))
    with pytest.raises(ConversionError, match='not a Mapillary v1.2 label'):
        convert_mapillary_labels(root)


@pytest.mark.parametrize('tool', ['gtav', 'synthia', 'mapillary'])
def test_converter_cli_reports_errors_without_trace(tmp_path, tool):
    import subprocess
    import sys

    from repo_paths import REPO
    proc = subprocess.run([
        sys.executable,
        osp.join(REPO, 'tools', 'dataset_converters', f'{tool}.py'),
        str(tmp_path / 'missing')
    ],
                          capture_output=True,
                          text=True)
    assert proc.returncode != 0
    assert proc.stderr.startswith('error:') and 'not found' in proc.stderr
    assert 'Traceback' not in proc.stderr
