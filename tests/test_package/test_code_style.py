"""The repository's code is formatted with its own settings (setup.cfg: yapf, isort).

`make format` applies them. This test runs the same two tools in check mode over every Python file
of the repository, so a file committed unformatted fails here with the command that fixes it.
"""
import subprocess
import sys

import pytest

from repo_paths import REPO

FORMATTED_DIRS = ('deft_mmseg', 'tools', 'tests', 'benchmarks', 'configs', 'setup.py')


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, '-m', *args], cwd=REPO, capture_output=True, text=True)


@pytest.mark.parametrize('tool', ['isort', 'yapf'])
def test_code_is_formatted_with_the_repository_settings(tool):
    pytest.importorskip(tool)
    if tool == 'isort':
        result = _run('isort', '--check-only', '--diff', *FORMATTED_DIRS)
    else:
        result = _run('yapf', '--diff', '--recursive', '--parallel', *FORMATTED_DIRS)
    assert result.returncode == 0, (
        f'{tool} would change these files; run `make format`:\n{result.stdout[-4000:]}'
        f'{result.stderr[-2000:]}')
