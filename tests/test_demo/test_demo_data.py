"""``--demo`` finds the demo data from any working directory: ``$DEFT_MMSEG_DEMO_DATA``, else
``data/demo`` under the working directory, else ``data/demo`` of the repository; without any, a
tool that reads the data stops with one line saying how to make it."""
import os
import os.path as osp

import pytest

from e2e_helpers import DEFT, error_line_in_process

DOMAINS = ('gtav', 'demo_real', 'demo_fog', 'demo_night')


@pytest.fixture
def elsewhere(tmp_path, monkeypatch):
    """A working directory without data/demo, no $DEFT_MMSEG_DEMO_DATA, and a repository
    location (``demo_data._REPO``) without data/demo: nothing to find."""
    from deft_mmseg.demo import demo_data
    monkeypatch.delenv(demo_data.DEMO_DATA_ENV, raising=False)
    monkeypatch.setattr(demo_data, '_REPO', str(tmp_path / 'repo'))
    os.makedirs(tmp_path / 'cwd')
    monkeypatch.chdir(tmp_path / 'cwd')
    return tmp_path


def _roots(cfg):
    roots = [cfg.train_dataloader.dataset.data_root]
    for loader in (cfg.val_dataloader, cfg.test_dataloader):
        roots += [ds.data_root for ds in loader.datasets.values()]
    return roots


def _expected(root):
    return [osp.join(root, d) for d in DOMAINS] + [osp.join(root, d) for d in DOMAINS[1:]]


def test_no_demo_data_is_one_line_naming_how_to_make_it(elsewhere, capsys):
    line = error_line_in_process(capsys, 'train.py', DEFT, '--demo')
    assert 'tools/make_demo_data.py data/demo' in line and 'DEFT_MMSEG_DEMO_DATA=DIR' in line
    assert osp.join('data', 'demo') in line and str(elsewhere / 'repo') in line
    line = error_line_in_process(capsys, 'test.py', DEFT, 'none.pth', '--demo', '300')
    assert 'tools/make_demo_data.py' in line


def test_the_data_is_found_from_any_directory(elsewhere, demo_root, monkeypatch):
    from deft_mmseg.apis.tool_config import load_config
    from deft_mmseg.demo import DEMO_DATA_ENV, SMOKE_ITERS

    # the repository's data/demo, from another working directory: every domain, absolute
    os.makedirs(elsewhere / 'repo' / 'data')
    os.symlink(demo_root, elsewhere / 'repo' / 'data' / 'demo')
    repo_demo = str(elsewhere / 'repo' / 'data' / 'demo')
    assert _roots(load_config(DEFT, SMOKE_ITERS)) == _expected(repo_demo)
    # data/demo under the working directory comes first, written as the configs write it
    os.makedirs('data')
    os.symlink(demo_root, osp.join('data', 'demo'))
    assert _roots(load_config(DEFT, 300)) == _expected(osp.join('data', 'demo'))
    # $DEFT_MMSEG_DEMO_DATA wins, and is the only place looked at when set
    monkeypatch.setenv(DEMO_DATA_ENV, demo_root)
    assert _roots(load_config(DEFT, 300)) == _expected(demo_root)
    monkeypatch.setenv(DEMO_DATA_ENV, str(elsewhere / 'nowhere'))
    with pytest.raises(Exception, match='no demo data in .*nowhere'):
        load_config(DEFT, 300)


def test_tools_that_only_build_the_model_need_no_demo_data(elsewhere):
    from deft_mmseg.apis.tool_config import load_config
    cfg = load_config(DEFT, 300, demo_data=False)
    assert cfg.model.type == 'DualPathwaySegmentor'


def test_model_only_tools_take_demo_iters_and_positionals_after_demo():
    """``test.py CONFIG CKPT --demo 300`` (train.py's value) and ``test.py CONFIG --demo CKPT``
    (the flag before the positionals, as the README writes it) both parse."""
    import test as test_tool

    from tool_arguments import SMOKE
    args = test_tool.parse_args([DEFT, 'ckpt.pth', '--demo', '300'])
    assert (args.checkpoint, args.demo) == ('ckpt.pth', 300)
    args = test_tool.parse_args([DEFT, '--demo', 'ckpt.pth', '--work-dir', 'wd'])
    assert (args.checkpoint, args.demo, args.work_dir) == ('ckpt.pth', SMOKE, 'wd')
    assert test_tool.parse_args([DEFT, 'ckpt.pth']).demo is None
    with pytest.raises(SystemExit):  # ITERS < 2 stays refused
        test_tool.parse_args([DEFT, 'ckpt.pth', '--demo', '1'])
