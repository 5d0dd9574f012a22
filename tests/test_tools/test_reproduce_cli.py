"""tools/reproduce.py from a shell, as a user runs it.

Default run: ``--list`` (in this process) and the command-line contract from a fresh shell (a
mistyped table name: one ``error:`` line, exit status 2). Under ``slow``: a whole table on the demo data from another directory than the
repository root, stopped in its training and run again (it resumes), then run a third time
(everything is reused)."""
import json
import os
import os.path as osp
import signal
import subprocess
import sys
import time

import pytest

from e2e_helpers import one_error_line, run_tool, run_tool_in_process
from repo_paths import REPO

TOOL = osp.join(REPO, 'tools', 'reproduce.py')


def test_list_in_process_and_a_mistyped_table_from_a_fresh_shell(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run_tool_in_process('reproduce.py', '--list') == 0
    listing = capsys.readouterr()
    names = [line.split()[0] for line in listing.out.splitlines() if not line[0].isspace()]
    assert names[:9] == [f'deft/table{i}' for i in range(1, 10)]
    assert {'rein/table2', 'rein/table3', 'fishertune/table1', 'vltseg/gtav',
            'vltseg/acdc'} <= set(names)
    assert 'rows: I, II, III, IV' in listing.out
    line = one_error_line(run_tool('reproduce.py', 'deft/table10', cwd=str(tmp_path)))
    assert "unknown paper table 'deft/table10'" in line and 'deft/table1?' in line
    assert not osp.exists(tmp_path / 'work_dirs')


@pytest.mark.slow
def test_a_demo_table_end_to_end_from_another_directory_stopped_and_resumed(tmp_path, demo_root):
    """deft/table7 on the demo data (one training, four tests of its checkpoint), 60
    iterations (a checkpoint every 20: the stop lands in the training), from a folder that holds
    only data/demo."""
    os.makedirs(tmp_path / 'data')
    os.symlink(demo_root, tmp_path / 'data' / 'demo')
    root = tmp_path / 'work_dirs' / 'reproduce_demo'
    cmd = [sys.executable, TOOL, 'deft/table7', '--demo', '60', '--progress-interval', '0']

    # 1. stopped (SIGTERM, as a scheduler's time limit sends it) once a checkpoint is saved
    proc = subprocess.Popen(
        cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 600
    while not list(root.glob('*/train/iter_20.pth')) and time.time() < deadline:
        assert proc.poll() is None, proc.stdout.read()[-3000:]
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 130, out[-3000:]
    assert 'Traceback' not in out.split('stopped in train')[-1]
    assert 'stopped in train' in out and 'Run the same command again' in out
    report = json.loads((root / 'deft_table7.json').read_text())
    assert report['finished_rows'] == 0
    assert report['rows'][0]['status'].startswith('training (')

    # 2. run again: the training continues from its checkpoint, the four tests run
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert 'row 1/4 I: train (resumed)' in proc.stdout
    assert 'train 60/60 it (100.0%)' in proc.stdout
    report = json.loads((root / 'deft_table7.json').read_text())
    assert report['finished_rows'] == 4 and report['demo']['iters'] == 60
    for row in report['rows']:
        ours = [c['ours'] for c in row['cells']]
        assert all(0.0 <= v <= 100.0 for v in ours), row
        assert all(c['diff'] is None for c in row['cells'])  # demo numbers are not compared
        assert row['cells'][0]['demo_domain'] == 'demo_real'
    run_dir = report['rows'][0]['work_dir']
    assert {r['work_dir'] for r in report['rows']} == {run_dir}  # one training
    assert sorted(os.listdir(run_dir)) == [
        'logs', 'reproduce.json', 'test', 'test_model.final_model-I', 'test_model.final_model-II',
        'test_model.final_model-III', 'train'
    ]
    text = (root / 'deft_table7.md').read_text()
    assert '**DEMO' in text and '| I: e1 (UC) + d2 (UC) |' in text
    assert 'tools/test.py' in text and 'model.final_model=III' in text

    # 3. a third run reuses every row
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and proc.stdout.count('finished earlier') == 4
