"""A 2-process CPU DDP run of DeFT: GC weights identical on every rank, EMA applied."""
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

from e2e_helpers import DEFT
from repo_paths import REPO


@pytest.mark.slow  # two training processes: the slow tier (make test-slow)
def test_two_process_ddp_keeps_gc_weights_identical(demo_cwd):
    work = str(demo_cwd / 'ddp')
    env = dict(os.environ, OMP_NUM_THREADS='1', MASTER_PORT='29533')
    torchrun = osp.join(osp.dirname(sys.executable), 'torchrun')
    proc = subprocess.run([
        torchrun, '--nproc_per_node', '2', '--master_port', '29533',
        osp.join(REPO, 'tests', 'ddp_worker.py'), DEFT, work
    ],
                          cwd=demo_cwd,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    rank0 = torch.load(osp.join(work, 'rank0.pth'))
    rank1 = torch.load(osp.join(work, 'rank1.pth'))
    assert rank0['decoupled_flag'] == 1 and rank1['decoupled_flag'] == 1
    # all parameters (UC all-reduced by DDP, GC updated by the same EMA on each rank) agree.
    # BN running statistics are per rank with plain BN (SyncBN syncs them on GPUs).
    params = [
        k for k in rank0 if not k.endswith(('running_mean', 'running_var', 'num_batches_tracked'))
    ]
    gc = [k for k in params if k.startswith(('pathway1.decode_head', 'pathway2.backbone'))]
    assert len(gc) > 20
    for key in params:
        assert torch.equal(rank0[key], rank1[key]), key
    # the GC decoder moved away from the UC decoder it was copied from at the switch
    assert any(not torch.equal(rank0[k], rank0[k.replace('pathway1', 'pathway2')]) for k in gc
               if k.startswith('pathway1.decode_head'))


@pytest.mark.slow
def test_two_process_ddp_fishertune_selects_the_same_weights_on_every_rank(demo_cwd):
    """Each rank estimates on its own batches; the all-reduced estimate gives one selection, and
    the tuned weights stay identical across ranks."""
    from repo_paths import config_path
    work = str(demo_cwd / 'ddp_ft')
    env = dict(os.environ, OMP_NUM_THREADS='1', MASTER_PORT='29534')
    torchrun = osp.join(osp.dirname(sys.executable), 'torchrun')
    proc = subprocess.run([
        torchrun, '--nproc_per_node', '2', '--master_port', '29534',
        osp.join(REPO, 'tests', 'ddp_worker.py'),
        config_path('fishertune', 'fishertune_dinov2-l_mask2former_1xb4-44k_gtav-512x512.py'), work,
        'train_cfg.warmup_iters=2', 'train_cfg.estimate_iters=2', 'train_cfg.tune_iters=3'
    ],
                          cwd=demo_cwd,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    rank0 = torch.load(osp.join(work, 'rank0.pth'))
    rank1 = torch.load(osp.join(work, 'rank1.pth'))
    masks = [k for k in rank0 if k.startswith('mask.')]
    assert len(masks) == 24 and sum(int(rank0[k].sum()) for k in masks) == 2123
    for key in rank0:
        assert torch.equal(rank0[key], rank1[key]), key
