"""FisherTune end to end on the demo data: warm-up, estimation, masked tuning in one run; the
sensitivity file is written, reused and survives a resume; unselected VFM weights never move."""
import json
import os
import os.path as osp
import shutil
import subprocess
import sys

import pytest
import torch
import train as train_tool
from mmseg.registry import MODELS

from deft_mmseg.engine.fishertune_artifact import load_artifact
from deft_mmseg.models.fishertune import ARTIFACT_FILE, SUMMARY_FILE
from deft_mmseg.utils.checkpoint_loading import load_local_checkpoint
from deft_helpers import reset_mmengine_state
from e2e_helpers import assert_export_matches, demo_config, error_line_in_process
from repo_paths import REPO, config_path

FT = config_path('fishertune', 'fishertune_dinov2-l_mask2former_1xb4-44k_gtav-512x512.py')
FT_DEMO = (FT, '--demo')


def _options(warmup=2, tune=4, estimate=2, extra=()):
    return [
        '--cfg-options', f'train_cfg.warmup_iters={warmup}', f'train_cfg.tune_iters={tune}',
        f'train_cfg.estimate_iters={estimate}', f'train_cfg.val_interval={warmup + tune}',
        'default_hooks.checkpoint.interval=1', 'default_hooks.checkpoint.max_keep_ckpts=10',
        'default_hooks.logger.interval=1', *extra
    ]


def _train(argv):
    """tools/train.py's main in this process, as a fresh Runner (several runs per test)."""
    reset_mmengine_state()
    return train_tool.main(argv)


def _model():
    cfg = demo_config(FT).model
    cfg.data_preprocessor = None
    return MODELS.build(cfg)


def _state(work, it):
    return load_local_checkpoint(osp.join(work, f'iter_{it}.pth'))['state_dict']


def _top_k_masks(model, artifact, t, total):
    model.start_tuning(artifact, [])
    model.set_tune_step(t, total)
    return {n: m.clone() for n, m in model.sparse_mask.masks.items()}


def _check_only_selected_moved(work, masks, warmup=2, last=6):
    start, end = _state(work, warmup), _state(work, last)
    moved_total = 0
    for name in start:
        if not name.startswith('backbone.'):
            continue
        moved = start[name] != end[name]
        if name in masks:
            assert not moved[~masks[name]].any(), name  # bit-identical outside the selection
            moved_total += int(moved.sum())
        else:
            assert not moved.any(), name  # not a candidate: frozen
    assert moved_total > 0
    assert any(not torch.equal(start[n], end[n]) for n in start if n.startswith('decode_head'))


def _log_text(work):
    text = ''
    for root, _, files in os.walk(work):
        text += ''.join(open(osp.join(root, f)).read() for f in files if f.endswith('.log'))
    return text


@pytest.mark.slow  # a 35 s training subprocess; the default tier trains FisherTune on EVA02 below
def test_fishertune_run_estimates_selects_and_keeps_unselected_weights(demo_cwd):
    work = str(demo_cwd / 'ft')
    _train([*FT_DEMO, '--work-dir', work, *_options()])
    artifact = load_artifact(osp.join(work, ARTIFACT_FILE))
    assert artifact['meta']['method'] == 'variational' and artifact['meta']['iters'] == 2
    summary = json.load(open(osp.join(work, SUMMARY_FILE)))
    assert summary['num_blocks'] == 4 and set(summary['drf']) == {'q', 'k', 'v', 'ffn'}
    # warm-up (iterations 1-2): the VFM does not move at all
    start, warm = _state(work, 1), _state(work, 2)
    assert all(torch.equal(start[n], warm[n]) for n in start if n.startswith('backbone.'))
    # tuning: exactly the top-k (k = 5 % of the ViT at the last step) may have moved
    model = _model()
    masks = _top_k_masks(model, artifact, 4, 4)
    assert sum(int(m.sum()) for m in masks.values()) == round(0.05 * model.num_backbone_params)
    _check_only_selected_moved(work, masks)
    log = _log_text(work)
    assert 'FisherTune: tuning' in log and 'fishertune_selected' in log
    assert 'trainable at delta_max: 2,123' in log
    # the tuned model exports to a plain EncoderDecoder with identical predictions
    out = str(demo_cwd / 'export')
    __import__('export_final_model').main([*FT_DEMO, osp.join(work, 'iter_6.pth'), out])
    assert_export_matches(
        FT,
        osp.join(work, 'iter_6.pth'),
        out,
        str(demo_cwd),
        'FisherTuneEncoderDecoder',
        plugin=True)


@pytest.mark.slow
def test_fishertune_reuses_a_saved_estimate_and_resumes(demo_cwd):
    first = str(demo_cwd / 'first')
    _train([*FT_DEMO, '--work-dir', first, *_options()])
    saved = osp.join(first, ARTIFACT_FILE)
    # reuse: no estimation, same selection
    reuse = str(demo_cwd / 'reuse')
    _train(
        [*FT_DEMO, '--work-dir', reuse, *_options(extra=[f'train_cfg.load_sensitivity={saved}'])])
    assert not osp.exists(osp.join(reuse, ARTIFACT_FILE))
    log = _log_text(reuse)
    assert 'sensitivity read from' in log and 'estimating DR-FIM' not in log
    masks = _top_k_masks(_model(), load_artifact(saved), 4, 4)
    _check_only_selected_moved(reuse, masks)
    # resume in the tuning stage: the estimate is read back from the work dir
    part = str(demo_cwd / 'part')
    os.makedirs(part)
    for name in ('iter_4.pth', ARTIFACT_FILE):
        shutil.copy(osp.join(first, name), part)
    with open(osp.join(part, 'last_checkpoint'), 'w') as f:
        f.write(osp.join(part, 'iter_4.pth'))
    _train([*FT_DEMO, '--work-dir', part, '--resume', *_options()])
    end = _state(part, 6)
    start = _state(first, 2)
    for name, mask in masks.items():
        assert torch.equal(end[name][~mask], start[name][~mask])
    assert 'estimating DR-FIM' not in _log_text(part)
    # resuming without the estimate is a clear error
    os.remove(osp.join(part, ARTIFACT_FILE))
    with open(osp.join(part, 'last_checkpoint'), 'w') as f:
        f.write(osp.join(part, 'iter_4.pth'))
    proc = subprocess.run([
        sys.executable,
        osp.join(REPO, 'tools', 'train.py'), *FT_DEMO, '--work-dir', part, '--resume', *_options()
    ],
                          cwd=demo_cwd,
                          capture_output=True,
                          text=True)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert ARTIFACT_FILE in proc.stderr and 'Traceback' not in proc.stderr


@pytest.mark.slow  # its candidate rows: test_fishertune.py (in process)
def test_fishertune_demo_on_eva02_tunes_its_swiglu_ffn(demo_cwd):
    work = str(demo_cwd / 'eva')
    config = config_path('fishertune', 'fishertune_eva02-l_mask2former_1xb4-44k_gtav-512x512.py')
    _train([config, '--demo', '--work-dir', work, *_options(tune=2)])
    meta = load_artifact(osp.join(work, ARTIFACT_FILE))['meta']
    assert meta['backbone'] == 'ViTEVA02'
    ffn = {
        r['name'].split('layers.0.')[-1]
        for r in meta['rows'] if r['block'] == 0 and r['group'] == 'ffn'
    }
    assert ffn == {'mlp.w12.weight', 'mlp.w12.bias', 'mlp.w3.weight', 'mlp.w3.bias'}
    start, end = _state(work, 2), _state(work, 4)
    assert any(not torch.equal(start[r['name']], end[r['name']]) for r in meta['rows'])


@pytest.mark.parametrize('options,message', [
    (['train_cfg.load_sensitivity=missing.pth'], 'does not exist'),
    (['model.fishertune.delta_max=0.9', 'model.fishertune.groups=[q]'], 'hold only'),
    (['model.backbone.freeze_vit=True'], 'freeze_vit=False'),
])
def test_fishertune_misconfigurations_give_one_line_errors(demo_cwd, options, message, capsys):
    line = error_line_in_process(capsys, 'train.py', *FT_DEMO, '--work-dir', str(demo_cwd / 'bad'),
                                 *_options(), *options)
    assert message in line


def test_fishertune_model_under_another_loop_is_refused(demo_cwd, capsys):
    """Under a plain loop the model would stay in its warm-up: decoder-only training, silently."""
    cfg_file = demo_cwd / 'plain_loop.py'
    cfg_file.write_text(
        f"_base_ = [{FT!r}]\n"
        "train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=4, val_interval=4)\n"
        "param_scheduler = [dict(type='PolyLR', power=0.9, begin=0, end=4, by_epoch=False)]\n")
    line = error_line_in_process(capsys, 'train.py', str(cfg_file), '--demo', '--work-dir',
                                 str(demo_cwd / 'plain'))
    assert "train_cfg type 'FisherTuneTrainLoop'" in line


@pytest.mark.slow
def test_plot_sensitivity_draws_q_k_v_ffn_per_block(demo_cwd):
    work = str(demo_cwd / 'plot')
    _train([*FT_DEMO, '--work-dir', work, *_options(tune=1)])
    out = str(demo_cwd / 'sens.png')
    proc = subprocess.run([
        sys.executable,
        osp.join(REPO, 'tools', 'plot_sensitivity.py'),
        osp.join(work, ARTIFACT_FILE), '--out', out
    ],
                          cwd=demo_cwd,
                          capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    with open(out, 'rb') as f:
        assert f.read(8) == b'\x89PNG\r\n\x1a\n'
    assert 'q' in proc.stdout and 'ffn' in proc.stdout
    proc = subprocess.run([
        sys.executable,
        osp.join(REPO, 'tools', 'plot_sensitivity.py'),
        osp.join(work, 'iter_3.pth'), '--out', out
    ],
                          cwd=demo_cwd,
                          capture_output=True,
                          text=True)
    assert proc.returncode == 2 and 'not a FisherTune sensitivity file' in proc.stderr
