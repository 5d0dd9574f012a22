"""Where the repository and its configs are, for tests (importable because pytest.ini puts
`tests/` on the path; tests import this, never `conftest`)."""
import os.path as osp

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def config_path(*parts):
    """The path of a config shipped in ``configs/``."""
    return osp.join(REPO, 'configs', *parts)
