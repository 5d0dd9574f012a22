"""What a training run may do with its work dir: never overwrite another run's checkpoints, and
resume from the newest complete checkpoint that really exists."""
import glob
import os.path as osp
import re
from typing import List, Optional

from ..utils.checkpoint_loading import read_checkpoint_meta
from ..utils.errors import WorkDirError


def run_checkpoints(work_dir: str) -> List[str]:
    """``iter_N.pth`` / ``epoch_N.pth`` files of ``work_dir``, newest (highest N) first."""
    found = []
    for path in glob.glob(osp.join(work_dir, '*.pth')):
        match = re.fullmatch(r'(iter|epoch)_(\d+)\.pth', osp.basename(path))
        if match:
            found.append((int(match.group(2)), path))
    return [p for _, p in sorted(found, reverse=True)]


def refuse_to_overwrite(work_dir: str) -> None:
    """Raise :class:`WorkDirError` when ``work_dir`` already holds a run's checkpoints: a new run
    would overwrite its ``iter_N.pth`` and ``last_checkpoint``, and a later ``--resume`` would
    continue the wrong run."""
    ckpts = run_checkpoints(work_dir)
    if ckpts or osp.isfile(osp.join(work_dir, 'last_checkpoint')):
        what = (f'{len(ckpts)} checkpoint(s), the newest {osp.basename(ckpts[0])}'
                if ckpts else 'a last_checkpoint file')
        raise WorkDirError(
            f'work dir {work_dir!r} already holds a run ({what}); a new run would overwrite them. '
            f'Continue it with --resume, give another --work-dir, or pass --overwrite to start '
            f'over in it.')


def _complete(path: str) -> bool:
    try:
        read_checkpoint_meta(path)
        return True
    except Exception:  # noqa: BLE001  (a file cut short by a kill does not load)
        return False


def checkpoint_to_resume(work_dir: str) -> Optional[str]:
    """The checkpoint ``--resume`` continues from, and a note when it is not the one
    ``last_checkpoint`` names.

    ``last_checkpoint`` is used when the file it names is a complete checkpoint; otherwise
    (deleted, moved, empty or cut short by a kill or a full disk) the newest complete
    ``iter_N.pth`` of the work dir. Returns ``(None, note)`` when there is none.
    """
    last = osp.join(work_dir, 'last_checkpoint')
    named = None
    if osp.isfile(last):
        with open(last) as f:
            named = f.read().strip() or None
    if named and osp.isfile(named) and _complete(named):
        return named, None
    why = (f'last_checkpoint names {named!r}, which is incomplete (cut short while being '
           f'written)' if named and osp.isfile(named) else
           f'last_checkpoint names {named!r}, which does not exist'
           if named else 'no last_checkpoint file')
    for path in run_checkpoints(work_dir):
        if _complete(path):
            return path, f'{why}; resuming from the newest complete checkpoint {path}'
    return None, f'{why}, and {work_dir!r} holds no complete checkpoint'
