"""What ``import deft_mmseg`` does to a user's process: the version check, and the checkpoint loader
that can be turned off (each checked in a fresh interpreter, where the import happens first)."""
import os
import subprocess
import sys

import pytest
import torch
from mmengine.logging import HistoryBuffer

from deft_mmseg.utils.version_check import in_range, unsupported_versions
from deft_mmseg.version import SUPPORTED_VERSIONS

STACK = {
    'mmengine': '0.10.7',
    'mmsegmentation': '1.2.2',
    'mmcv': '2.1.0',
    'mmdet': '3.3.0',
    'mmpretrain': '1.2.0'
}


@pytest.mark.parametrize('version,spec,expected', [
    ('0.10.7', '>=0.10.5,<0.11', True),
    ('0.10.5', '>=0.10.5,<0.11', True),
    ('0.10.4', '>=0.10.5,<0.11', False),
    ('0.11.0', '>=0.10.5,<0.11', False),
    ('2.2.0', '>=2.1.0,<2.2.0', False),
    ('2.1.0', '>=2.1.0,<2.2.0', True),
    ('1.3.0rc1', '>=1.2.0,<1.3', False),
    ('2.1.0+cu121', '>=2.1.0,<2.2.0', True),
])
def test_version_ranges(version, spec, expected):
    assert in_range(version, spec) is expected


def test_the_measured_stack_is_supported_and_neighbours_are_not():
    assert unsupported_versions(STACK) == []
    assert unsupported_versions(dict(STACK, mmengine='0.10.4')) == [
        ('mmengine', '0.10.4', SUPPORTED_VERSIONS['mmengine'])
    ]
    # the optional packages may be missing; the required ones may not
    assert unsupported_versions({k: STACK[k] for k in ('mmengine', 'mmsegmentation', 'mmcv')}) == []
    assert unsupported_versions(dict(mmengine='0.10.7',
                                     mmcv='2.1.0'))[0][:2] == ('mmsegmentation', None)


def fresh_python(code, env=None, cwd=None):
    return subprocess.run([sys.executable, '-c', code],
                          capture_output=True,
                          text=True,
                          env=dict(os.environ, **(env or {})),
                          cwd=cwd)


def fake_distribution(root, name, version):
    """A dist-info of ``name`` at ``version`` that shadows the installed one's metadata."""
    info = root / f'{name}-{version}.dist-info'
    info.mkdir()
    (info / 'METADATA').write_text(f'Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n')


def test_import_refuses_an_unsupported_mmengine(tmp_path):
    fake_distribution(tmp_path, 'mmengine', '0.10.4')
    env = {'PYTHONPATH': os.pathsep.join([str(tmp_path), os.environ.get('PYTHONPATH', '')])}
    proc = fresh_python('import deft_mmseg', env=env)
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith('deft_mmseg.utils.errors.UnsupportedVersionError: mmengine 0.10.4 '
                           'is installed, deft_mmseg supports mmengine>=0.10.5,<0.11'), last
    assert "pip install 'mmengine>=0.10.5,<0.11'" in last

    proc = fresh_python(
        'import deft_mmseg; print("imported")', env=dict(env, DEFT_MMSEG_SKIP_VERSION_CHECK='1'))
    assert proc.returncode == 0 and 'imported' in proc.stdout, proc.stderr[-2000:]
    assert 'mmengine 0.10.4 is installed' in proc.stderr


@pytest.fixture
def mmengine_checkpoint(tmp_path):
    """A checkpoint as mmengine writes it: its message hub holds a HistoryBuffer, which torch's
    default weights-only loading (and so mmengine's own loader under torch >= 2.6) refuses."""
    path = str(tmp_path / 'iter_1.pth')
    loss = HistoryBuffer()
    loss.update(0.5)
    hub = {'loss': loss, 'never_updated': HistoryBuffer()}
    torch.save({'state_dict': {'w': torch.ones(2)}, 'message_hub': hub}, path)
    return path


LOAD = """
import sys, pickle
import deft_mmseg
{before}
from mmengine.runner.checkpoint import CheckpointLoader
try:
    ckpt = CheckpointLoader.load_checkpoint(sys.argv[1] if len(sys.argv) > 1 else {path!r})
    print('loaded', float(ckpt['state_dict']['w'].sum()))
except pickle.UnpicklingError:
    print('refused')
"""


def last_line(proc):
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout.strip().splitlines()[-1]


def test_safe_loader_is_the_default_and_can_be_turned_off(mmengine_checkpoint, monkeypatch):
    """From a fresh shell, ``import deft_mmseg`` makes mmengine's loader load the file; in this
    process: the same loader with ``DEFT_MMSEG_SAFE_LOADER=0`` at import (what the import runs,
    :func:`install_checkpoint_loader_unless_disabled`) and after ``uninstall_checkpoint_loader``
    refuses it, as mmengine's own loader does."""
    import pickle

    from mmengine.runner.checkpoint import CheckpointLoader

    from deft_mmseg.utils import checkpoint_loading as loading
    assert last_line(fresh_python(LOAD.format(before='', path=mmengine_checkpoint))) == \
        'loaded 2.0'

    def loads():
        try:
            CheckpointLoader.load_checkpoint(mmengine_checkpoint)
            return True
        except pickle.UnpicklingError:
            return False

    try:
        assert loads()
        loading.uninstall_checkpoint_loader()
        assert not loads()
        monkeypatch.setenv('DEFT_MMSEG_SAFE_LOADER', '0')
        loading.install_checkpoint_loader_unless_disabled()
        assert not loads()
        monkeypatch.delenv('DEFT_MMSEG_SAFE_LOADER')
        loading.install_checkpoint_loader_unless_disabled()
        assert loads()
    finally:
        loading.install_checkpoint_loader()


class UserRecord:
    """A class a user's codebase allow-listed for weights-only loading (module-level: picklable)."""

    def __init__(self, value=0):
        self.value = value


def test_safe_loader_loads_what_the_user_allowed_torch_to_load(tmp_path):
    """mmengine's own loader (torch's weights-only default) loads a file whose extra globals the
    user allow-listed with torch.serialization.add_safe_globals; so must the plugin's."""
    from deft_mmseg.utils.checkpoint_loading import load_local_checkpoint
    path = str(tmp_path / 'user.pth')
    torch.save({'state_dict': {'w': torch.ones(1)}, 'meta': UserRecord(3)}, path)
    before = torch.serialization.get_safe_globals()
    torch.serialization.add_safe_globals([UserRecord])
    try:
        assert torch.load(path).get('meta').value == 3  # what mmengine's loader does
        assert load_local_checkpoint(path)['meta'].value == 3
    finally:
        torch.serialization.clear_safe_globals()
        torch.serialization.add_safe_globals(before)


def test_deft_mmseg_scope_from_this_checkout(tmp_path):
    """``deft_mmseg::`` from a directory outside the repository with the editable install (where
    pkg_resources places the distribution in site-packages, which holds no package folder), and
    the base's dicts (``_scope_='deft_mmseg'``, the model's too: its network base is this
    package's ``_base_/models/deeplabv3plus_r50-d16_robustnet.py``) build the same model as the
    file itself."""
    from mmengine.config import Config
    from mmseg.registry import MODELS

    from deft_mmseg.demo import make_demo_config
    from e2e_helpers import DEFT, demo_config
    (tmp_path / 'mine.py').write_text(
        "_base_ = ['deft_mmseg::deft/deft_deeplabv3plus_r50-d16_1xb4-48k_gtav-768x768.py']\n")
    mine = Config.fromfile(str(tmp_path / 'mine.py'))
    assert mine.train_cfg.get('_scope_') == mine.custom_hooks[0].get('_scope_') == 'deft_mmseg'
    assert mine.model.get('_scope_') == 'deft_mmseg'
    torch.manual_seed(0)
    a = MODELS.build(make_demo_config(mine).model)
    torch.manual_seed(0)
    b = MODELS.build(demo_config(DEFT).model)
    assert type(a) is type(b)
    sa, sb = a.state_dict(), b.state_dict()
    assert list(sa) == list(sb) and all(torch.equal(sa[k], sb[k]) for k in sa)
