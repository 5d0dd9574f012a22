"""What happens around a long run, the way it happens: a kill -9 timed into a checkpoint save, a
write that fails for lack of space, --resume on a full disk, unreadable checkpoints."""
import os
import os.path as osp
import resource
import shutil
import signal
import subprocess
import sys
import time

import pytest
import torch

from e2e_helpers import DEFT_DEMO, error_line_in_process, one_error_line
from repo_paths import REPO

TRAIN = osp.join(REPO, 'tools', 'train.py')
EVERY_ITER_KEEP_ONE = [
    'default_hooks.checkpoint.interval=1', 'default_hooks.checkpoint.max_keep_ckpts=1',
    'default_hooks.logger.interval=1', 'train_cfg.val_interval=1000'
]


def _complete(path):
    try:
        torch.load(path, weights_only=False)
        return True
    except Exception:  # noqa: BLE001
        return False


@pytest.mark.slow
def test_kill_9_during_a_save_never_loses_the_run(demo_cwd):
    """Three runs, each SIGKILLed the moment a checkpoint's partial file appears (the write is in
    progress), with max_keep_ckpts=1 (mmengine deleted the only kept checkpoint before writing:
    last_checkpoint then named a deleted file, 3 of 3 tries). Each time last_checkpoint names a
    complete checkpoint and --resume continues from it."""
    for attempt, kill_from in enumerate((2, 3, 5)):
        work = str(demo_cwd / f'run{attempt}')
        os.makedirs(work)
        options = [
            '--cfg-options', 'train_cfg.warmup_iters=2', 'train_cfg.decoupled_iters=30',
            *EVERY_ITER_KEEP_ONE
        ]
        proc = subprocess.Popen([sys.executable, TRAIN, *DEFT_DEMO, '--work-dir', work, *options],
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        killed_in_save = False
        while proc.poll() is None:
            names = os.listdir(work)
            partial = [n for n in names if n.endswith('.pth.partial')]
            if partial and int(partial[0][5:-12]) >= kill_from:
                proc.send_signal(signal.SIGKILL)
                killed_in_save = True
                break
            time.sleep(0.0005)
        proc.wait()
        assert killed_in_save, 'the run ended before a save could be hit'
        named = open(osp.join(work, 'last_checkpoint')).read().strip()
        assert osp.isfile(named) and _complete(named), named
        resumed_at = int(osp.basename(named)[5:-4])
        assert resumed_at >= kill_from - 1
        proc = subprocess.run([
            sys.executable, TRAIN, *DEFT_DEMO, '--work-dir', work, '--resume', '--cfg-options',
            'train_cfg.warmup_iters=2', f'train_cfg.decoupled_iters={resumed_at}',
            *EVERY_ITER_KEEP_ONE
        ],
                              capture_output=True,
                              text=True)
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert f'resumed epoch: 0, iter: {resumed_at}' in proc.stdout + proc.stderr
        assert not [n for n in os.listdir(work) if n.endswith('.partial')]


def _limit_file_size():
    """In the child: a real failing write. Files may not grow past 2 MiB (a demo checkpoint is
    6 MiB, its logs a few KiB); SIGXFSZ ignored, so write() fails with EFBIG as on a full disk
    it fails with ENOSPC (a small tmpfs cannot be mounted here)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (2 * 2**20, 2 * 2**20))


@pytest.mark.slow
def test_a_failing_checkpoint_write_is_one_line_and_leaves_no_partial_file(demo_cwd):
    work = str(demo_cwd / 'run')
    proc = subprocess.run([
        sys.executable, TRAIN, *DEFT_DEMO, '--work-dir', work, '--cfg-options',
        'train_cfg.warmup_iters=1', 'train_cfg.decoupled_iters=1', *EVERY_ITER_KEEP_ONE
    ],
                          capture_output=True,
                          text=True,
                          preexec_fn=_limit_file_size)
    line = one_error_line(proc)
    assert 'CheckpointWriteError: could not write checkpoint' in line
    assert 'iter_1.pth: the file size limit (ulimit -f) was reached ([Errno 27])' in line
    assert 'the partial file was removed' in line
    assert not [n for n in os.listdir(work) if n.endswith(('.pth', '.partial'))]


def test_resume_on_a_full_disk_is_one_line(short_deft_run, tmp_path, monkeypatch, capsys):
    shutil.copytree(short_deft_run / 'run', tmp_path / 'run')
    os.symlink(short_deft_run / 'data', tmp_path / 'data')
    monkeypatch.chdir(tmp_path)
    with open(tmp_path / 'run' / 'last_checkpoint', 'w') as f:
        f.write(str(tmp_path / 'run' / 'iter_3.pth'))
    monkeypatch.setattr(shutil, 'disk_usage', lambda path: shutil._ntuple_diskusage(
        10 * 2**30, 10 * 2**30 - 4096, 4096))  # as statvfs reports a full disk
    line = error_line_in_process(capsys, 'train.py', *DEFT_DEMO, '--work-dir', 'run', '--resume')
    assert "the disk of 'run' has 0.0 MiB free, less than one checkpoint of this run " \
           "(iter_3.pth" in line and 'Free space there' in line


@pytest.mark.parametrize('damage', ['empty', 'truncated'])
def test_testing_an_unreadable_checkpoint_is_one_line(short_deft_run, tmp_path, damage, monkeypatch,
                                                      capsys):
    monkeypatch.chdir(short_deft_run)
    path = str(tmp_path / 'bad.pth')
    data = open(short_deft_run / 'run' / 'iter_3.pth', 'rb').read()
    open(path, 'wb').write(b'' if damage == 'empty' else data[:len(data) // 2])
    line = error_line_in_process(capsys, 'test.py', *DEFT_DEMO[:1], path, '--demo', '--work-dir',
                                 str(tmp_path / 'test'))
    assert line.startswith('error: CheckpointFileError: checkpoint ')
    assert ('is empty (0 bytes)' if damage == 'empty' else 'is not a complete checkpoint') in line
