"""AtomicCheckpointHook: a checkpoint is written to a temporary name and renamed into place, old
ones are removed only after the new one is complete, a failed write (disk full) removes its
partial file and keeps the earlier checkpoints; unreadable checkpoints are one line."""
import errno
import os
import os.path as osp
from collections import deque

import pytest
import torch
from mmengine.fileio import LocalBackend
from mmengine.logging import MessageHub

from deft_mmseg.engine.hooks import AtomicCheckpointHook
from deft_mmseg.engine.work_dir import checkpoint_to_resume
from deft_mmseg.utils.checkpoint_loading import load_local_checkpoint
from deft_mmseg.utils.errors import CheckpointFileError, CheckpointWriteError


class _Runner:
    """What the hook reads of a runner; ``save_checkpoint`` writes like mmengine's (local backend
    ``put``: open 'wb', write) and records what the work dir held while it wrote."""

    def __init__(self, work_dir, fail_at=None):
        self.work_dir = work_dir
        self.message_hub = MessageHub.get_instance('atomic_ckpt_test')
        self.fail_at = fail_at
        self.seen_while_writing = {}

    def save_checkpoint(self, out_dir, filename, *args, meta=None, **kwargs):
        path = osp.join(out_dir, filename)
        last = osp.join(self.work_dir, 'last_checkpoint')
        self.seen_while_writing[meta['iter']] = (sorted(
            f for f in os.listdir(out_dir)
            if f.endswith('.pth')), open(last).read() if osp.isfile(last) else None)
        with open(path, 'wb') as f:
            if meta['iter'] == self.fail_at:
                f.write(b'x' * 100)  # part of the file, then the disk is full
                raise OSError(errno.ENOSPC, 'No space left on device')
            torch.save(dict(meta=meta, state_dict={'w': torch.full((4, ), meta['iter'])}), f)


def _hook(work_dir, max_keep):
    hook = AtomicCheckpointHook(interval=1, by_epoch=False, max_keep_ckpts=max_keep)
    hook.out_dir, hook.file_backend = work_dir, LocalBackend()
    hook.keep_ckpt_ids = deque([], max_keep)  # as CheckpointHook.before_train sets it
    return hook


def test_old_checkpoint_is_removed_only_after_the_new_one_is_complete(tmp_path):
    work = str(tmp_path)
    runner, hook = _Runner(work), _hook(work, max_keep=1)
    for step in (1, 2, 3):
        hook._save_checkpoint_with_step(runner, step, dict(iter=step))
    # while iter_3 was being written, iter_2 was still there and last_checkpoint named it
    # (mmengine deletes iter_2 first: a kill during the write then loses the run)
    assert runner.seen_while_writing[3] == (['iter_2.pth'], osp.join(work, 'iter_2.pth'))
    assert sorted(os.listdir(work)) == ['iter_3.pth', 'last_checkpoint']
    assert open(osp.join(work, 'last_checkpoint')).read() == osp.join(work, 'iter_3.pth')
    assert torch.equal(
        load_local_checkpoint(osp.join(work, 'iter_3.pth'))['state_dict']['w'], torch.full((4, ),
                                                                                           3))


def test_write_goes_to_a_temporary_name_and_stale_partials_are_removed(tmp_path):
    work = str(tmp_path)
    open(osp.join(work, 'iter_7.pth.partial'), 'wb').write(b'left by a kill -9')
    names = []
    runner = _Runner(work)
    save = runner.save_checkpoint
    runner.save_checkpoint = lambda out_dir, filename, *a, **k: (names.append(filename),
                                                                 save(out_dir, filename, *a, **k))
    _hook(work, max_keep=3)._save_checkpoint_with_step(runner, 8, dict(iter=8))
    assert names == ['iter_8.pth.partial']
    assert sorted(os.listdir(work)) == ['iter_8.pth', 'last_checkpoint']


def test_disk_full_during_a_write_removes_the_partial_file_and_keeps_the_last(tmp_path):
    """ENOSPC raised by the write itself (a wrapper in place of a full file system; the
    subprocess test under ``slow`` uses RLIMIT_FSIZE for a real failing write)."""
    work = str(tmp_path)
    runner, hook = _Runner(work, fail_at=2), _hook(work, max_keep=1)
    hook._save_checkpoint_with_step(runner, 1, dict(iter=1))
    with pytest.raises(
            CheckpointWriteError,
            match=r'iter_2\.pth: the disk is full \(\[Errno 28\]'
            r'\); the partial file was removed; the previous checkpoint .*iter_1\.pth '
            r'is intact'):
        hook._save_checkpoint_with_step(runner, 2, dict(iter=2))
    assert sorted(os.listdir(work)) == ['iter_1.pth', 'last_checkpoint']
    assert checkpoint_to_resume(work) == (osp.join(work, 'iter_1.pth'), None)


@pytest.mark.parametrize('content,message', [(b'', r'is empty \(0 bytes\)'),
                                             (None, 'is not a complete checkpoint')])
def test_empty_or_truncated_checkpoint_is_one_clear_error(tmp_path, content, message):
    path = str(tmp_path / 'c.pth')
    torch.save(dict(state_dict={'w': torch.zeros(1000)}), path)
    data = open(path, 'rb').read()
    open(path, 'wb').write(data[:len(data) // 2] if content is None else content)
    with pytest.raises(CheckpointFileError, match=message):
        load_local_checkpoint(path)


def test_resume_skips_a_truncated_last_checkpoint_and_says_so(tmp_path):
    work = str(tmp_path)
    runner, hook = _Runner(work), _hook(work, max_keep=3)
    for step in (1, 2):
        hook._save_checkpoint_with_step(runner, step, dict(iter=step))
    data = open(osp.join(work, 'iter_2.pth'), 'rb').read()
    open(osp.join(work, 'iter_2.pth'), 'wb').write(data[:len(data) // 3])
    path, note = checkpoint_to_resume(work)
    assert path == osp.join(work, 'iter_1.pth')
    assert 'iter_2.pth' in note and 'incomplete' in note and 'newest complete' in note
