"""Where the repository and its configs are, for tests (importable because pytest.ini puts
`tests/` on the path; tests import this, never `conftest`)."""
import glob
import os.path as osp

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def config_path(*parts):
    """The path of a config shipped in ``configs/``."""
    return osp.join(REPO, 'configs', *parts)


#: every config a user runs (paths under ``configs/``, ``_base_/`` excluded), sorted
CONFIGS = sorted(
    osp.relpath(p, osp.join(REPO, 'configs'))
    for p in glob.glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True)
    if '_base_' not in p)


def shipped_config(*parts):
    """``Config.fromfile`` of a config shipped in ``configs/``, read once per test session (the
    every-config tests read each of the ~110 configs several times; resolving its ``mmseg::``
    bases is most of a test's time). Each call returns its own deep copy: a test may change it."""
    import copy
    return copy.deepcopy(_read_shipped_config(config_path(*parts)))


_CONFIG_CACHE = {}


def _read_shipped_config(path):
    from mmengine.config import Config
    if path not in _CONFIG_CACHE:
        _CONFIG_CACHE[path] = Config.fromfile(path)
    return _CONFIG_CACHE[path]
