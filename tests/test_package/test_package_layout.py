"""What the wheel is made of, checked without building it (the build itself is
test_wheel_install.py, slow): every folder of the package is a package setup.py ships, and every
tool answers ``--help`` before it imports the stack."""
import glob
import os
import os.path as osp
import subprocess
import sys
from setuptools import find_packages

import pytest

from repo_paths import REPO

TOOLS = sorted(glob.glob(osp.join(REPO, 'tools', '*.py')))
#: modules of tools/ that are not commands
NOT_COMMANDS = ('tool_arguments.py', )


def test_every_folder_with_python_files_is_a_shipped_package():
    """find_packages (setup.py) only ships folders with an ``__init__.py``: deft_mmseg/apis/
    without one left every tool of the wheel with ``No module named 'deft_mmseg.apis'``."""
    shipped = set(find_packages(REPO, include=['deft_mmseg', 'deft_mmseg.*']))
    root = osp.join(REPO, 'deft_mmseg')
    folders = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(('.', '__'))]  # .mim: data, not code
        if any(f.endswith('.py') for f in files):
            folders.append(osp.relpath(folder, REPO).replace(os.sep, '.'))
    assert 'deft_mmseg.apis' in folders
    assert [f for f in folders if f not in shipped] == []


HELP_WITHOUT_THE_STACK = r"""
import runpy, sys
tool = sys.argv[1]
sys.argv = [tool, '--help']
try:
    runpy.run_path(tool, run_name='__main__')
except SystemExit as exit:
    assert exit.code in (0, None), exit.code
else:
    raise AssertionError('--help did not exit')
stack = [m for m in ('torch', 'mmengine', 'mmseg', 'mmcv', 'deft_mmseg', 'cv2', 'numpy')
         if m in sys.modules]
assert not stack, f'--help imported {stack}'
"""


@pytest.mark.parametrize('tool',
                         [osp.basename(t) for t in TOOLS if osp.basename(t) not in NOT_COMMANDS])
def test_every_tool_answers_help_without_importing_the_stack(tool):
    """``--help`` in about a second: the arguments are parsed before torch, mmengine, mmseg and
    deft_mmseg are imported (tools/tool_arguments.py); it took 7-10 s on 2 cores before."""
    # -c puts the working directory first on sys.path, as running the script puts tools/
    proc = subprocess.run([sys.executable, '-c', HELP_WITHOUT_THE_STACK, tool],
                          capture_output=True,
                          text=True,
                          cwd=osp.join(REPO, 'tools'))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.startswith('usage: ')


def test_cfg_options_are_parsed_by_mmengine_when_given():
    import argparse

    from mmengine.config import DictAction

    from tool_arguments import add_cfg_options
    values = ['model.decode_head.num_classes=19', 'a.b=[1,2]', 'c=(3,4)', 'd=x']
    ours, theirs = argparse.ArgumentParser(), argparse.ArgumentParser()
    add_cfg_options(ours)
    theirs.add_argument('--cfg-options', nargs='+', action=DictAction)
    expected = theirs.parse_args(['--cfg-options', *values]).cfg_options
    assert ours.parse_args(['--cfg-options', *values]).cfg_options == expected
    assert expected['a.b'] == [1, 2] and expected['model.decode_head.num_classes'] == 19
    assert ours.parse_args([]).cfg_options is None


def test_demo_without_a_number_is_the_smoke_run():
    import argparse

    from deft_mmseg.demo import SMOKE_ITERS
    from tool_arguments import add_demo_argument, demo_iters
    train, test = argparse.ArgumentParser(), argparse.ArgumentParser()
    add_demo_argument(train)
    add_demo_argument(test, with_iters=False)
    assert demo_iters(train.parse_args(['--demo']).demo) == SMOKE_ITERS
    assert demo_iters(train.parse_args(['--demo', '300']).demo) == 300
    assert demo_iters(train.parse_args([]).demo) is None
    assert demo_iters(test.parse_args(['--demo']).demo) == SMOKE_ITERS
    assert demo_iters(test.parse_args([]).demo) is None
