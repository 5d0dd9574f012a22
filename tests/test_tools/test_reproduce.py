"""tools/reproduce.py's logic in-process: the table registry, shared trainings, config hashes,
the command of each launcher, resume decisions, the report, progress lines, and a whole table
run against stand-in tools (small scripts that behave as tools/train.py and tools/test.py do on
disk), stopped and run again. The real tools run in test_reproduce_cli.py."""
import json
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

from deft_mmseg.reproduce import RunOptions, get_table, plan_rows, reproduce_table, runs
from deft_mmseg.reproduce.execute import describe_plan
from deft_mmseg.reproduce.progress import StageProgress
from deft_mmseg.reproduce.report import format_markdown, table_report
from deft_mmseg.utils.errors import ReproduceError
from repo_paths import REPO

DEFT = 'deft/deft_deeplabv3plus_r50-d16_1xb4-48k_gtav-768x768.py'
#: the DeFT recipe: 8K warm-up + 40K decoupled iterations (DeFT paper, Sec. 4.1)
DEFT_LAST = 'iter_48000.pth'


def plans_of(name, root, rows=None, **kw):
    table = get_table(name)
    return plan_rows(table, table.select_rows(rows), RunOptions(work_root=str(root), **kw))


def save_checkpoint(path, iteration):
    os.makedirs(osp.dirname(path), exist_ok=True)
    torch.save({'meta': {'iter': iteration}, 'state_dict': {}}, path)


def test_an_unknown_table_or_row_is_a_user_error_naming_the_choices():
    with pytest.raises(ReproduceError, match=r"unknown paper table 'deft/table10'.*deft/table1"):
        get_table('deft/table10')
    with pytest.raises(ReproduceError, match=r"deft/table7 has no row 'V'.*I, II, III, IV"):
        get_table('deft/table7').select_rows(['V'])


def test_rows_of_one_config_share_one_training_and_table7_tests_one_checkpoint_four_ways(tmp_path):
    t1 = plans_of('deft/table1', tmp_path, ['deft'])[0]
    t4 = plans_of('deft/table4', tmp_path, ['deft-r50'])[0]
    t7 = plans_of('deft/table7', tmp_path)
    assert {p.run_dir for p in t7} == {t1.run_dir} == {t4.run_dir}
    assert len({p.test_dir for p in t7}) == 4
    assert t7[3].test_dir == t1.test_dir  # IV is the config's own final model
    for plan, final in zip(t7, ['I', 'II', 'III', None]):
        argv = plan.test_argv()
        assert argv[3] == osp.join(plan.run_dir, 'train', DEFT_LAST)
        options = argv[argv.index('--cfg-options') + 1:] if '--cfg-options' in argv else []
        assert options == ([f'model.final_model={final}'] if final else [])
        assert '--cfg-options' not in plan.train_argv()  # the training is the config's own


def test_the_config_hash_follows_what_is_trained(tmp_path):
    plain = plans_of('deft/table1', tmp_path, ['deft'])[0]
    runs._CONFIG_CACHE.clear()
    again = plans_of('deft/table1', tmp_path, ['deft'])[0]
    assert again.loaded.hash == plain.loaded.hash  # stable across loads
    opts = plans_of(
        'deft/table1', tmp_path, ['deft'], cfg_options=('train_dataloader.batch_size=2', ))[0]
    demo = plans_of('deft/table1', tmp_path, ['deft'], demo_iters=12)[0]
    demo2 = plans_of('deft/table1', tmp_path, ['deft'], demo_iters=24)[0]
    assert len({plain.run_dir, opts.run_dir, demo.run_dir, demo2.run_dir}) == 4
    assert demo.loaded.total_iters == 12 and plain.loaded.total_iters == 48000
    # an older run of the same config is kept and named, never continued
    os.makedirs(osp.join(tmp_path, osp.basename(plain.run_dir)[:-10] + '0123456789', 'train'))
    again = plans_of('deft/table1', tmp_path, ['deft'])[0]
    assert again.status() == 'not started'
    assert any('holds a run of another version' in line
               for line in describe_plan(again.table, [again]))


def test_each_launcher_gets_the_command_its_script_takes(tmp_path):
    plain = plans_of('deft/table1', tmp_path, ['deft'])[0]
    argv = plain.train_argv()
    assert argv[:2] == [sys.executable, osp.join(REPO, 'tools', 'train.py')]
    assert argv[2] == osp.join(REPO, 'configs', DEFT)
    assert argv[3:5] == ['--work-dir', plain.train_dir] and '--resume' not in argv

    dist = plans_of('deft/table1', tmp_path, ['deft'], gpus=4)[0]
    assert dist.train_argv()[:4] == ['bash', osp.join(REPO, 'tools', 'dist_train.sh'), argv[2], '4']
    test = dist.test_argv()
    assert test[:5] == [
        'bash',
        osp.join(REPO, 'tools', 'dist_test.sh'), argv[2],
        osp.join(dist.train_dir, DEFT_LAST), '4'
    ]

    slurm = plans_of('deft/table1', tmp_path, ['deft'], launcher='slurm', partition='gpu')[0]
    assert slurm.train_argv()[:5] == [
        'bash', osp.join(REPO, 'tools', 'slurm_train.sh'), 'gpu', 'deft-train', argv[2]
    ]
    assert slurm.launcher_env()['GPUS'] == '1'  # 1xb4: the recipe's one GPU
    vlt = plans_of('vltseg/gtav', tmp_path, ['eva-clip-l'], launcher='slurm', partition='gpu')[0]
    assert vlt.launcher_env()['GPUS'] == '8'  # 8xb2
    note = plans_of('vltseg/gtav', tmp_path, ['eva-clip-l'])[0].recipe_note()
    assert 'batch 16' in note and '--gpus 8' in note


@pytest.mark.parametrize('script,args',
                         [('slurm_train.sh', ['CONFIG.py', '--work-dir', 'W']),
                          ('slurm_test.sh', ['CONFIG.py', 'CKPT.pth', '--work-dir', 'W'])])
def test_slurm_scripts_pass_the_arguments_to_the_tool(tmp_path, script, args):
    """The scripts as slurm runs them, with an ``srun`` that prints what it was given."""
    srun = tmp_path / 'srun'
    srun.write_text('#!/usr/bin/env bash\necho "$@"\n')
    srun.chmod(0o755)
    env = dict(os.environ, PATH=f'{tmp_path}:{os.environ["PATH"]}', GPUS='2', PYTHON='py')
    out = subprocess.run(['bash', osp.join(REPO, 'tools', script), 'part', 'job', *args],
                         env=env,
                         capture_output=True,
                         text=True,
                         check=True).stdout.split()
    tool = osp.join(REPO, 'tools', 'train.py' if 'train' in script else 'test.py')
    assert out[:6] == [
        '-p', 'part', '--job-name=job', '--gres=gpu:2', '--ntasks=2', '--ntasks-per-node=2'
    ]
    assert out[out.index('py'):] == [
        'py', '-u', tool, *args[:-2], '--launcher', 'slurm', *args[-2:]
    ]


def test_resume_decisions_follow_the_checkpoints_on_disk(tmp_path):
    plan = plans_of('deft/table1', tmp_path, ['deft'])[0]
    assert plan.status() == 'not started' and '--resume' not in plan.train_argv()
    save_checkpoint(osp.join(plan.train_dir, 'iter_8000.pth'), 8000)
    assert plan.status() == 'training' and plan.iterations_done() == 8000
    assert '--resume' in plan.train_argv() and not plan.stages()[0].done
    with open(osp.join(plan.train_dir, DEFT_LAST), 'wb') as f:
        f.write(b'PK\x03\x04 cut short by a kill')
    assert plan.status() == 'training'  # a last checkpoint that does not load is not the end
    save_checkpoint(osp.join(plan.train_dir, DEFT_LAST), 8000)
    assert plan.status() == 'training'  # nor one of another iteration under its name
    save_checkpoint(osp.join(plan.train_dir, DEFT_LAST), 48000)
    assert plan.status() == 'trained' and plan.stages()[0].done
    os.makedirs(osp.join(plan.test_dir, '20260101_000000'))  # a test that did not finish
    assert plan.status() == 'trained'
    with open(osp.join(plan.test_dir, '20260101_000000', 'test_results.json'), 'w') as f:
        json.dump({'cityscapes': {'mIoU': 50.0}}, f)
    assert plan.status() == 'done' and all(s.done for s in plan.stages())


def write_results(plan, values):
    """``test_results.json`` where tools/test.py writes it: ``WORK_DIR/<timestamp>/``."""
    os.makedirs(osp.join(plan.test_dir, '20260101_000000'), exist_ok=True)
    with open(osp.join(plan.test_dir, '20260101_000000', 'test_results.json'), 'w') as f:
        json.dump({d: {'mIoU': v, 'mAcc': 0.0, 'aAcc': 0.0} for d, v in values.items()}, f)


def test_the_report_puts_ours_beside_the_paper_and_marks_unfinished_rows(tmp_path):
    table = get_table('deft/table1')
    plans = plans_of('deft/table1', tmp_path)
    write_results(plans[2], {'cityscapes': 51.06, 'bdd100k': 42.17, 'mapillary': 50.51})
    save_checkpoint(osp.join(plans[0].train_dir, 'iter_4000.pth'), 4000)
    report = table_report(table, plans)
    deft = report['rows'][2]
    assert [c['ours'] for c in deft['cells']] == [51.06, 42.17, 50.51, 47.91]
    assert [c['diff'] for c in deft['cells']] == [1.0, -1.0, 0.0, 0.0]
    assert deft['cells'][0]['source'] == dict(
        paper=table.paper_title,
        file=table.paper_file,
        table='Table 1',
        row='DeFT',
        column='Cityscapes')
    assert report['rows'][0]['status'] == 'training (4000/48000 it)'
    assert report['rows'][1]['status'] == 'not started'
    assert all(c['ours'] is None for c in report['rows'][0]['cells'])
    assert report['finished_rows'] == 1 and report['total_rows'] == 3
    text = format_markdown(report)
    assert '| DeFT | 51.06 / 50.06 (+1.00) | 42.17 / 43.17 (-1.00) |' in text
    assert '| Freezing Encoder | — / 41.88 | — / 36.85 |' in text
    assert f'config hash {plans[2].loaded.hash}' in text
    assert 'tools/train.py' in text and '--resume' not in text  # the commands from scratch


def test_a_demo_report_takes_each_column_from_the_demo_domain_of_its_position(tmp_path):
    plan = plans_of('rein/table3', tmp_path, demo_iters=6)[0]
    assert plan.loaded.domains == [
        'acdc', 'acdc_fog', 'acdc_night', 'acdc_rain', 'acdc_snow', 'bdd100k'
    ]
    write_results(plan, {'demo_real': 10.0, 'demo_fog': 20.0, 'demo_night': 30.0})
    report = table_report(plan.table, [plan])
    cells = {c['column']: (c['demo_domain'], c['ours']) for c in report['rows'][0]['cells']}
    assert cells == {
        'Night': ('demo_night', 30.0),
        'Snow': (None, None),
        'Fog': ('demo_fog', 20.0),
        'Rain': (None, None),
        'All': ('demo_real', 10.0)
    }
    text = format_markdown(report)
    assert 'DEMO' in text and 'ACDC test' in text


def test_progress_prints_few_lines_with_rate_and_time_left():
    now = [0.0]
    lines = []
    progress = StageProgress(
        '[t] row 1/1 r: train', lines.append, interval_s=30, clock=lambda: now[0])
    progress.feed('some other output')
    for it in range(50, 6001, 50):  # a log line every 50 iterations, 10 it/s
        now[0] += 5.0
        progress.feed(f'12/04 10:00:00 - mmengine - INFO - Iter(train) [{it:>5}/48000]  '
                      f'lr: 1.0e-02  eta: 1:00:00  time: 0.1')
    # 600 s at one line per 30 s (iterations 50, 350, ..., 5750), not one per log line
    assert len(lines) == 20
    assert lines[-1] == '[t] row 1/1 r: train 5750/48000 it (12.0%), 10.00 it/s, 1:10:25 left'


def test_every_table_plans_with_its_domains(tmp_path):
    """Each config of each table tests the target domains its table's columns name."""
    from deft_mmseg.reproduce import load_paper_tables
    for name, table in load_paper_tables().items():
        assert len(plan_rows(table, list(table.rows), RunOptions(str(tmp_path)))) == \
            len(table.rows)


# --- a whole table against stand-in tools -----------------------------------------------------
FAKE_TRAIN = r'''
import json, os, sys, torch
args = sys.argv[1:]
work = args[args.index('--work-dir') + 1]
with open(os.environ['FAKE_CALLS'], 'a') as f:
    f.write(json.dumps(['train'] + args) + '\n')
if os.environ.get('FAKE_ERROR'):
    print('error: DatasetConfigError: no images under data/gtav/images', file=sys.stderr)
    sys.exit(2)
total, stop = int(os.environ['FAKE_TOTAL']), int(os.environ.get('FAKE_STOP_AT', 0))
os.makedirs(work, exist_ok=True)
done = [int(f[5:-4]) for f in os.listdir(work) if f.startswith('iter_')]
start = max(done) if done and '--resume' in args else 0
print(f'started at {start}', flush=True)
for it in range(start + 1, total + 1):
    if it % 1000 == 0:
        print(f'Iter(train) [{it}/{total}]  lr: 1e-2', flush=True)
    if it % 8000 == 0 or it == total:
        torch.save({'meta': {'iter': it}}, os.path.join(work, f'iter_{it}.pth'))
    if it == stop:
        sys.exit(1)
'''
FAKE_TEST = r'''
import json, os, sys
args = sys.argv[1:]
work = args[args.index('--work-dir') + 1]
assert os.path.isfile(args[1]), args[1]
with open(os.environ['FAKE_CALLS'], 'a') as f:
    f.write(json.dumps(['test'] + args) + '\n')
final = next((a.split('=')[1] for a in args if a.startswith('model.final_model=')), 'IV')
base = {'I': 40.0, 'II': 43.0, 'III': 47.0, 'IV': 50.0}[final]
run = os.path.join(work, '20260101_000000')  # tools/test.py: WORK_DIR/<timestamp>/
os.makedirs(run, exist_ok=True)
with open(os.path.join(run, 'test_results.json'), 'w') as f:
    json.dump({'cityscapes': {'mIoU': base}, 'bdd100k': {'mIoU': base - 7},
               'mapillary': {'mIoU': base + 1}, 'avg': {'mIoU': base - 2}}, f)
'''


@pytest.fixture
def fake_tools(tmp_path, monkeypatch):
    tools = tmp_path / 'tools'
    tools.mkdir()
    (tools / 'train.py').write_text(FAKE_TRAIN)
    (tools / 'test.py').write_text(FAKE_TEST)
    calls = tmp_path / 'calls.jsonl'
    monkeypatch.setattr(runs, 'tools_root', lambda: str(tools))
    monkeypatch.setenv('FAKE_CALLS', str(calls))
    monkeypatch.setenv('FAKE_TOTAL', '48000')

    def read_calls():
        if not calls.exists():
            return []
        found = [json.loads(line) for line in calls.read_text().splitlines()]
        calls.unlink()
        return found

    return read_calls


def test_a_table_runs_stops_resumes_and_reuses_finished_rows(tmp_path, fake_tools, monkeypatch):
    table = get_table('deft/table7')
    options = RunOptions(work_root=str(tmp_path / 'root'))
    lines = []
    monkeypatch.setenv('FAKE_STOP_AT', '17000')  # the training dies after its 16000 checkpoint
    report = reproduce_table(table, None, options, printer=lines.append)
    calls = fake_tools()
    assert [c[0] for c in calls] == ['train']  # the three other rows skip the failed training
    assert report['finished_rows'] == 0
    assert report['rows'][0]['status'].startswith('failed (train: exit status 1')
    assert any('skipped, its training failed' in line for line in lines)
    assert any('FAILED' in line and 'last output lines' in line for line in lines)

    monkeypatch.delenv('FAKE_STOP_AT')
    lines.clear()
    report = reproduce_table(table, None, options, progress_interval=0, printer=lines.append)
    calls = fake_tools()
    assert [c[0] for c in calls] == ['train', 'test', 'test', 'test', 'test']
    assert '--resume' in calls[0]
    with open(osp.join(report['rows'][0]['work_dir'], 'logs', 'train.log')) as f:
        assert 'started at 16000' in f.read()  # continued from its last checkpoint
    assert [c[c.index('--cfg-options') + 1] if '--cfg-options' in c else None for c in calls[1:]
            ] == ['model.final_model=I', 'model.final_model=II', 'model.final_model=III', None]
    assert any(': train (resumed):' in line for line in lines)
    assert any('train 48000/48000 it (100.0%)' in line for line in lines)
    assert report['finished_rows'] == 4
    row_i = report['rows'][0]['cells']
    assert [(c['ours'], c['paper'], c['diff']) for c in row_i] == [(40.0, 39.3, 0.7),
                                                                   (33.0, 37.41, -4.41),
                                                                   (41.0, 43.14, -2.14),
                                                                   (38.0, 39.95, -1.95)]
    md, js = (osp.join(options.work_root, 'deft_table7' + ext) for ext in ('.md', '.json'))
    with open(js) as f:
        assert json.load(f)['finished_rows'] == 4
    assert '| I: e1 (UC) + d2 (UC) | 40.00 / 39.30 (+0.70) |' in open(md).read()

    lines.clear()
    report = reproduce_table(table, None, options, printer=lines.append)
    assert fake_tools() == [] and report['finished_rows'] == 4  # nothing runs twice
    assert sum('finished earlier' in line for line in lines) == 4
    # another table with the same DeFT row reuses the training and the test
    report = reproduce_table(get_table('deft/table1'), ['deft'], options, printer=lines.append)
    assert fake_tools() == [] and report['finished_rows'] == 1


def test_a_user_error_of_a_stage_stops_the_table_with_its_line(tmp_path, fake_tools, monkeypatch):
    monkeypatch.setenv('FAKE_ERROR', '1')
    options = RunOptions(work_root=str(tmp_path / 'root'))
    with pytest.raises(
            ReproduceError,
            match=r'row freeze-encoder, train: DatasetConfigError: no '
            r'images under data/gtav/images \(log: .*train.log\)'):
        reproduce_table(get_table('deft/table1'), None, options, printer=lambda line: None)
    assert len(fake_tools()) == 1  # the next rows would fail the same way: not started


def test_a_dry_run_prints_every_command_once_and_runs_nothing(tmp_path, fake_tools):
    lines = []
    options = RunOptions(work_root=str(tmp_path / 'root'))
    assert reproduce_table(
        get_table('deft/table7'), None, options, dry=True, printer=lines.append) is None
    commands = [line for line in lines if not line.startswith(('#', ' ', 'deft/', 'note'))]
    assert len([c for c in commands if '/train.py ' in c]) == 1
    assert len([c for c in commands if '/test.py ' in c]) == 4
    assert sum('the same as above' in line for line in lines) == 3  # rows II-IV's training
    assert fake_tools() == [] and not osp.exists(options.work_root)
