"""A real SIGINT / SIGTERM to a training process: the step finishes, a checkpoint is saved, the
exact --resume command is printed, exit status 128 + signal, no traceback; the printed command
continues the run."""
import os
import os.path as osp
import re
import shlex
import signal
import subprocess
import sys
import time

import pytest

from e2e_helpers import DEFT_DEMO
from repo_paths import REPO


def _train_until_logged(cwd, work, options, signum, after_iter=2, process_group=False):
    cmd = [
        sys.executable,
        osp.join(REPO, 'tools', 'train.py'), *DEFT_DEMO, '--work-dir', work, '--cfg-options',
        *options
    ]
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONUNBUFFERED='1'),
        start_new_session=process_group)
    seen = []
    for line in proc.stdout:  # mmengine logs to stdout
        seen.append(line)
        if re.search(rf'Iter\(train\) \[ *{after_iter}/', line):
            if process_group:  # a terminal's Ctrl-C: the run and its loading workers
                os.killpg(proc.pid, signum)
            else:
                proc.send_signal(signum)
            break
    out, err = proc.communicate(timeout=120)
    return proc.returncode, ''.join(seen) + out, err


OPTIONS = [
    'train_cfg.warmup_iters=2', 'train_cfg.decoupled_iters=400', 'train_cfg.val_interval=1000',
    'default_hooks.logger.interval=1', 'default_hooks.checkpoint.interval=1000'
]


# a training subprocess (the brief's slow tier; make test's 8-minute budget): make test-slow
@pytest.mark.slow
def test_sigterm_saves_a_checkpoint_and_prints_the_resume_command(demo_cwd):
    work = str(demo_cwd / 'run')
    code, out, err = _train_until_logged(str(demo_cwd), work, OPTIONS, signal.SIGTERM)
    assert code == 128 + signal.SIGTERM, err[-3000:]
    assert 'Traceback' not in err
    stopped = [ln for ln in err.splitlines() if ln.startswith('stopped by SIGTERM after iteration')]
    assert len(stopped) == 1, err[-3000:]
    iteration = int(stopped[0].split('after iteration ')[1].split(';')[0])
    ckpt = osp.join(work, f'iter_{iteration}.pth')
    assert f'checkpoint {ckpt} saved' in stopped[0] and osp.isfile(ckpt)
    assert open(osp.join(work, 'last_checkpoint')).read() == ckpt
    command = err.splitlines()[err.splitlines().index(stopped[0]) + 1].strip()
    assert shlex.split(command)[:2] == ['python', osp.join(REPO, 'tools', 'train.py')]
    assert shlex.split(command)[2:] == [
        DEFT_DEMO[0], '--resume', DEFT_DEMO[1], '--work-dir', work, '--cfg-options', *OPTIONS
    ]


@pytest.mark.slow
def test_ctrl_c_then_the_printed_command_finishes_the_run(demo_cwd):
    work = str(demo_cwd / 'run')
    options = [o.replace('decoupled_iters=400', 'decoupled_iters=4') for o in OPTIONS]
    code, out, err = _train_until_logged(str(demo_cwd), work, options, signal.SIGINT)
    assert code == 130 and 'Traceback' not in err and 'KeyboardInterrupt' not in err
    command = [ln.strip() for ln in err.splitlines() if ln.strip().startswith('python ')][0]
    argv = shlex.split(command)
    proc = subprocess.run([sys.executable, *argv[1:]],
                          cwd=str(demo_cwd),
                          capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert osp.isfile(osp.join(work, 'iter_6.pth'))


@pytest.mark.slow
def test_ctrl_c_to_the_process_group_with_persistent_workers(demo_cwd):
    """The loading workers get the SIGINT too (a terminal sends it to the whole group): they
    ignore it (forked with the run's handler), the run saves and stops as above."""
    work = str(demo_cwd / 'run')
    code, out, err = _train_until_logged(
        str(demo_cwd),
        work,
        [*OPTIONS, 'train_dataloader.num_workers=2', 'train_dataloader.persistent_workers=True'],
        signal.SIGINT,
        after_iter=3,
        process_group=True)
    assert code == 130 and 'Traceback' not in err, err[-3000:]
    assert 'stopped by SIGINT after iteration' in err


def test_handlers_are_put_back_when_a_run_ends_by_an_error(demo_root, tmp_path, monkeypatch,
                                                           capsys):
    """In-process: a run that stops on bad data in its first batch (after the hook installed its
    handlers) leaves SIGINT/SIGTERM as they were; else a later Ctrl-C of the process would only
    set a dead run's flag."""
    import glob
    import shutil

    import numpy as np
    from PIL import Image

    from e2e_helpers import error_line_in_process
    shutil.copytree(demo_root, tmp_path / 'data' / 'demo')
    monkeypatch.chdir(tmp_path)
    for path in glob.glob(osp.join('data', 'demo', 'gtav', 'labels', '*_labelTrainIds.png')):
        Image.fromarray(np.full_like(np.array(Image.open(path)), 77)).save(path)
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    line = error_line_in_process(capsys, 'train.py', *DEFT_DEMO, '--work-dir', 'run',
                                 '--cfg-options', 'train_cfg.warmup_iters=1',
                                 'train_cfg.decoupled_iters=1')
    assert 'LabelRangeError' in line
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before
