"""One training run per work dir: real concurrent processes, a lock a kill -9 cannot leave stuck."""
import os.path as osp
import signal
import subprocess
import sys
import time

import pytest

from deft_mmseg.engine.work_dir_lock import LOCK_FILENAME, lock_work_dir, unlock_work_dir
from deft_mmseg.utils.errors import WorkDirLockedError
from e2e_helpers import DEFT_DEMO, one_error_line, run_tool

HOLDER = """
import sys, time
from deft_mmseg.engine.work_dir_lock import lock_work_dir
lock_work_dir(sys.argv[1])
print('locked', flush=True)
time.sleep(120)
"""


def _hold_lock(work_dir):
    """A real second process that takes the lock and keeps it."""
    proc = subprocess.Popen([sys.executable, '-c', HOLDER, work_dir],
                            stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout.readline().strip() == 'locked'
    return proc


def test_second_process_is_refused_and_a_kill_9_leaves_no_stuck_lock(tmp_path):
    work = str(tmp_path / 'run')
    holder = _hold_lock(work)
    try:
        with pytest.raises(
                WorkDirLockedError,
                match=rf'in use by another training run \(pid '
                rf'{holder.pid} on .*\)\. Wait for it to end or stop it, or give'):
            lock_work_dir(work)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert lock_work_dir(work) == osp.join(work, LOCK_FILENAME)  # the kernel dropped the lock
    assert lock_work_dir(work)  # idempotent in one process
    unlock_work_dir(work)


# a training subprocess (make test-slow); the lock's refusal runs in the default tier above
@pytest.mark.slow
def test_train_on_a_work_dir_in_use_from_a_fresh_shell(tmp_path, demo_cwd):
    """The command-line contract: exit 2, one line naming the other process and the fix,
    nothing written to the work dir."""
    work = str(tmp_path / 'run')
    holder = _hold_lock(work)
    try:
        proc = run_tool('train.py', *DEFT_DEMO, '--work-dir', work, cwd=str(demo_cwd))
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    line = one_error_line(proc)
    assert f'pid {holder.pid}' in line and '--work-dir' in line
    assert sorted(p.name for p in (tmp_path / 'run').iterdir()) == [LOCK_FILENAME]


@pytest.mark.slow
def test_two_runs_started_together_on_one_work_dir(demo_cwd):
    """As the issue found it: two runs (seeds 0 and 1) started at once on one work dir; one
    trains, the other stops with the lock's line and writes nothing."""
    from repo_paths import REPO
    work = str(demo_cwd / 'run')
    procs = [
        subprocess.Popen([
            sys.executable,
            osp.join(REPO, 'tools', 'train.py'), *DEFT_DEMO, '--work-dir', work, '--cfg-options',
            f'randomness.seed={seed}', 'train_cfg.warmup_iters=1', 'train_cfg.decoupled_iters=1',
            'train_cfg.val_interval=10'
        ],
                         stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE,
                         text=True) for seed in (0, 1)
    ]
    results = [(p.wait(), p.stderr.read()) for p in procs]
    assert sorted(code for code, _ in results) == [0, 2], results
    refused = [err for code, err in results if code == 2][0]
    assert 'in use by another training run' in refused and 'Traceback' not in refused
    ckpt_seed = __import__('torch').load(
        osp.join(work, 'iter_2.pth'), weights_only=False)['meta']['seed']
    winner = [i for i, (code, _) in enumerate(results) if code == 0][0]
    assert ckpt_seed == winner
