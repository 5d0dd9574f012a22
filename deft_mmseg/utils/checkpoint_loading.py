"""Loading mmengine checkpoints under torch >= 2.6 without giving up weights-only safety.

torch >= 2.6 loads with ``weights_only=True``; mmengine 0.10.7 calls ``torch.load`` without the
argument, so its own checkpoints (which hold ``HistoryBuffer`` and numpy objects in ``message_hub``)
fail to load for ``--resume`` and ``tools/test.py`` (open-mmlab/mmengine#1655, unreleased fix).

Rather than turning weights-only loading off, this module registers a loader for local paths
(mmengine's ``CheckpointLoader`` scheme ``''``) that keeps ``weights_only=True`` and allow-lists the
exact, data-only globals mmengine writes into checkpoints (its ``HistoryBuffer`` and numpy's array /
dtype / scalar reconstructors). A file that needs anything else is refused with an error naming the
global; full unpickling is only done when the user opts in for that process with the environment
variable ``DEFT_MMSEG_ALLOW_PICKLE=1`` (a warning is logged each time).
"""
import os
import os.path as osp
import pickle
import re
import warnings

import numpy as np
import torch
from mmengine.logging import HistoryBuffer, print_log
from mmengine.runner.checkpoint import CheckpointLoader, load_from_local

from .errors import CheckpointFileError, CheckpointSecurityError

ALLOW_PICKLE_ENV = 'DEFT_MMSEG_ALLOW_PICKLE'


def _history_buffer_getattr(obj, name):
    """Stand-in for ``getattr`` during weights-only loads.

    ``HistoryBuffer`` pickles its statistics methods as ``getattr(HistoryBuffer, 'mean')``.
    Allowing the real ``getattr`` would let a file read any attribute of any allowed global, so
    only these exact look-ups are resolved; anything else is refused.
    """
    if obj is HistoryBuffer and name in ('min', 'max', 'current', 'mean'):
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(f'getattr({obj!r}, {name!r}) is not allowed in a checkpoint')


def trusted_checkpoint_globals():
    """The data-only globals mmengine/mmseg checkpoints contain, allowed for weights-only loads."""
    # bytes: numpy pickles an empty array's buffer as bytes() (a HistoryBuffer never updated)
    allowed = [
        HistoryBuffer, np.ndarray, np.dtype, bytes, (_history_buffer_getattr, 'builtins.getattr'),
        (_history_buffer_getattr, '__builtin__.getattr')
    ]
    try:  # numpy >= 2
        from numpy._core import multiarray
    except ImportError:  # numpy 1.x
        from numpy.core import multiarray
    allowed += [multiarray._reconstruct, multiarray.scalar]
    # numpy >= 1.25 pickles dtypes through their concrete classes (numpy.dtypes.Float64DType, ...)
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        allowed += [
            getattr(dtypes, name) for name in dir(dtypes)
            if name.endswith('DType') and isinstance(getattr(dtypes, name), type)
        ]
    return allowed


def refused_global(error):
    """The global a weights-only ``UnpicklingError`` refused, e.g. ``'the global posix.system'``
    (torch words the message differently across versions and colours parts of it)."""
    text = re.sub(r'\x1b\[[0-9;]*m', '', str(error))
    match = re.search(r'GLOBAL ([\w.]+)', text) or re.search(r'global:? ([\w.]+\.[\w]+)', text)
    if match:
        return f'the global {match.group(1).rstrip(".")}'
    return f'objects outside the allow-list ({text.strip().splitlines()[-1][:200]})'


def load_local_checkpoint(filename, map_location=None):
    """Load a local checkpoint with ``weights_only=True`` plus :func:`trusted_checkpoint_globals`.

    Raises:
        FileNotFoundError: the file does not exist.
        CheckpointSecurityError: the file needs a global outside the allow-list and
            ``DEFT_MMSEG_ALLOW_PICKLE=1`` is not set.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint {filename!r} does not exist. Check the path (for a '
                                f'run, see work_dirs/<config>/last_checkpoint).')
    try:
        with torch.serialization.safe_globals(trusted_checkpoint_globals()):
            return torch.load(filename, map_location=map_location, weights_only=True)
    except (EOFError, RuntimeError) as e:
        raise unreadable_checkpoint(filename, e) from None
    except pickle.UnpicklingError as e:
        if os.path.getsize(filename) == 0 or 'truncated' in str(e):
            raise unreadable_checkpoint(filename, e) from None
        if os.environ.get(ALLOW_PICKLE_ENV) == '1':
            warnings.warn(f'{ALLOW_PICKLE_ENV}=1: loading {filename!r} with full unpickling, which '
                          f'can run arbitrary code. Only do this for files you trust.')
            print_log(
                f'Loading {filename} with full unpickling ({ALLOW_PICKLE_ENV}=1).',
                logger='current')
            return torch.load(filename, map_location=map_location, weights_only=False)
        raise CheckpointSecurityError(
            f'checkpoint {filename!r} needs {refused_global(e)}, which weights-only loading '
            f'refuses. Checkpoints written by mmengine/mmseg runs load as they are; this one '
            f'contains something else. If you trust the file, '
            f'set {ALLOW_PICKLE_ENV}=1 for this run to unpickle it fully, or re-save its '
            f"'state_dict' alone.") from e


def unreadable_checkpoint(filename, error):
    """The :class:`CheckpointFileError` for a file torch cannot read: empty, cut short by a kill
    or a full disk during its write, or not a checkpoint (torch raises ``EOFError`` for an empty
    file and ``RuntimeError: PytorchStreamReader failed ...`` for a truncated one)."""
    size = os.path.getsize(filename)
    first = str(error).strip().splitlines()[0].split('. ')[0][:120] if str(error).strip() else ''
    what = 'is empty (0 bytes)' if size == 0 else (
        f'is not a complete checkpoint ({size} bytes; {type(error).__name__}: '
        f'{first})')
    return CheckpointFileError(
        f'checkpoint {filename!r} {what}: it was cut short while being written (a kill, a full '
        f'disk) or is not a checkpoint. Use an earlier checkpoint of the run; tools/train.py '
        f'--resume picks the newest complete one itself.')


#: ``DEFT_MMSEG_SAFE_LOADER=0`` before ``import deft_mmseg``: the import leaves mmengine's loader
SAFE_LOADER_ENV = 'DEFT_MMSEG_SAFE_LOADER'


def install_checkpoint_loader():
    """Make :func:`load_local_checkpoint` mmengine's loader for local paths (idempotent).

    ``import deft_mmseg`` calls this unless ``DEFT_MMSEG_SAFE_LOADER=0`` is set; undo it with
    :func:`uninstall_checkpoint_loader`."""
    CheckpointLoader.register_scheme(prefixes='', loader=load_local_checkpoint, force=True)


def uninstall_checkpoint_loader():
    """Give local paths back to mmengine's own loader (``mmengine.runner.checkpoint.
    load_from_local``), as if deft_mmseg had never been imported (idempotent)."""
    CheckpointLoader.register_scheme(prefixes='', loader=load_from_local, force=True)


def install_checkpoint_loader_unless_disabled():
    """What ``import deft_mmseg`` does: install, unless ``DEFT_MMSEG_SAFE_LOADER=0``."""
    if os.environ.get(SAFE_LOADER_ENV, '1') != '0':
        install_checkpoint_loader()


def read_checkpoint_meta(filename):
    """The ``meta`` dict of a local checkpoint, read through a memory map (the tensors of a
    large checkpoint are not loaded)."""
    with torch.serialization.safe_globals(trusted_checkpoint_globals()):
        try:
            ckpt = torch.load(filename, map_location='cpu', weights_only=True, mmap=True)
        except (RuntimeError, pickle.UnpicklingError):  # legacy (non-zip) files cannot be mapped
            ckpt = load_local_checkpoint(filename, map_location='cpu')
    return ckpt.get('meta', {}) if isinstance(ckpt, dict) else {}


def recorded_config(checkpoint):
    """The config a runner recorded in ``checkpoint`` (``meta['cfg']``, mmengine's
    ``Runner.save_checkpoint``) as a ``Config``; ``None`` when it records none (a converted
    release, a slim export) or its text no longer parses."""
    from mmengine.config import Config
    text = (checkpoint.get('meta') or {}).get('cfg') if isinstance(checkpoint, dict) else None
    if not isinstance(text, str):
        return None
    try:
        return Config.fromstring(text, '.py')
    except Exception:  # a config text this mmengine cannot read: nothing recorded to go by
        return None
