"""deft_mmseg used the way a user with their own mmseg codebase uses it: built as a wheel, installed
into a folder outside the repository, and driven from a directory that is not the repository, by a
config of the user's that inherits one of ours through ``deft_mmseg::``."""
import glob
import os
import os.path as osp
import subprocess
import sys

import pytest

from repo_paths import REPO

USER_CONFIG = """
_base_ = ['deft_mmseg::deft/deft_deeplabv3plus_r50-d8_1xb4-48k_gtav-768x768.py']
model = dict(final_model='III')
"""

WHERE_FROM = """
import os.path as osp, sys
import deft_mmseg
from deft_mmseg.demo import demo_config
from mmengine.config import Config
repo = sys.argv[1]
assert deft_mmseg.__file__.startswith(sys.argv[2]), deft_mmseg.__file__
assert not any(osp.realpath(p or '.') == repo for p in sys.path), sys.path
assert osp.realpath(demo_config.CONFIG_ROOT).startswith(sys.argv[2]), demo_config.CONFIG_ROOT
assert not osp.islink(demo_config.CONFIG_ROOT), 'the wheel holds copies, not links'
cfg = Config.fromfile('my_config.py')
print('segmentor', cfg.model.type)
"""


@pytest.fixture(scope='module')
def installed(tmp_path_factory):
    """The wheel built from this checkout, installed (without dependencies: the environment's
    stack is the user's) into a folder of its own."""
    wheels = tmp_path_factory.mktemp('wheels')
    target = tmp_path_factory.mktemp('site')
    subprocess.run([sys.executable, '-m', 'pip', 'wheel', REPO, '--no-deps',
                    '--no-build-isolation', '-q', '-w', str(wheels)], check=True, cwd=REPO)
    wheel, = glob.glob(str(wheels / 'deft_mmseg-*.whl'))
    subprocess.run([sys.executable, '-m', 'pip', 'install', '--no-deps', '-q', '--target',
                    str(target), wheel], check=True)
    return str(target)


def test_wheel_trains_a_user_config_from_another_directory(installed, demo_root, tmp_path):
    work = tmp_path / 'user_project'
    os.makedirs(work / 'data')
    os.symlink(demo_root, work / 'data' / 'demo')
    (work / 'my_config.py').write_text(USER_CONFIG)
    env = dict(os.environ, PYTHONPATH=installed)
    proc = subprocess.run([sys.executable, '-c', WHERE_FROM, osp.realpath(REPO), installed],
                          cwd=work, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'segmentor DualPathwaySegmentor' in proc.stdout

    train = osp.join(installed, 'deft_mmseg', '.mim', 'tools', 'train.py')
    proc = subprocess.run([sys.executable, train, 'my_config.py', '--demo', '--work-dir', 'run'],
                          cwd=work, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert osp.isfile(work / 'run' / 'iter_6.pth')
    assert (work / 'run' / 'last_checkpoint').read_text().strip().endswith('iter_6.pth')
    assert "final_model='III'" in (work / 'run' / 'my_config.py').read_text()  # the user's key kept
