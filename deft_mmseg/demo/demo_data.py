"""Where ``--demo`` finds the demo data (``tools/make_demo_data.py``), from any working directory.

In this order: the folder ``$DEFT_MMSEG_DEMO_DATA`` names (only it, when set); ``data/demo`` under
the working directory (where ``make demo-data`` and the README put it); ``data/demo`` of the
repository this package was imported from. A demo run that needs the data and finds none stops
with one line saying how to make it.
"""
import os
import os.path as osp
from typing import List, Optional

from ..utils.errors import DatasetConfigError

#: environment variable naming the demo data folder
DEMO_DATA_ENV = 'DEFT_MMSEG_DEMO_DATA'
#: the folder under the working directory and under the repository
DEMO_DATA_DIR = osp.join('data', 'demo')
#: the repository (or site-packages, for an installed wheel) this package was imported from
_REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def demo_data_candidates() -> List[str]:
    """The folders searched, in order."""
    named = os.environ.get(DEMO_DATA_ENV)
    if named:
        return [named]
    return [DEMO_DATA_DIR, osp.join(_REPO, DEMO_DATA_DIR)]


def is_demo_data(root: str) -> bool:
    """``root`` holds the demo's source domain (``gtav/``) and its targets."""
    return osp.isdir(osp.join(root, 'gtav')) and osp.isdir(osp.join(root, 'demo_real'))


def locate_demo_data() -> Optional[str]:
    """The first candidate folder that holds the demo data (``data/demo`` under the working
    directory stays relative, as the configs write it), or ``None``."""
    for root in demo_data_candidates():
        if is_demo_data(root):
            return root
    return None


def missing_demo_data_error() -> DatasetConfigError:
    """The one-line error of a demo run without demo data."""
    searched = ', '.join(demo_data_candidates())
    return DatasetConfigError(
        f'--demo: no demo data in {searched}. Make it with `python tools/make_demo_data.py '
        f'data/demo` (a minute on a CPU) in this directory, or set {DEMO_DATA_ENV}=DIR to '
        f'demo data made elsewhere.')
