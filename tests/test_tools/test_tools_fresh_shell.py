"""The tools as the README shows them, each in a fresh process, from the repository root and from
another directory (an in-process call hid a crash of tools/export_final_model.py: the registry
scope was only set because an earlier call in the same process had set it)."""
import glob
import os
import os.path as osp

import pytest

from e2e_helpers import DEFT, DEFT_DEMO, assert_export_matches
from e2e_helpers import run_tool_ok as tool
from repo_paths import REPO


@pytest.mark.parametrize(
    'where',
    [
        # the default suite runs the export from a shell in another directory than the
        # repository through test_infer_tool's export-then-infer test
        pytest.param('repository root', marks=pytest.mark.slow),
        pytest.param('another directory', marks=pytest.mark.slow)
    ])
def test_export_from_a_fresh_shell(short_deft_run, tmp_path, where):
    ckpt = str(short_deft_run / 'run' / 'iter_3.pth')
    out = str(tmp_path / 'out')
    cwd = REPO if where == 'repository root' else str(tmp_path)
    proc = tool('export_final_model.py', *DEFT_DEMO, ckpt, out, cwd=cwd)
    assert 'exported' in proc.stdout
    os.symlink(short_deft_run / 'data', tmp_path / 'data')
    # the paper network's head (DeepLabV3PlusHead) is the plugin's: the export brings it in
    assert_export_matches(DEFT, ckpt, out, str(tmp_path), 'DualPathwaySegmentor', plugin=True)


@pytest.mark.slow
def test_plot_curves_and_make_demo_data_from_a_fresh_shell(short_deft_run, tmp_path):
    tool(
        'plot_curves.py',
        str(short_deft_run / 'run'),
        '--out',
        str(tmp_path / 'plots'),
        cwd=str(tmp_path))
    assert glob.glob(str(tmp_path / 'plots' / '*.png'))
    tool(
        'make_demo_data.py',
        str(tmp_path / 'demo'),
        '--num-source',
        '2',
        '--num-target',
        '1',
        cwd=REPO)
    assert osp.isdir(tmp_path / 'demo' / 'gtav' / 'images')
