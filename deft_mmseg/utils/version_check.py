"""Refuse, at ``import deft_mmseg``, an OpenMMLab stack outside the versions it supports.

The ranges are ``deft_mmseg.version.SUPPORTED_VERSIONS`` (also setup.py's ``install_requires``).
Only installed packages are checked; ``mmdet``/``mmpretrain`` may be absent (they are imported
when a config uses a Mask2Former head or a ViT backbone). ``DEFT_MMSEG_SKIP_VERSION_CHECK=1``
turns the refusal into a warning, for trying a version that has not been checked.
"""
import os
import warnings
from importlib import metadata

from ..version import REQUIRED, SUPPORTED_VERSIONS
from .errors import UnsupportedVersionError

SKIP_ENV = 'DEFT_MMSEG_SKIP_VERSION_CHECK'


def _release(version):
    """``'1.2.2'`` -> ``(1, 2, 2)``; pre-release/local suffixes (``rc1``, ``+cpu``) are dropped."""
    parts = []
    for piece in version.split('+')[0].split('.'):
        digits = ''.join(c for c in piece if c.isdigit()) if piece[:1].isdigit() else ''
        if not digits:
            break
        parts.append(int(digits))
        if not piece.isdigit():
            break
    return tuple(parts)


def _pad(a, b):
    n = max(len(a), len(b))
    return a + (0, ) * (n - len(a)), b + (0, ) * (n - len(b))


def in_range(version, spec):
    """Whether ``version`` satisfies a specifier of ``>=``/``<``/``<=``/``==`` clauses."""
    ops = {
        '>=': lambda a, b: a >= b,
        '<=': lambda a, b: a <= b,
        '==': lambda a, b: a == b,
        '<': lambda a, b: a < b,
        '>': lambda a, b: a > b
    }
    for clause in spec.split(','):
        clause = clause.strip()
        op = next(o for o in ('>=', '<=', '==', '<', '>') if clause.startswith(o))
        a, b = _pad(_release(version), _release(clause[len(op):]))
        if not ops[op](a, b):
            return False
    return True


def installed_version(distribution):
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def unsupported_versions(versions=None):
    """``[(distribution, installed, supported range), ...]`` for installed packages outside
    their range and required ones that are missing (``installed`` None). ``versions`` maps
    distribution -> version instead of reading the environment (tests)."""
    found = []
    for dist, spec in SUPPORTED_VERSIONS.items():
        have = (versions or {}).get(dist) if versions is not None else installed_version(dist)
        if have is None:
            if dist in REQUIRED:
                found.append((dist, None, spec))
        elif not in_range(have, spec):
            found.append((dist, have, spec))
    return found


def check_versions(versions=None):
    """Raise :class:`UnsupportedVersionError` (one line naming each package, its version and the
    supported range, and the pip command) unless ``DEFT_MMSEG_SKIP_VERSION_CHECK=1``."""
    bad = unsupported_versions(versions)
    if not bad:
        return
    what = '; '.join(f'{d} {v} is installed, deft_mmseg supports {d}{s}'
                     if v else f'{d} is not installed (deft_mmseg needs {d}{s})' for d, v, s in bad)
    fix = ' '.join(f"'{d}{s}'" for d, _, s in bad)
    message = (f'{what}. Install a supported version (pip install {fix}), or set {SKIP_ENV}=1 '
               f'to try this one anyway.')
    if os.environ.get(SKIP_ENV) == '1':
        warnings.warn(f'{SKIP_ENV}=1: {message}')
        return
    raise UnsupportedVersionError(message)
