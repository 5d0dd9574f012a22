"""A real training process is killed (SIGKILL) right after a checkpoint is written and resumed with
``--resume``: every tensor of the final checkpoint (model and optimizer state) equals the one of an
uninterrupted run, with the configs as shipped (dropout, drop path and augmentation on)."""
import os
import os.path as osp
import signal
import subprocess
import sys
import time

import pytest
import torch

from deft_mmseg.utils.checkpoint_loading import load_local_checkpoint
from repo_paths import REPO, config_path

TRAIN = osp.join(REPO, 'tools', 'train.py')
SEEDED = ['randomness.seed=0', 'randomness.deterministic=True']
EVERY_ITER = [
    'default_hooks.checkpoint.interval=1', 'default_hooks.checkpoint.max_keep_ckpts=-1',
    'default_hooks.logger.interval=1'
]


def _train(config, work, options, resume=False, kill_after=None):
    """Run tools/train.py CONFIG --demo in a fresh process; with ``kill_after=k`` SIGKILL it as
    soon as its ``last_checkpoint`` names ``iter_k.pth`` or later. Returns the iteration of the
    last complete checkpoint when killed, else None."""
    cmd = [
        sys.executable, TRAIN, config, '--demo', '--work-dir', work,
        *(['--resume'] if resume else []), '--cfg-options', *options
    ]
    os.makedirs(work, exist_ok=True)
    log = open(osp.join(work, 'stdout_resume.txt' if resume else 'stdout.txt'), 'w')
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    last = osp.join(work, 'last_checkpoint')
    killed_at = None
    while proc.poll() is None:
        if kill_after is not None and osp.isfile(last):
            name = open(last).read().strip()
            if name.endswith('.pth') and int(osp.basename(name)[5:-4]) >= kill_after:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                killed_at = int(osp.basename(open(last).read().strip())[5:-4])
                break
        time.sleep(0.002)
    log.close()
    if kill_after is not None:
        assert killed_at is not None, f'the run ended before it could be killed: {work}'
        assert proc.returncode == -signal.SIGKILL
        return killed_at
    assert proc.returncode == 0, open(log.name).read()[-3000:]
    return None


def _tensors(obj, prefix=''):
    """Every tensor (and plain value) of a nested checkpoint entry, by path."""
    if isinstance(obj, torch.Tensor):
        return {prefix: obj}
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            out.update(_tensors(v, f'{prefix}.{k}'))
        return out
    if isinstance(obj, (list, tuple)):
        out = {}
        for i, v in enumerate(obj):
            out.update(_tensors(v, f'{prefix}.{i}'))
        return out
    return {prefix: obj}


def assert_same_final_state(reference, resumed):
    ref, res = load_local_checkpoint(reference), load_local_checkpoint(resumed)
    for key in ('state_dict', 'optimizer'):
        a, b = _tensors(ref[key], key), _tensors(res[key], key)
        assert set(a) == set(b)
        differ = [
            k for k in a
            if not (torch.equal(a[k], b[k]) if isinstance(a[k], torch.Tensor) else a[k] == b[k])
        ]
        assert differ == [], f'{len(differ)} entries differ, e.g. {differ[:5]}'
    assert ref['meta']['iter'] == res['meta']['iter']


def interrupted_run_matches(tmp_path,
                            config,
                            options,
                            final_iter,
                            kill_after,
                            stage_range,
                            extra_batches=0):
    """Train uninterrupted; train again, kill after ``iter_<kill_after>``, resume; compare.

    ``extra_batches``: batches the loop took before the kill besides one per iteration
    (FisherTune's DR-FIM estimation), so the resumed stream starts that much further."""
    full, part = str(tmp_path / 'full'), str(tmp_path / 'part')
    _train(config, full, options)
    killed_at = _train(config, part, options, kill_after=kill_after)
    assert stage_range[0] <= killed_at <= stage_range[1], (
        f'killed at iteration {killed_at}, outside the stage under test {stage_range}')
    assert not osp.isfile(osp.join(part, f'iter_{final_iter}.pth'))
    _train(config, part, options, resume=True)
    resumed_log = open(osp.join(part, 'stdout_resume.txt')).read()
    assert f'iter_{killed_at}.pth' in resumed_log and 'generator states restored' in resumed_log
    if 'seeded_data=False' not in ' '.join(options):
        start = killed_at + extra_batches
        assert f'the data stream starts at batch {start} without loading' in resumed_log
    assert_same_final_state(
        osp.join(full, f'iter_{final_iter}.pth'), osp.join(part, f'iter_{final_iter}.pth'))
    return killed_at


DEFT = config_path('deft', 'deft_deeplabv3plus_r50-d16_1xb4-48k_gtav-768x768.py')
DEFT_OPTIONS = [
    *SEEDED, *EVERY_ITER, 'train_cfg.warmup_iters=4', 'train_cfg.decoupled_iters=8',
    'train_cfg.val_interval=6'
]


@pytest.mark.parametrize(
    'stage,kill_after,stage_range',
    [
        # a kill is a subprocess run: slow tier; the default run resumes bit-exactly in either
        # stage in process (test_integration/test_e2e_demo.py)
        pytest.param('warmup', 2, (2, 4), marks=pytest.mark.slow),
        pytest.param('decoupled', 7, (5, 11), marks=pytest.mark.slow)
    ])
def test_deft_killed_in_either_stage_resumes_bit_exact(demo_cwd, stage, kill_after, stage_range):
    """As shipped: decoder dropout 0.1, random resize/crop/flip/photometric/blur, validation on
    three domains at iteration 6, num_workers=0."""
    interrupted_run_matches(demo_cwd, DEFT, DEFT_OPTIONS, 12, kill_after, stage_range)


@pytest.mark.slow
def test_deft_with_two_workers_resumes_bit_exact(demo_cwd):
    interrupted_run_matches(demo_cwd, DEFT, [
        *DEFT_OPTIONS, 'train_dataloader.num_workers=2', 'train_dataloader.persistent_workers=True'
    ], 12, 7, (5, 11))


@pytest.mark.slow
def test_replayed_stream_still_resumes_bit_exact(demo_cwd):
    """``seeded_data=False`` (mmengine's per-worker sample randomness): the stream is replayed on
    resume, as before the seeded stream, and the resume is still exact."""
    interrupted_run_matches(demo_cwd, DEFT,
                            [*DEFT_OPTIONS, 'default_hooks.exact_resume.seeded_data=False'], 12, 7,
                            (5, 11))
    log = open(osp.join(demo_cwd, 'part', 'stdout_resume.txt')).read()
    assert 'the data stream is replayed to batch' in log


@pytest.mark.slow
@pytest.mark.parametrize(
    'config,options,final,kill_after,stage_range',
    [
        ('baselines/deeplabv3plus_r50-d16_1xb4-40k_gtav-768x768.py',
         ['train_cfg.max_iters=10', 'train_cfg.val_interval=5', 'param_scheduler.0.end=10'], 10, 6,
         (6, 9)),
        ('baselines/lpft_deeplabv3plus_r50-d16_1xb4-48k_gtav-768x768.py', [
            'train_cfg.warmup_iters=3', 'train_cfg.decoupled_iters=6', 'train_cfg.val_interval=5'
        ], 9, 5, (4, 8)),
        ('rein/rein_dinov2-l_mask2former_1xb4-40k_gtav-512x512.py',
         ['train_cfg.max_iters=8', 'train_cfg.val_interval=4', 'param_scheduler.0.end=8'], 8, 5,
         (5, 7)),
        # killed in the tuning stage, after the DR-FIM estimation consumed 3 extra batches
        ('fishertune/fishertune_dinov2-l_mask2former_1xb4-44k_gtav-512x512.py', [
            'train_cfg.warmup_iters=3', 'train_cfg.estimate_iters=3', 'train_cfg.tune_iters=6',
            'train_cfg.val_interval=5'
        ], 9, 5, (4, 8)),
    ])
def test_every_method_family_resumes_bit_exact(demo_cwd, config, options, final, kill_after,
                                               stage_range):
    estimated = [int(o.split('=')[1]) for o in options if o.startswith('train_cfg.estimate_iters=')]
    interrupted_run_matches(
        demo_cwd,
        config_path(config), [*SEEDED, *EVERY_ITER, *options],
        final,
        kill_after,
        stage_range,
        extra_batches=sum(estimated))


@pytest.mark.slow
def test_run_without_a_fixed_seed_resumes_bit_exact(demo_cwd):
    """mmengine draws a new seed for a resumed run and builds the dataloaders with it before it
    reads the checkpoint's; tools/train.py takes the checkpoint's first. Reference: an
    uninterrupted run with the seed the interrupted run drew."""
    options = [o for o in DEFT_OPTIONS if not o.startswith('randomness.seed')]
    part, full = str(demo_cwd / 'part'), str(demo_cwd / 'full')
    killed_at = _train(DEFT, part, [*options, 'randomness.seed=None'], kill_after=7)
    assert 5 <= killed_at <= 11
    seed = load_local_checkpoint(osp.join(part, f'iter_{killed_at}.pth'))['meta']['seed']
    _train(DEFT, part, [*options, 'randomness.seed=None'], resume=True)
    assert f'seed={seed}' in open(osp.join(part, 'stdout_resume.txt')).read()
    _train(DEFT, full, [*options, f'randomness.seed={seed}'])
    assert_same_final_state(osp.join(full, 'iter_12.pth'), osp.join(part, 'iter_12.pth'))


class _Runner:
    """What ExactResumeHook._restore reads of a runner."""
    train_loop = None


@pytest.mark.parametrize('change,message', [
    (dict(world_size=2), 'written by 2 process(es), this run has 1'),
    (dict(cuda=True), 'holds a cuda generator state this machine cannot restore'),
])
def test_resume_under_another_world_size_or_device_falls_back_with_a_warning(
        change, message, monkeypatch):
    import random

    from mmengine.logging import MMLogger

    from deft_mmseg.engine.hooks import ExactResumeHook, capture_rng_state
    if change.get('cuda') and torch.cuda.is_available():
        pytest.skip('needs a machine without CUDA')
    state = capture_rng_state()
    expected_next = random.random()
    if change.get('cuda'):
        state['cuda'] = torch.zeros(16, dtype=torch.uint8)
    saved = dict(world_size=change.get('world_size', 1), ranks=[state] * 2, data_batches=3)
    random.random()
    logged = []
    monkeypatch.setattr(
        MMLogger, 'get_current_instance',
        lambda: type('L', (), {
            'log': lambda self, level, msg: logged.append(msg),
            'handlers': []
        })())
    ExactResumeHook()._restore(_Runner(), saved)
    assert any(message in m and 'not exact' in m for m in logged), logged
    if 'world_size' in change:  # nothing restored
        assert random.random() != expected_next
    else:  # the CPU generators are restored, the device one is not
        assert random.random() == expected_next


@pytest.mark.slow
def test_checkpoint_written_without_the_hook_resumes_with_a_warning(demo_cwd):
    work = str(demo_cwd / 'work')
    options = [
        *SEEDED, *EVERY_ITER, 'train_cfg.warmup_iters=1', 'train_cfg.decoupled_iters=2',
        'train_cfg.val_interval=10'
    ]
    _train(DEFT, work, options)
    ckpt = torch.load(osp.join(work, 'iter_2.pth'), weights_only=False)
    del ckpt['rng_state']  # as written by an earlier version or without the hook
    torch.save(ckpt, osp.join(work, 'iter_2.pth'))
    with open(osp.join(work, 'last_checkpoint'), 'w') as f:
        f.write(osp.join(work, 'iter_2.pth'))
    _train(DEFT, work, options, resume=True)
    log = open(osp.join(work, 'stdout_resume.txt')).read()
    assert 'holds no generator states' in log and 'not exact' in log
    assert osp.isfile(osp.join(work, 'iter_3.pth'))


@pytest.mark.slow
def test_checkpoint_of_a_replayed_run_is_resumed_by_replaying(demo_cwd):
    """A run trained with seeded_data=False (or before the seeded stream existed) and resumed
    with the default: the resume follows the checkpoint's stream and stays exact."""
    options = [*DEFT_OPTIONS, 'default_hooks.exact_resume.seeded_data=False']
    full, part = str(demo_cwd / 'full'), str(demo_cwd / 'part')
    _train(DEFT, full, options)
    killed_at = _train(DEFT, part, options, kill_after=7)
    _train(DEFT, part, DEFT_OPTIONS, resume=True)
    log = open(osp.join(part, 'stdout_resume.txt')).read()
    assert 'trained without the seeded data stream; the resumed run continues that way' in log
    assert f'replayed to batch {killed_at}' in log
    assert_same_final_state(osp.join(full, 'iter_12.pth'), osp.join(part, 'iter_12.pth'))
