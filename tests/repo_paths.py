"""Where the repository and its configs are, for tests (importable because pytest.ini puts
`tests/` on the path; tests import this, never `conftest`)."""
import glob
import os.path as osp

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def config_path(*parts):
    """The path of a config shipped in ``configs/``."""
    return osp.join(REPO, 'configs', *parts)


#: every config a user runs (paths under ``configs/``, ``_base_/`` excluded), sorted
CONFIGS = sorted(osp.relpath(p, osp.join(REPO, 'configs'))
                 for p in glob.glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True)
                 if '_base_' not in p)
