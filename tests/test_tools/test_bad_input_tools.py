"""Bad input, second round: one `error:` line naming the file or key and the fix, exit status 2,
no traceback; or the behaviour a user expects, with nothing of an earlier run lost.

Each case runs the tool's ``main`` in this process (the tool's logic); the fresh-shell contract of
train.py and test.py (exit status 2, one line on stderr, no traceback, nothing written) is checked
once each, by the two tests marked FRESH SHELL below."""
import contextlib
import hashlib
import json
import os
import os.path as osp
import re
import shutil
import subprocess
import sys

import pytest
from PIL import Image

from deft_helpers import reset_mmengine_state
from e2e_helpers import DEFT, DEFT_DEMO, error_line_in_process, one_error_line
from e2e_helpers import run_tool as run
from e2e_helpers import run_tool_in_process
from repo_paths import REPO

TRAIN, TEST = 'train.py', 'test.py'
SHORT = [
    'train_cfg.warmup_iters=1', 'train_cfg.decoupled_iters=1', 'train_cfg.val_interval=100',
    'default_hooks.checkpoint.interval=1'
]
FOG = osp.join('data', 'demo', 'demo_fog')
FOG_IMAGES = osp.join(FOG, 'leftImg8bit', 'val', 'demo')
FOG_LABELS = osp.join(FOG, 'gtFine', 'val', 'demo')


def digest(folder):
    """What a run produced in ``folder`` (not ``.train.lock``: the work-dir lock records whichever
    process holds it, a refused one included)."""
    return {
        f: hashlib.sha256(open(osp.join(folder, f), 'rb').read()).hexdigest()
        for f in sorted(os.listdir(folder))
        if osp.isfile(osp.join(folder, f)) and f != '.train.lock'
    }


@pytest.fixture(scope='module')
def trained(demo_root, tmp_path_factory):
    """A finished short DeFT demo run (iter_1.pth, iter_2.pth) in a work dir of its own."""
    root = tmp_path_factory.mktemp('trained')
    os.makedirs(root / 'data')
    os.symlink(demo_root, root / 'data' / 'demo')
    reset_mmengine_state()
    with contextlib.chdir(root):
        assert run_tool_in_process(TRAIN, *DEFT_DEMO, '--work-dir', 'run', '--cfg-options',
                                   *SHORT) == 0
    reset_mmengine_state()
    return root / 'run'


@pytest.fixture
def own_demo(demo_root, tmp_path, monkeypatch):
    shutil.copytree(demo_root, tmp_path / 'data' / 'demo')
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_corrupt_target_image_on_test(own_demo, trained):
    """FRESH SHELL: test.py's contract (exit 2, one line, no traceback) as a user meets it."""
    image = osp.join(FOG_IMAGES, 'demo_000001_000019_leftImg8bit.png')
    with open(image, 'wb') as f:
        f.write(b'not a png')
    line = one_error_line(run(TEST, *DEFT_DEMO, str(trained / 'iter_2.pth'), '--work-dir', 't'))
    assert 'DatasetSampleError' in line and image in line and 'corrupt' in line


def test_target_label_smaller_than_its_image_on_test(own_demo, trained, capsys):
    label = osp.join(FOG_LABELS, 'demo_000002_000019_gtFine_labelTrainIds.png')
    img = Image.open(label)
    img.resize((img.width // 2, img.height // 2), Image.NEAREST).save(label)
    line = error_line_in_process(capsys, TEST, *DEFT_DEMO, str(trained / 'iter_2.pth'),
                                 '--work-dir', 't')
    assert label in line and 'demo_000002_000019_leftImg8bit.png' in line
    assert 'is 32x64 (HxW) but its image is 64x128' in line


@pytest.mark.parametrize('tool', ['test', 'train'])
def test_empty_target_domain_folder(own_demo, trained, tool, capsys):
    shutil.rmtree(FOG_IMAGES)
    os.makedirs(FOG_IMAGES)
    args = ([TEST, *DEFT_DEMO, str(trained / 'iter_2.pth'), '--work-dir', 't']
            if tool == 'test' else [TRAIN, *DEFT_DEMO, '--work-dir', 'w', '--cfg-options', *SHORT])
    line = error_line_in_process(capsys, *args)
    assert 'demo_fog' in line and osp.join(FOG, 'leftImg8bit/val') in line
    assert 'no images' in line


@pytest.mark.parametrize('option,suggestion', [
    ('model.finalmodel=IV', 'did you mean model.final_model?'),
    ('train_cfg.warmup_iter=10', 'did you mean train_cfg.warmup_iters?'),
    ('model.decode_head.dropout_ration=0.2', 'did you mean model.decode_head.dropout_ratio?'),
])
def test_mistyped_option_names_the_nearest_key(demo_cwd, option, suggestion, capsys):
    line = error_line_in_process(capsys, TRAIN, *DEFT_DEMO, '--work-dir', 'w', '--cfg-options',
                                 option)
    assert suggestion in line
    assert not osp.exists('w')  # refused before anything was built or written


def test_mistyped_option_from_a_fresh_shell(demo_cwd):
    """FRESH SHELL: train.py's contract (exit 2, one line, no traceback, nothing written)."""
    line = one_error_line(
        run(TRAIN, *DEFT_DEMO, '--work-dir', 'w', '--cfg-options', 'model.finalmodel=IV'))
    assert 'did you mean model.final_model?' in line
    assert not osp.exists('w')


def test_mistyped_key_in_a_config_file(demo_cwd, capsys):
    cfg = demo_cwd / 'typo.py'
    cfg.write_text(f"_base_ = ['{DEFT}']\n"
                   "custom_hooks = [dict(type='CrossEMAHook', betta=0.99)]\n")
    line = error_line_in_process(capsys, TRAIN, str(cfg), '--demo', '--work-dir', 'w')
    assert 'custom_hooks.0.betta' in line and 'did you mean custom_hooks.0.beta?' in line


def test_amp_on_a_cpu_only_machine_trains_in_bfloat16(demo_cwd, capsys):
    assert run_tool_in_process(TRAIN, *DEFT_DEMO, '--amp', '--work-dir', 'w', '--cfg-options',
                               *SHORT) == 0
    out = capsys.readouterr()
    assert 'bfloat16 autocast on the CPU' in out.out + out.err
    assert osp.isfile(osp.join('w', 'iter_2.pth'))


@pytest.mark.parametrize('options', [
    ['train_cfg.warmup_iters=2', 'train_cfg.decoupled_iters=0'],
    pytest.param(
        ['train_cfg.warmup_iters=2', 'train_cfg.decoupled_iters=None', 'train_cfg.max_iters=2'],
        marks=pytest.mark.slow),
])
def test_advice_of_the_stage_length_error_works_when_followed(demo_cwd, options, capsys):
    line = error_line_in_process(capsys, TRAIN, *DEFT_DEMO, '--work-dir', 'w', '--cfg-options',
                                 *options, 'train_cfg.val_interval=100')
    advice = re.search(r'Set (train_cfg\.\w+)(?: to .*?e\.g\. (\d+)|=(\d+))', line)
    assert advice, line
    key, value = advice.group(1), advice.group(2) or advice.group(3)
    if advice.group(2):  # "an integer >= 1, e.g. 40000": any such value; take the smallest
        value = '1'
    fixed = [o for o in options if not o.startswith(key + '=')] + [f'{key}={value}']
    reset_mmengine_state()
    assert run_tool_in_process(TRAIN, *DEFT_DEMO, '--work-dir', 'w', '--cfg-options', *fixed,
                               'train_cfg.val_interval=100') == 0


def test_new_run_never_overwrites_another_runs_checkpoints(demo_cwd, trained, capsys):
    work = str(demo_cwd / 'run')
    shutil.copytree(trained, work)
    before = digest(work)
    line = error_line_in_process(capsys, TRAIN, *DEFT_DEMO, '--work-dir', work, '--cfg-options',
                                 *SHORT)
    assert work in line and '--resume' in line and '--overwrite' in line
    assert digest(work) == before
    assert run_tool_in_process(TRAIN, *DEFT_DEMO, '--work-dir', work, '--overwrite',
                               '--cfg-options', *SHORT) == 0


def test_tests_in_a_training_work_dir_lose_nothing(demo_cwd, trained, capsys):
    """A test and then a --format-only test into the training run's work dir: the run's dumped
    config, validation results and checkpoints stay as they were, the test has its own folder
    with its config and results, and --format-only scores nothing (no table of nan, no results
    file of empty dicts over the test's)."""
    work = str(demo_cwd / 'run')
    shutil.copytree(trained, work)
    config_name = osp.basename(DEFT_DEMO[0])
    before = digest(work)  # the dumped training config, multi_domain_results.json, checkpoints
    outputs = []
    for options in ([], ['--format-only', '--out', str(demo_cwd / 'sub')]):
        reset_mmengine_state()
        assert run_tool_in_process(TEST, *DEFT_DEMO, osp.join(work, 'iter_2.pth'), '--work-dir',
                                   work, *options) == 0
        out = capsys.readouterr()
        outputs.append(out.out + out.err)
    assert digest(work) == before
    folders = sorted(d for d in os.listdir(work) if osp.isdir(osp.join(work, d)))
    assert len(folders) == 3  # mmengine's timestamped run folders: training, test, format-only
    test, format_only = (osp.join(work, f) for f in folders[1:])
    for folder in (test, format_only):  # each test's config next to its log
        assert osp.isfile(osp.join(folder, config_name))
    results = json.load(open(osp.join(test, 'test_results.json')))
    assert set(results) == {'demo_real', 'demo_fog', 'demo_night', 'avg'}
    assert 0 <= results['avg']['mIoU'] <= 100
    assert f'Multi-domain results written to {osp.join(test, "test_results.json")}' in outputs[0]
    assert not osp.exists(osp.join(format_only, 'test_results.json'))
    assert 'nan' not in outputs[1] and 'format_only, no metrics computed' in outputs[1]


def test_dangling_last_checkpoint_resumes_from_the_newest_existing_one(demo_cwd, trained, capsys):
    work = str(demo_cwd / 'run')
    shutil.copytree(trained, work)
    os.remove(osp.join(work, 'iter_2.pth'))
    with open(osp.join(work, 'last_checkpoint'), 'w') as f:
        f.write(osp.join(work, 'iter_2.pth'))
    with open(osp.join(work, 'iter_3.pth'), 'wb') as f:
        f.write(b'PK\x03\x04 cut short by a kill')  # newer, but incomplete
    assert run_tool_in_process(TRAIN, *DEFT_DEMO, '--work-dir', work, '--resume', '--cfg-options',
                               *SHORT, 'train_cfg.decoupled_iters=2') == 0
    captured = capsys.readouterr()
    out = captured.out + captured.err
    assert (f"last_checkpoint names '{osp.join(work, 'iter_2.pth')}', which does not exist; "
            f"resuming from the newest complete checkpoint {osp.join(work, 'iter_1.pth')}") in out
    assert 'Auto resumed' not in out
    assert 'resumed epoch: 0, iter: 1' in out
    assert osp.isfile(osp.join(work, 'iter_3.pth'))


def test_weights_only_refusal_names_the_global(demo_cwd, trained, capsys):
    import torch

    class Payload:

        def __reduce__(self):
            return (os.system, ('true', ))

    ckpt = torch.load(str(trained / 'iter_2.pth'), weights_only=False)
    ckpt['meta']['payload'] = Payload()
    torch.save(ckpt, 'payload.pth')
    line = error_line_in_process(capsys, TEST, *DEFT_DEMO, 'payload.pth', '--work-dir', 't')
    assert re.search(r'needs the global (posix|os|nt)\.system', line)
    assert 'DEFT_MMSEG_ALLOW_PICKLE=1' in line


@pytest.mark.slow  # a training subprocess under torchrun
def test_dist_train_uses_the_environment_python_and_torchrun(demo_cwd):
    """With the venv not on PATH: the script finds .venv/bin/python itself and uses torchrun."""
    env = dict(os.environ, PATH='/usr/bin:/bin', OMP_NUM_THREADS='1', PORT='29541')
    env.pop('PYTHON', None)
    script = osp.join(REPO, 'tools', 'dist_train.sh')
    assert 'torch.distributed.launch' not in open(script).read()
    if not osp.isfile(osp.join(REPO, '.venv', 'bin', 'python')):
        env['PYTHON'] = sys.executable
    proc = subprocess.run(
        ['bash', script, DEFT, '1', '--demo', '--work-dir', 'w', '--cfg-options', *SHORT],
        capture_output=True,
        text=True,
        env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert osp.isfile(osp.join('w', 'iter_2.pth'))
