"""tools/test.py --format-only: server files from target data without labels."""
import glob
import os.path as osp
import shutil
import zipfile

import cv2
import numpy as np

from deft_helpers import reset_mmengine_state
from e2e_helpers import DEFT_DEMO, error_line_in_process, run_tool_in_process

#: Cityscapes label ids of the 19 train ids (cityscapesscripts' labels.py, trainId 0..18)
LABEL_ID_OF_TRAIN_ID = [7, 8, 11, 12, 13, 17, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 31, 32, 33]


def test_format_only_writes_label_ids_without_reading_labels(short_deft_run, varied_deft_checkpoint,
                                                             demo_root, tmp_path, capsys,
                                                             monkeypatch):
    monkeypatch.chdir(short_deft_run)
    assert run_tool_in_process('test.py', *DEFT_DEMO, varied_deft_checkpoint, '--work-dir',
                               str(tmp_path / 'wd'), '--out', str(tmp_path / 'train_ids')) == 0
    reset_mmengine_state()
    # a copy of the data whose target domains have no labels, as a test split
    work = tmp_path / 'server'
    shutil.copytree(demo_root, work / 'data' / 'demo')
    for gt in glob.glob(str(work / 'data' / 'demo' / 'demo_*' / 'gtFine')):
        shutil.rmtree(gt)
    out = str(tmp_path / 'sub')
    monkeypatch.chdir(work)
    capsys.readouterr()
    assert run_tool_in_process('test.py', *DEFT_DEMO, varied_deft_checkpoint, '--work-dir',
                               str(tmp_path / 'wd2'), '--format-only', '--out', out) == 0
    stdout = capsys.readouterr().out
    lut = np.full(256, 255, np.uint8)
    lut[LABEL_ID_OF_TRAIN_ID] = np.arange(19)
    count = 0
    for domain in ('demo_real', 'demo_fog', 'demo_night'):
        assert f'submission: {osp.join(out, domain)}.zip' in stdout
        files = sorted(glob.glob(osp.join(out, domain, 'demo', '*.png')))
        assert len(files) == 4
        with zipfile.ZipFile(osp.join(out, f'{domain}.zip')) as z:
            assert sorted(z.namelist()) == sorted(osp.join('demo', osp.basename(f)) for f in files)
        for f in files:
            label_ids = cv2.imread(f, cv2.IMREAD_UNCHANGED)
            assert set(np.unique(label_ids)) <= set(LABEL_ID_OF_TRAIN_ID)
            train_ids = cv2.imread(
                str(tmp_path / 'train_ids' / domain / osp.basename(f)), cv2.IMREAD_UNCHANGED)
            np.testing.assert_array_equal(lut[label_ids], train_ids)
            count += 1
    assert count == 12


def test_format_only_refusals(short_deft_run, varied_deft_checkpoint, tmp_path, capsys,
                              monkeypatch):
    monkeypatch.chdir(short_deft_run)
    line = error_line_in_process(capsys, 'test.py', *DEFT_DEMO, varied_deft_checkpoint,
                                 '--work-dir', str(tmp_path / 'wd'), '--format-only', '--out',
                                 str(tmp_path / 'sub'), '--cfg-options',
                                 'test_dataloader.datasets.demo_fog.type=ADE20KDataset')
    assert "domain 'demo_fog'" in line and 'label-id mapping' in line
    assert not osp.exists(tmp_path / 'sub')
    reset_mmengine_state()
    line = error_line_in_process(capsys, 'test.py', *DEFT_DEMO, varied_deft_checkpoint,
                                 '--work-dir', str(tmp_path / 'wd'), '--format-only')
    assert 'give --out DIR' in line
