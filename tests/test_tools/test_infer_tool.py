"""tools/infer.py (mmseg's MMSegInferencer on this repo's configs) as a user runs it: its label maps
equal the predictions tools/test.py --out writes through the multi-domain test loop (another code
path: dataset, test loop, metric), for the DeFT model and for its plain-mmseg export."""
import contextlib
import glob
import os
import os.path as osp

import cv2
import numpy as np
import pytest

from deft_helpers import reset_mmengine_state
from e2e_helpers import (DEFT_DEMO, demo_config, error_line_in_process, one_error_line, run_tool,
                         run_tool_in_process, run_tool_ok)

FOG = osp.join('data', 'demo', 'demo_fog', 'leftImg8bit', 'val')


@pytest.fixture(scope='module')
def test_tool_labels(short_deft_run, varied_deft_checkpoint):
    """tools/test.py's label maps, run as after ``train.py CONFIG --demo 300``: with the same
    ``--demo 300``, from a directory without data/demo (the demo data found through
    ``$DEFT_MMSEG_DEMO_DATA``)."""
    from deft_mmseg.demo import DEMO_DATA_ENV
    out = str(short_deft_run / 'test_out')
    elsewhere = short_deft_run / 'elsewhere'
    os.makedirs(elsewhere, exist_ok=True)
    reset_mmengine_state()
    os.environ[DEMO_DATA_ENV] = str(short_deft_run / 'data' / 'demo')
    try:
        with contextlib.chdir(elsewhere):
            assert run_tool_in_process('test.py', DEFT_DEMO[0], varied_deft_checkpoint, '--demo',
                                       '300', '--work-dir', 'test_wd', '--out', out) == 0
    finally:
        del os.environ[DEMO_DATA_ENV]
    reset_mmengine_state()
    labels = {
        osp.splitext(osp.basename(p))[0]: cv2.imread(p, cv2.IMREAD_UNCHANGED)
        for p in glob.glob(osp.join(out, 'demo_fog', '*.png'))
    }
    assert len(labels) == 4
    assert len(np.unique(np.stack(list(labels.values())))) >= 5  # a varied prediction
    return labels


def read_preds(out):
    return {
        osp.splitext(osp.basename(p))[0]: cv2.imread(p, cv2.IMREAD_UNCHANGED)
        for p in glob.glob(osp.join(out, 'pred', '*', '*.png'))
    }


def test_infer_folder_matches_test_tool(short_deft_run, varied_deft_checkpoint, test_tool_labels):
    out = str(short_deft_run / 'infer_out')
    proc = run_tool_ok(
        'infer.py',
        *DEFT_DEMO,
        varied_deft_checkpoint,
        FOG,
        '--out',
        out,
        '--batch-size',
        '3',
        cwd=short_deft_run)
    assert 'segmented 4 images' in proc.stdout
    preds = read_preds(out)
    assert preds.keys() == test_tool_labels.keys()
    for name, pred in preds.items():
        np.testing.assert_array_equal(pred, test_tool_labels[name], err_msg=name)
        overlay = cv2.imread(osp.join(out, 'vis', 'demo', name + '.png'))
        image = cv2.imread(osp.join(short_deft_run, FOG, 'demo', name + '.png'))
        assert overlay.shape == image.shape and not np.array_equal(overlay, image)


@pytest.mark.slow
def test_infer_exported_model_matches_test_tool(short_deft_run, varied_deft_checkpoint,
                                                test_tool_labels):
    export = str(short_deft_run / 'export')
    run_tool_ok(
        'export_final_model.py', *DEFT_DEMO, varied_deft_checkpoint, export, cwd=short_deft_run)
    out = str(short_deft_run / 'infer_export')
    run_tool_ok(
        'infer.py',
        osp.join(export, 'final_model_config.py'),
        osp.join(export, 'final_model.pth'),
        FOG,
        '--out',
        out,
        cwd=short_deft_run)
    preds = read_preds(out)
    assert preds.keys() == test_tool_labels.keys()
    for name, pred in preds.items():
        np.testing.assert_array_equal(pred, test_tool_labels[name], err_msg=name)


@pytest.mark.slow
def test_infer_video(short_deft_run, varied_deft_checkpoint, tmp_path):
    frames = sorted(glob.glob(osp.join(short_deft_run, FOG, 'demo', '*.png')))[:3]
    first = cv2.imread(frames[0])
    video = str(tmp_path / 'clip.mp4')
    writer = cv2.VideoWriter(video, cv2.VideoWriter_fourcc(*'mp4v'), 5,
                             (first.shape[1], first.shape[0]))
    for f in frames:
        writer.write(cv2.imread(f))
    writer.release()
    out = str(tmp_path / 'out')
    proc = run_tool_ok(
        'infer.py',
        *DEFT_DEMO,
        varied_deft_checkpoint,
        video,
        '--out',
        out,
        '--opacity',
        '0.8',
        cwd=short_deft_run)
    assert 'segmented 3 frames' in proc.stdout
    preds = sorted(glob.glob(osp.join(out, 'pred', 'frame_*.png')))
    assert [osp.basename(p) for p in preds] == [f'frame_{i:06d}.png' for i in range(3)]
    assert cv2.imread(preds[0], cv2.IMREAD_UNCHANGED).shape == first.shape[:2]
    overlay = cv2.VideoCapture(osp.join(out, 'clip_overlay.mp4'))
    count = 0
    while overlay.read()[0]:
        count += 1
    assert count == 3


@pytest.mark.parametrize('case', [
    'missing', 'broken video', 'unknown domain',
    pytest.param('empty folder', marks=pytest.mark.slow),
    pytest.param('opacity', marks=pytest.mark.slow)
])
def test_infer_bad_inputs_write_nothing(short_deft_run, varied_deft_checkpoint, tmp_path, case,
                                        capsys, monkeypatch):
    """'missing' from a fresh shell (infer.py's contract: exit 2, one line, no traceback); the
    other cases run the tool in this process."""
    empty = tmp_path / 'empty'
    empty.mkdir()
    (empty / 'notes.txt').write_text('no images here')
    broken = tmp_path / 'broken.mp4'
    broken.write_bytes(b'not a video' * 100)
    path, extra, message = {
        'missing': (str(tmp_path / 'missing.png'), [], 'does not exist'),
        'empty folder': (str(empty), [], 'holds no images'),
        'broken video': (str(broken), [], 'cannot be opened'),
        'opacity': (FOG, ['--opacity', '0'], '--opacity 0.0'),
        'unknown domain': (FOG, ['--domain', 'demo_snow'], 'demo_real, demo_fog, demo_night')
    }[case]
    out = str(tmp_path / 'out')
    args = [*DEFT_DEMO, varied_deft_checkpoint, path, '--out', out, *extra]
    if case == 'missing':
        line = one_error_line(run_tool('infer.py', *args, cwd=short_deft_run))
    else:
        monkeypatch.chdir(short_deft_run)
        line = error_line_in_process(capsys, 'infer.py', *args)
    assert message in line, line
    assert not os.path.exists(out), f'{path}: output written for a refused input'


def assert_infer_matches_test_tool(config, ckpt, tmp_path, cwd):
    """tools/infer.py on the fog demo images writes the same label maps as tools/test.py --out.
    test.py runs as a user runs it after ``train.py CONFIG --demo 300``: with the same
    ``--demo 300``, from another directory, finding the demo data through
    ``$DEFT_MMSEG_DEMO_DATA`` (the fresh-shell contract of both)."""
    from deft_mmseg.demo import DEMO_DATA_ENV
    elsewhere = tmp_path / 'elsewhere'
    os.makedirs(elsewhere)
    env = dict(os.environ, **{DEMO_DATA_ENV: osp.join(str(cwd), 'data', 'demo')})
    run_tool_ok(
        'test.py',
        config,
        ckpt,
        '--demo',
        '300',
        '--work-dir',
        str(tmp_path / 'wd'),
        '--out',
        str(tmp_path / 'test_out'),
        cwd=str(elsewhere),
        env=env)
    assert not osp.exists(elsewhere / 'data')
    # the fog images take the fog domain's test pipeline, as test.py gives them (a config may
    # test a domain with its own: the Rein protocol's BDD100K pipeline becomes demo_fog's)
    run_tool_ok(
        'infer.py',
        config,
        ckpt,
        FOG,
        '--demo',
        '--domain',
        'demo_fog',
        '--out',
        str(tmp_path / 'infer'),
        cwd=cwd)
    preds = read_preds(str(tmp_path / 'infer'))
    assert len(preds) == 4
    for name, pred in preds.items():
        expected = cv2.imread(
            str(tmp_path / 'test_out' / 'demo_fog' / (name + '.png')), cv2.IMREAD_UNCHANGED)
        np.testing.assert_array_equal(pred, expected, err_msg=name)


@pytest.mark.slow
def test_infer_rein_demo_matches_test_tool(short_deft_run, tmp_path):
    """A Rein model (VFM trunk + Reins + ReinMask2FormerHead) through MMSegInferencer."""
    from repo_paths import config_path
    config = config_path('rein', 'rein_dinov2-l_mask2former_1xb4-40k_gtav-512x512.py')
    work = str(tmp_path / 'rein')
    run_tool_ok(
        'train.py',
        config,
        '--demo',
        '--work-dir',
        work,
        '--cfg-options',
        'train_cfg.max_iters=2',
        'train_cfg.val_interval=2',
        'default_hooks.checkpoint.interval=2',
        cwd=short_deft_run)
    assert_infer_matches_test_tool(config, osp.join(work, 'iter_2.pth'), tmp_path, short_deft_run)


@pytest.mark.slow
def test_infer_fishertune_model_matches_test_tool(short_deft_run, tmp_path):
    """A FisherTune model (its checkpoint as a built model, seed 0) through MMSegInferencer."""
    import torch
    from mmseg.registry import MODELS

    from repo_paths import config_path
    config = config_path('fishertune', 'fishertune_dinov2-l_mask2former_1xb4-44k_gtav-512x512.py')
    torch.manual_seed(0)
    model = MODELS.build(demo_config(config).model)
    model.init_weights()
    ckpt = str(tmp_path / 'fishertune.pth')
    torch.save(dict(state_dict=model.state_dict(), meta={}), ckpt)
    assert_infer_matches_test_tool(config, ckpt, tmp_path, short_deft_run)


def test_domain_takes_that_domains_test_pipeline():
    """--domain NAME: the inferencer's pipeline is the domain's own, as tools/test.py gives it
    (the Rein protocol resizes BDD100K, the demo's second domain, to its own scale)."""
    import infer as infer_tool

    from deft_mmseg.apis.tool_config import load_config
    from repo_paths import config_path
    cfg = load_config(
        config_path('rein', 'rein_dinov2-l_mask2former_1xb4-40k_gtav-512x512.py'),
        6,
        demo_data=False)
    default = cfg.test_dataloader.dataset.pipeline
    fog = cfg.test_dataloader.datasets['demo_fog'].pipeline
    assert fog != default  # the premise: this config tests fog with its own pipeline
    infer_tool.use_domain_pipeline(cfg, 'demo_fog')
    assert cfg.test_dataloader.dataset.pipeline == fog
