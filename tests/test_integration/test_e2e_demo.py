"""End to end on the demo data: train (both DeFT stages in one run), validate and test on every
target domain, export, resume, and the upstream mmseg tools with custom_imports only."""
import json
import os
import os.path as osp
import shutil
import subprocess
import sys
import test as test_tool

import numpy as np
import pytest
import torch
import train as train_tool

from deft_mmseg.utils.checkpoint_loading import load_local_checkpoint
from deft_helpers import reset_mmengine_state
from e2e_helpers import (BASELINE, DEFT, DEFT_DEMO, assert_export_matches, checkpoints,
                         deft_demo_options, demo_config, error_line_in_process, latest_test_results)
from repo_paths import REPO

DOMAINS = ['demo_real', 'demo_fog', 'demo_night']


def _check_results(path, ordered=True):
    results = json.load(open(path))
    assert (list(results) if ordered else sorted(results)) == (
        DOMAINS + ['avg'] if ordered else sorted(DOMAINS + ['avg']))
    for domain in DOMAINS:
        assert set(results[domain]) >= {'mIoU', 'mAcc', 'aAcc'}
        assert 0 <= results[domain]['mIoU'] <= 100
    assert results['avg']['mIoU'] == pytest.approx(
        np.mean([results[d]['mIoU'] for d in DOMAINS]), abs=0.01)
    return results


# 30-40 s: make test-slow (make test's 8-minute budget); the default tier trains the same DeFT
# demo through both stages in the resume test below and its diagnostics variant in
# test_every_config_demo.py
@pytest.mark.slow
def test_deft_demo_trains_both_stages_and_tests_every_domain(demo_cwd, capsys):
    work = str(demo_cwd / 'work')
    train_tool.main([
        *DEFT_DEMO, '--work-dir', work,
        *deft_demo_options(extra=['default_hooks.checkpoint.save_best=avg/mIoU'])
    ])
    assert len(__import__('glob').glob(osp.join(work, 'best_avg_mIoU_iter_*.pth'))) == 1
    ckpts = checkpoints(work)
    assert [osp.basename(c) for c in ckpts] == ['iter_2.pth', 'iter_4.pth', 'iter_6.pth']
    warm = load_local_checkpoint(ckpts[0])['state_dict']
    final = load_local_checkpoint(ckpts[-1])['state_dict']
    assert warm['decoupled_flag'] == 0 and final['decoupled_flag'] == 1
    log = open(next(iter(sorted(__import__('glob').glob(f'{work}/*/*.log'))))).read()
    assert 'Warm-up finished at iteration 2: DeFT decoupled finetuning starts' in log
    assert 'warmup.loss_ce' in log and 'f1.loss_ce' in log and 'f2.loss_ce' in log
    assert 'demo_fog/mIoU' in log and 'avg/mIoU' in log
    _check_results(osp.join(work, 'multi_domain_results.json'))

    test_dir = str(demo_cwd / 'test')
    capsys.readouterr()
    out_dir, show_dir = str(demo_cwd / 'preds'), str(demo_cwd / 'painted')
    reset_mmengine_state()  # a second in-process Runner in this test
    test_tool.main([
        *DEFT_DEMO, ckpts[-1], '--work-dir', test_dir, '--per-class', '--out', out_dir,
        '--show-dir', show_dir
    ])
    results = _check_results(latest_test_results(test_dir))
    assert 'IoU.road' in results['demo_real']
    for domain in DOMAINS:  # predicted label maps, one folder per domain
        preds = sorted(os.listdir(osp.join(out_dir, domain)))
        assert len(preds) == 4 and preds[0].endswith('_leftImg8bit.png')
    painted = [f for _, _, fs in os.walk(show_dir) for f in fs if f.endswith('.png')]
    assert len(painted) == 12
    # the export gives a plain EncoderDecoder with identical predictions in vanilla mmseg
    out = str(demo_cwd / 'export')
    export_tool = __import__('export_final_model')
    export_tool.main([*DEFT_DEMO, ckpts[-1], out])
    # RobustNet's DeepLabv3+ head is the plugin's: the export brings it in by custom_imports
    assert_export_matches(DEFT, ckpts[-1], out, str(demo_cwd), 'DualPathwaySegmentor', plugin=True)
    assert load_local_checkpoint(ckpts[-1])['state_dict']['decoupled_flag'] == 1


# iter_2: the resume at the stage switch stays in the default tier; iter_4 (inside decoupled
# finetuning, 30 s) runs with `make test-slow` (make test's 8-minute budget)
@pytest.mark.parametrize(
    'resume_from', ['iter_2.pth', pytest.param('iter_4.pth', marks=pytest.mark.slow)])
def test_resume_in_either_stage_matches_uninterrupted_run(demo_cwd, resume_from):
    # as shipped: decoder dropout and random augmentation on (ExactResumeHook)
    opts = deft_demo_options(warmup=3, decoupled=3, interval=2)
    full = str(demo_cwd / 'full')
    train_tool.main([*DEFT_DEMO, '--work-dir', full, *opts])
    reference = load_local_checkpoint(osp.join(full, 'iter_6.pth'))['state_dict']
    part = str(demo_cwd / 'part')
    os.makedirs(part)
    shutil.copy(osp.join(full, resume_from), part)  # as if the run had stopped there
    with open(osp.join(part, 'last_checkpoint'), 'w') as f:
        f.write(osp.join(part, resume_from))
    reset_mmengine_state()  # a second in-process Runner in this test
    train_tool.main([*DEFT_DEMO, '--work-dir', part, '--resume', *opts])
    resumed = load_local_checkpoint(osp.join(part, 'iter_6.pth'))['state_dict']
    assert set(resumed) == set(reference)
    diff = [k for k in reference if not torch.equal(reference[k], resumed[k])]
    assert diff == []


def test_baseline_demo_and_upstream_mmseg_train_with_custom_imports_only(demo_cwd):
    """mmseg's own tools/train.py, without deft_mmseg imported, on the baseline's demo config
    written out as one file (what `--demo` builds): the plugin comes in by custom_imports."""
    import mmseg
    upstream = osp.join(osp.dirname(mmseg.__file__), '.mim', 'tools', 'train.py')
    assert osp.isfile(upstream)
    work = str(demo_cwd / 'upstream')
    config = str(demo_cwd / 'baseline_demo.py')
    demo_config(BASELINE).dump(config)
    env = dict(os.environ, PYTHONPATH='')
    proc = subprocess.run([
        sys.executable, upstream, config, '--work-dir', work, '--cfg-options',
        'train_cfg.max_iters=4', 'train_cfg.val_interval=4', 'default_hooks.checkpoint.interval=4',
        'param_scheduler.0.end=4'
    ],
                          cwd=demo_cwd,
                          env=env,
                          capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert osp.isfile(osp.join(work, 'iter_4.pth'))
    # the dumped file lists the domains alphabetically (mmengine's Config.dump sorts dict keys)
    _check_results(osp.join(work, 'multi_domain_results.json'), ordered=False)


@pytest.mark.slow  # the same one-line contract is in the default run: test_bad_input_tools.py
def test_user_errors_are_reported_without_traceback(demo_cwd):
    proc = subprocess.run([
        sys.executable,
        osp.join(REPO, 'tools', 'train.py'), *DEFT_DEMO, '--cfg-options',
        'train_dataloader.dataset.data_root=data/missing'
    ],
                          cwd=demo_cwd,
                          capture_output=True,
                          text=True)
    assert proc.returncode == 2
    assert 'data_root' in proc.stderr and 'data/missing' in proc.stderr
    assert 'Traceback' not in proc.stderr
    proc = subprocess.run([
        sys.executable,
        osp.join(REPO, 'tools', 'train.py'), *DEFT_DEMO, '--cfg-options',
        'train_cfg.warmup_iters=400', 'train_cfg.decoupled_iters=0'
    ],
                          cwd=demo_cwd,
                          capture_output=True,
                          text=True)
    assert proc.returncode == 2 and 'decoupled_iters=0 leaves no decoupled' in proc.stderr


@pytest.mark.parametrize('snippet,message', [
    ("custom_hooks = [dict(type='CrossEMAHook')]\n"
     "_base_ = ['BASELINE']\n", 'CrossEMAHook needs model type DualPathwaySegmentor'),
    ("_base_ = ['DEFT']\ncustom_hooks = [dict(type='CrossEMAHook', beta=1.0)]\n",
     r'beta must be in \(0, 1\)'),
    ("_base_ = ['DEFT']\ntrain_cfg = dict(_delete_=True, type='IterBasedTrainLoop', "
     "max_iters=4, val_interval=4)\n", "stage= is resolved by train_cfg type 'TwoStageTrainLoop'"),
])
def test_deft_misconfigurations_give_one_line_errors(demo_cwd, snippet, message, capsys):
    import re
    cfg_file = demo_cwd / 'bad_config.py'
    cfg_file.write_text(snippet.replace('BASELINE', BASELINE).replace('DEFT', DEFT))
    line = error_line_in_process(capsys, 'train.py', str(cfg_file), '--demo', '--cfg-options',
                                 'train_dataloader.num_workers=0')
    assert re.search(message, line), line
