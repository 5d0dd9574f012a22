"""A 2-process CPU DDP run of DeFT: GC weights identical on every rank, EMA applied."""
import os
import os.path as osp
import subprocess
import sys

import torch

from conftest import REPO
from e2e_helpers import DEFT_DEMO


def test_two_process_ddp_keeps_gc_weights_identical(demo_cwd):
    work = str(demo_cwd / 'ddp')
    env = dict(os.environ, OMP_NUM_THREADS='1', MASTER_PORT='29533')
    torchrun = osp.join(osp.dirname(sys.executable), 'torchrun')
    proc = subprocess.run(
        [torchrun, '--nproc_per_node', '2', '--master_port', '29533',
         osp.join(REPO, 'tests', 'ddp_worker.py'), DEFT_DEMO, work],
        cwd=demo_cwd, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    rank0 = torch.load(osp.join(work, 'rank0.pth'))
    rank1 = torch.load(osp.join(work, 'rank1.pth'))
    assert rank0['decoupled_flag'] == 1 and rank1['decoupled_flag'] == 1
    # all parameters (UC all-reduced by DDP, GC updated by the same EMA on each rank) agree.
    # BN running statistics are per rank with plain BN (SyncBN syncs them on GPUs).
    params = [k for k in rank0 if not k.endswith(('running_mean', 'running_var',
                                                   'num_batches_tracked'))]
    gc = [k for k in params if k.startswith(('pathway1.decode_head', 'pathway2.backbone'))]
    assert len(gc) > 20
    for key in params:
        assert torch.equal(rank0[key], rank1[key]), key
    # the GC decoder moved away from the UC decoder it was copied from at the switch
    assert any(not torch.equal(rank0[k], rank0[k.replace('pathway1', 'pathway2')])
               for k in gc if k.startswith('pathway1.decode_head'))
