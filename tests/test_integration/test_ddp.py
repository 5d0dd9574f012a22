"""DDP: every config either gives each trainable parameter a gradient or has DDP look for unused
ones (in process); 2-process CPU runs of DeFT (GC weights identical on every rank, EMA applied),
FisherTune and Rein without its query link."""
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

from e2e_helpers import DEFT
from repo_paths import CONFIGS, REPO, config_path, shipped_config

#: the configs that had a trainable parameter the loss does not reach (Rein without its query link),
#: without find_unused_parameters: DDP stopped at their second iteration
REIN_WITHOUT_QUERY_LINK = [
    'rein/rein_dinov2-l_deeplabv3plus_1xb4-40k_gtav-512x512.py',
    'rein/rein_dinov2-l_segformer_1xb4-40k_gtav-512x512.py'
]


@pytest.mark.parametrize(
    'name', REIN_WITHOUT_QUERY_LINK +
    [pytest.param(c, marks=pytest.mark.slow) for c in CONFIGS if c not in REIN_WITHOUT_QUERY_LINK])
def test_every_trainable_parameter_gets_a_gradient_or_ddp_looks_for_unused(name):
    """One loss of the config's network at ``--demo`` size (its structure: neck levels, heads,
    Rein's query link; only widths shrink): a trainable parameter without a gradient stops DDP
    at its second iteration unless ``model_wrapper_cfg`` sets ``find_unused_parameters``."""
    from mmseg.registry import MODELS

    from deft_mmseg.demo.demo_config import DEMO_CROP, config_crop, demo_model_config
    from deft_helpers import batch, total_loss
    cfg = shipped_config(name)
    if (cfg.get('model_wrapper_cfg') or {}).get('find_unused_parameters'):
        pytest.skip('model_wrapper_cfg sets find_unused_parameters')
    model_cfg = demo_model_config(cfg, DEMO_CROP / config_crop(cfg))
    model_cfg.data_preprocessor = None
    torch.manual_seed(0)
    model = MODELS.build(model_cfg)
    model.train()
    total_loss(model.loss(*batch(n=2, size=64))).backward()
    assert [n for n, p in model.named_parameters() if p.requires_grad and p.grad is None] == []


def _train_two_ranks(demo_cwd, port, config, work_name, *cfg_options):
    """``tests/ddp_worker.py config`` under torchrun with 2 CPU processes (gloo): each rank's
    weights at the end, (rank0, rank1)."""
    work = str(demo_cwd / work_name)
    env = dict(os.environ, OMP_NUM_THREADS='1', MASTER_PORT=str(port))
    torchrun = osp.join(osp.dirname(sys.executable), 'torchrun')
    proc = subprocess.run([
        torchrun, '--nproc_per_node', '2', '--master_port',
        str(port),
        osp.join(REPO, 'tests', 'ddp_worker.py'), config, work, *cfg_options
    ],
                          cwd=demo_cwd,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return tuple(torch.load(osp.join(work, f'rank{r}.pth')) for r in (0, 1))


def _parameters(state):
    """The keys of ``state`` but BN running statistics (per rank with plain BN; SyncBN syncs
    them on GPUs)."""
    return [
        k for k in state if not k.endswith(('running_mean', 'running_var', 'num_batches_tracked'))
    ]


@pytest.mark.slow  # two training processes: the slow tier (make test-slow)
def test_two_process_ddp_keeps_gc_weights_identical(demo_cwd):
    rank0, rank1 = _train_two_ranks(demo_cwd, 29533, DEFT, 'ddp')
    assert rank0['decoupled_flag'] == 1 and rank1['decoupled_flag'] == 1
    # all parameters (UC all-reduced by DDP, GC updated by the same EMA on each rank) agree
    params = _parameters(rank0)
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
    rank0, rank1 = _train_two_ranks(
        demo_cwd, 29534,
        config_path('fishertune',
                    'fishertune_dinov2-l_mask2former_1xb4-44k_gtav-512x512.py'), 'ddp_ft',
        'train_cfg.warmup_iters=2', 'train_cfg.estimate_iters=2', 'train_cfg.tune_iters=3')
    masks = [k for k in rank0 if k.startswith('mask.')]
    assert len(masks) == 24 and sum(int(rank0[k].sum()) for k in masks) == 2123
    for key in rank0:
        assert torch.equal(rank0[key], rank1[key]), key


@pytest.mark.slow
@pytest.mark.parametrize('name', REIN_WITHOUT_QUERY_LINK)
def test_two_process_ddp_trains_rein_without_its_query_link(demo_cwd, name):
    """The user's path: tools/train.py's config handling under torchrun, 2 CPU processes, the
    config's own DDP settings; the ranks end with the same weights."""
    rank0, rank1 = _train_two_ranks(demo_cwd, 29535, config_path(name),
                                    f'ddp_{osp.basename(name)[:-3]}', 'train_cfg.max_iters=3')
    for key in _parameters(rank0):
        assert torch.equal(rank0[key], rank1[key]), key
