"""deft_mmseg used the way a user of an existing mmseg codebase uses it: the wheel built by the
README's command, installed into a virtual environment of its own that has the OpenMMLab stack
but not the repository (the development environment's editable install left out), and driven
from a user's project folder: the wheel's bundled tools, and mmseg's own tools/train.py and
tools/test.py from the installed mmseg, on a user config that inherits ``deft_mmseg::...`` and
on one that only names the plugin in ``custom_imports``.

Slow (a wheel build and five short demo trainings / tests): ``make test-slow``.
"""
import glob
import os
import os.path as osp
import shutil
import subprocess
import sys
import sysconfig

import pytest

from repo_paths import REPO

pytestmark = pytest.mark.slow

DEFT_BASE = 'deft_mmseg::deft/deft_deeplabv3plus_r50-d16_1xb4-48k_gtav-768x768.py'
#: what the development environment has that the user's must not: the editable install
EDITABLE = ('deft_mmseg', '__editable__', '__pycache__')

WHERE_FROM = r"""
import os.path as osp, sys
import deft_mmseg
from deft_mmseg.utils.package_configs import config_root, tools_root
site, repo = sys.argv[1], sys.argv[2]
assert osp.realpath(deft_mmseg.__file__).startswith(site + osp.sep), deft_mmseg.__file__
assert not osp.realpath(deft_mmseg.__file__).startswith(repo + osp.sep)
assert not any(osp.realpath(p or '.').startswith(repo) for p in sys.path), sys.path
for folder in (config_root(), tools_root()):
    assert osp.realpath(folder).startswith(site) and not osp.islink(folder), folder
import deft_mmseg.apis, deft_mmseg.apis.tool_config  # the package the wheel once lacked
print('deft_mmseg from', osp.dirname(deft_mmseg.__file__))
"""

#: a user config that inherits ours and makes it small: the demo's tiny network and data in the
#: user's own words (the differences from the base, as a user would override them)
MAKE_USER_CONFIGS = r"""
import sys
import deft_mmseg
from deft_mmseg.demo import demo_run_config
from mmengine.config import Config

def plain(value):  # what a user writes: no `_scope_` marks mmengine adds to inherited dicts
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items() if k != '_scope_'}
    if isinstance(value, (list, tuple)):
        return type(value)(plain(v) for v in value)
    return value

def override(new, old):
    new, old = plain(new), plain(old)
    if not (isinstance(new, dict) and isinstance(old, dict)):
        return new
    if set(old) - set(new) or new.get('type') != old.get('type'):
        return dict(new, _delete_=True)
    return {k: override(v, old.get(k)) for k, v in new.items() if v != old.get(k)}

base = sys.argv[1]
with open('inherit_probe.py', 'w') as f:
    f.write(f"_base_ = ['{base}']\n")
full = Config.fromfile('inherit_probe.py')
demo = demo_run_config(full, 6)
small = {k: override(demo[k], full.get(k)) for k in demo.keys()
         if not k.startswith('_') and plain(demo[k]) != plain(full.get(k))}
with open('inherits_ours.py', 'w') as f:
    f.write(f"_base_ = ['{base}']\n" + Config(small).pretty_text)
# the same run written out in full, bringing the plugin in by custom_imports alone
flat = {k: plain(v) for k, v in demo.items() if not k.startswith('_')}
assert flat['custom_imports']['imports'] == ['deft_mmseg']
with open('custom_imports_only.py', 'w') as f:
    f.write(Config(flat).pretty_text)
"""


def user_env():
    """The user's shell: nothing of the test run's import path."""
    env = {k: v for k, v in os.environ.items() if k not in ('PYTHONPATH', 'PYTHONHOME')}
    env.setdefault('OMP_NUM_THREADS', '2')
    return env


@pytest.fixture(scope='module')
def user_venv(tmp_path_factory):
    """``(python, site-packages)`` of a fresh virtual environment with the stack of the
    development environment (linked, not copied) and the wheel built from this checkout
    installed by pip; deft_mmseg's editable install is not in it."""
    root = tmp_path_factory.mktemp('wheel')
    # the checkout as a user has it (a copy: the build writes build/ and *.egg-info beside it)
    src = root / 'deft_mmseg_checkout'
    shutil.copytree(
        REPO,
        src,
        symlinks=True,
        ignore=lambda folder, names: [
            n for n in names if (n.startswith('.') and n not in ('.mim', '.gitignore')) or n in
            ('build', 'dist', 'work_dirs', 'data', '__pycache__') or n.endswith('.egg-info')
        ])
    dist = root / 'dist'
    subprocess.run([sys.executable, '-m', 'pip', 'wheel', '--no-deps', '-q', '-w',
                    str(dist), '.'],
                   cwd=src,
                   check=True,
                   env=user_env())  # the README's command
    wheel, = glob.glob(str(dist / 'deft_mmseg-*.whl'))

    venv = root / 'venv'
    subprocess.run([sys.executable, '-m', 'venv', '--without-pip', str(venv)], check=True)
    python = str(venv / 'bin' / 'python')
    site = subprocess.run(
        [python, '-c', 'import sysconfig; '
         'print(sysconfig.get_paths()["purelib"])'],
        check=True,
        capture_output=True,
        text=True).stdout.strip()
    dev_site = sysconfig.get_paths()['purelib']
    for entry in os.listdir(dev_site):
        if not entry.startswith(EDITABLE):
            os.symlink(osp.join(dev_site, entry), osp.join(site, entry))
    subprocess.run([python, '-m', 'pip', 'install', '--no-deps', '-q', wheel],
                   check=True,
                   env=user_env())
    return python, osp.realpath(site)


@pytest.fixture(scope='module')
def project(user_venv, demo_root, tmp_path_factory):
    """A user's project folder (not the repository): data/demo and the two user configs."""
    python, _ = user_venv
    work = tmp_path_factory.mktemp('user_project')
    os.makedirs(work / 'data')
    os.symlink(demo_root, work / 'data' / 'demo')
    run_ok(python, '-c', MAKE_USER_CONFIGS, DEFT_BASE, cwd=work)
    return work


def run(python, *args, cwd):
    return subprocess.run([python, *args], cwd=cwd, env=user_env(), capture_output=True, text=True)


def run_ok(python, *args, cwd):
    proc = run(python, *args, cwd=cwd)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'Traceback' not in proc.stderr
    return proc


def test_the_package_comes_from_the_wheel_not_the_repository(user_venv, tmp_path):
    python, site = user_venv
    proc = run_ok(python, '-c', WHERE_FROM, site, osp.realpath(REPO), cwd=tmp_path)
    assert f'deft_mmseg from {osp.join(site, "deft_mmseg")}' in proc.stdout


def test_every_bundled_tool_answers_help(user_venv, tmp_path):
    python, site = user_venv
    tools = sorted(
        glob.glob(osp.join(site, 'deft_mmseg', '.mim', 'tools', '**', '*.py'), recursive=True))
    commands = [t for t in tools if osp.basename(t) != 'tool_arguments.py']
    assert any(t.endswith(osp.join('tools', 'train.py')) for t in commands)
    for tool in commands:
        proc = run(python, tool, '--help', cwd=tmp_path)
        assert proc.returncode == 0, (tool, proc.stderr[-2000:])
        assert proc.stdout.startswith('usage: '), tool


def test_bundled_tools_train_and_test_a_config_inheriting_ours(user_venv, project):
    python, site = user_venv
    tools = osp.join(site, 'deft_mmseg', '.mim', 'tools')
    (project / 'full_size.py').write_text(f"_base_ = ['{DEFT_BASE}']\n"
                                          "model = dict(final_model='III')\n")
    run_ok(
        python,
        osp.join(tools, 'train.py'),
        'full_size.py',
        '--demo',
        '--work-dir',
        'bundled',
        cwd=project)
    work = project / 'bundled'
    assert (work / 'last_checkpoint').read_text().strip().endswith('iter_6.pth')
    assert "final_model='III'" in (work / 'full_size.py').read_text()  # the user's key kept
    dumped = (work / 'full_size.py').read_text()
    run_ok(
        python,
        osp.join(tools, 'test.py'),
        'full_size.py',
        str(work / 'iter_6.pth'),
        '--demo',
        '--work-dir',
        str(work),
        cwd=project)
    assert (work / 'full_size.py').read_text() == dumped  # the training run's config kept
    assert glob.glob(str(work / '*' / 'test_results.json'))


def mmseg_tool(site, name):
    return osp.join(site, 'mmseg', '.mim', 'tools', name)


def test_mmseg_tools_run_a_config_inheriting_ours(user_venv, project):
    """mmengine reads ``_base_`` before ``custom_imports``, so a ``deft_mmseg::`` base needs
    ``import deft_mmseg`` before ``Config.fromfile``: the one line a user adds at the top of the
    train.py / test.py of their codebase (here mmseg's own, copied)."""
    python, site = user_venv
    for name in ('train.py', 'test.py'):
        with open(mmseg_tool(site, name)) as f:
            (project / f'mmseg_{name}').write_text('import deft_mmseg  # noqa: F401\n' + f.read())
    run_ok(
        python, 'mmseg_train.py', 'inherits_ours.py', '--work-dir', 'mmseg_inherits', cwd=project)
    work = project / 'mmseg_inherits'
    dumped = (work / 'inherits_ours.py').read_text()
    # the base's dicts carry the deft_mmseg scope: its registries found mmseg's visualizer
    assert "_scope_='deft_mmseg'" in dumped and "type='SegLocalVisualizer'" in dumped
    proc = run_ok(
        python,
        'mmseg_test.py',
        'inherits_ours.py',
        str(work / 'iter_6.pth'),
        '--work-dir',
        'mmseg_inherits_test',
        cwd=project)
    assert 'Multi-domain test results' in proc.stdout + proc.stderr
    assert glob.glob(str(project / 'mmseg_inherits_test' / '*' / 'test_results.json'))


def test_mmseg_tools_run_a_config_with_custom_imports_only(user_venv, project):
    python, site = user_venv
    text = (project / 'custom_imports_only.py').read_text()
    assert 'deft_mmseg::' not in text and '_scope_' not in text and '_base_' not in text
    run_ok(
        python,
        mmseg_tool(site, 'train.py'),
        'custom_imports_only.py',
        '--work-dir',
        'mmseg_plain',
        cwd=project)
    ckpt = project / 'mmseg_plain' / 'iter_6.pth'
    proc = run_ok(
        python,
        mmseg_tool(site, 'test.py'),
        'custom_imports_only.py',
        str(ckpt),
        '--work-dir',
        'mmseg_plain_test',
        cwd=project)
    assert 'Multi-domain test results' in proc.stdout + proc.stderr
