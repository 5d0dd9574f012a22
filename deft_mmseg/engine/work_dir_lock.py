"""One training run per work dir: a lock the operating system releases when its process ends, so
that a ``kill -9`` cannot leave it stuck (mmengine has none: two runs on one work dir replace each
other's checkpoints and interleave their logs)."""
import fcntl
import os
import os.path as osp
import socket
import sys
import time
from typing import Dict, TextIO

from ..utils.errors import WorkDirLockedError

#: the lock file in the work dir; it holds the owner's pid, host, start time and command
LOCK_FILENAME = '.train.lock'

_held: Dict[str, TextIO] = {}  # work dir (real path) -> the open lock file of this process


def lock_work_dir(work_dir: str) -> str:
    """Take the work dir's lock for this process (idempotent within a process).

    ``fcntl.flock`` on ``WORK_DIR/.train.lock``: the kernel drops the lock when the process
    ends, however it ends (``kill -9`` included), so no stale lock outlives its run. The file
    keeps the owner's pid, host and command for the message the next run prints.

    Returns:
        str: the lock file's path.

    Raises:
        WorkDirLockedError: another live process holds the lock.
    """
    os.makedirs(work_dir, exist_ok=True)
    key = osp.realpath(work_dir)
    path = osp.join(work_dir, LOCK_FILENAME)
    if key in _held:
        return path
    f = open(path, 'a+')
    try:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        f.seek(0)
        owner = f.read().strip() or 'another process'
        f.close()
        raise WorkDirLockedError(
            f'work dir {work_dir!r} is in use by another training run ({owner}). Wait for it to '
            f'end or stop it, or give this run another --work-dir.') from None
    f.seek(0)
    f.truncate()
    f.write(f'pid {os.getpid()} on {socket.gethostname()}, started '
            f'{time.strftime("%Y-%m-%d %H:%M:%S")}: {" ".join(sys.argv)[:300]}\n')
    f.flush()
    _held[key] = f
    return path


def unlock_work_dir(work_dir: str) -> None:
    """Release this process's lock of ``work_dir`` (a process that ends releases it anyway)."""
    f = _held.pop(osp.realpath(work_dir), None)
    if f is not None:
        fcntl.flock(f.fileno(), fcntl.LOCK_UN)
        f.close()
