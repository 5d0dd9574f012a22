"""mmengine's ``CheckpointHook`` with writes a kill or a full disk cannot turn into a lost run."""
import errno
import glob
import os
import os.path as osp
from typing import Optional

from mmengine.dist import is_main_process
from mmengine.fileio import LocalBackend
from mmengine.hooks import CheckpointHook
from mmseg.registry import HOOKS

from ...utils.errors import CheckpointWriteError

#: suffix of a checkpoint being written; renamed to its final name once complete
PARTIAL_SUFFIX = '.partial'


def fsync_path(path: str) -> None:
    """Flush a file (or a directory entry table) to the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def replace_atomically(tmp_path: str, final_path: str) -> None:
    """Flush ``tmp_path`` and rename it to ``final_path`` (atomic within one file system), then
    flush the directory so the rename itself survives a crash."""
    fsync_path(tmp_path)
    os.replace(tmp_path, final_path)
    fsync_path(osp.dirname(osp.abspath(final_path)))


def write_text_atomically(path: str, text: str) -> None:
    """Write ``text`` to ``path`` so that a reader sees the old content or the new, never a mix."""
    tmp_path = path + PARTIAL_SUFFIX
    with open(tmp_path, 'w') as f:
        f.write(text)
    replace_atomically(tmp_path, path)


def read_last_checkpoint(work_dir: str) -> Optional[str]:
    """The existing file ``work_dir/last_checkpoint`` names, or ``None``."""
    last = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(last):
        return None
    with open(last) as f:
        named = f.read().strip()
    return named if named and osp.isfile(named) else None


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """``CheckpointHook`` (same arguments) whose checkpoints are never lost to a kill or a full
    disk. What mmengine 0.10.7 gets wrong, and this hook does instead
    (``mmengine/hooks/checkpoint_hook.py``, ``_save_checkpoint_with_step``):

    - mmengine deletes the oldest kept checkpoint *before* writing the new one and writes the new
      one in place: with ``max_keep_ckpts=1`` a kill during the write leaves ``last_checkpoint``
      naming a deleted or half-written file. Here the checkpoint is written to
      ``<name>.partial`` in the same folder, flushed (``fsync``) and renamed into place
      (``os.replace``, atomic), then ``last_checkpoint`` is replaced the same way, and only then
      are checkpoints beyond ``max_keep_ckpts`` removed. At every instant ``last_checkpoint``
      names a complete file.
    - A write that fails (disk full, quota, file size limit) removes its partial file and stops
      the run with :class:`CheckpointWriteError` (one ``error:`` line from the tools), keeping
      every earlier checkpoint.
    - Partial files a ``kill -9`` left behind are removed by the next save.

    Non-local ``out_dir`` backends (``backend_args`` for object stores) keep mmengine's behaviour.
    ``save_best`` checkpoints keep mmengine's write (no shipped config uses ``save_best``).
    """

    def _writes_local_files(self) -> bool:
        return isinstance(self.file_backend, LocalBackend)

    def _save_checkpoint_with_step(self, runner, step: int, meta: dict) -> None:
        if not self._writes_local_files():
            return super()._save_checkpoint_with_step(runner, step, meta)
        expired = []
        if self.max_keep_ckpts > 0 and not (self.keep_ckpt_ids and self.keep_ckpt_ids[-1] == step):
            while len(self.keep_ckpt_ids) >= self.max_keep_ckpts:  # deque(maxlen) would drop it
                expired.append(self.keep_ckpt_ids.popleft())
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info('keep_ckpt_ids', list(self.keep_ckpt_ids))
        ckpt_filename = self.filename_tmpl.format(step)
        self.last_ckpt = osp.join(self.out_dir, ckpt_filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        previous = read_last_checkpoint(runner.work_dir)
        self.write_checkpoint(runner, ckpt_filename, meta, previous)
        if not is_main_process():
            return
        write_text_atomically(osp.join(runner.work_dir, 'last_checkpoint'), self.last_ckpt)
        for old_step in expired:  # only now that the new checkpoint is complete
            old = osp.join(self.out_dir, self.filename_tmpl.format(old_step))
            if osp.isfile(old):
                os.remove(old)

    def write_checkpoint(self,
                         runner,
                         ckpt_filename: str,
                         meta: dict,
                         previous: Optional[str] = None) -> None:
        """``runner.save_checkpoint`` to ``<ckpt_filename>.partial``, renamed into place once
        complete. Raises :class:`CheckpointWriteError` (partial file removed) when it fails."""
        final_path = osp.join(self.out_dir, ckpt_filename)
        tmp_path = final_path + PARTIAL_SUFFIX
        if is_main_process():
            for stale in glob.glob(osp.join(glob.escape(self.out_dir), '*' + PARTIAL_SUFFIX)):
                os.remove(stale)  # left by a kill during an earlier save
        try:
            runner.save_checkpoint(
                self.out_dir,
                ckpt_filename + PARTIAL_SUFFIX,
                self.file_client_args,
                save_optimizer=self.save_optimizer,
                save_param_scheduler=self.save_param_scheduler,
                meta=meta,
                by_epoch=self.by_epoch,
                backend_args=self.backend_args,
                **self.args)
            if is_main_process():
                replace_atomically(tmp_path, final_path)
        except OSError as exc:
            if osp.exists(tmp_path):
                os.remove(tmp_path)
            reason = ('the disk is full' if exc.errno in (errno.ENOSPC, errno.EDQUOT) else
                      'the file size limit (ulimit -f) was reached'
                      if exc.errno == errno.EFBIG else exc.strerror or str(exc))
            previous = f'; the previous checkpoint {previous} is intact' if previous else ''
            raise CheckpointWriteError(
                f'could not write checkpoint {final_path}: {reason} ([Errno {exc.errno}]); the '
                f'partial file was removed{previous}. Free space in {self.out_dir!r} (or give '
                f'another --work-dir) and continue with tools/train.py ... --resume.') from None
