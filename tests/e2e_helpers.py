"""Options and paths for running the repo's tools in-process on the demo data."""
import glob
import os.path as osp

from repo_paths import config_path


def deft_demo_options(warmup=2, decoupled=4, interval=2, extra=()):
    return [
        '--cfg-options', f'train_cfg.warmup_iters={warmup}',
        f'train_cfg.decoupled_iters={decoupled}', f'train_cfg.val_interval={interval}',
        f'default_hooks.checkpoint.interval={interval}', 'default_hooks.logger.interval=1',
        'default_hooks.checkpoint.max_keep_ckpts=10', *extra
    ]


DEFT = config_path('deft', 'deft_deeplabv3plus_r50-d16_1xb4-48k_gtav-768x768.py')
BASELINE = config_path('baselines', 'deeplabv3plus_r50-d16_1xb4-40k_gtav-768x768.py')
#: a tool's first arguments for the DeFT demo: the shipped config and --demo
#: (its tiny network on the demo data), as a user runs it
DEFT_DEMO = (DEFT, '--demo')


def demo_config(path):
    """The config at ``path`` as the tools' ``--demo`` turns it (in-process use: init_model,
    builds; the demo data need not be there)."""
    from deft_mmseg.apis.tool_config import load_config
    from deft_mmseg.demo import SMOKE_ITERS
    return load_config(path, SMOKE_ITERS, demo_data=False)


def checkpoints(work_dir):
    return sorted(
        glob.glob(osp.join(work_dir, 'iter_*.pth')), key=lambda p: int(osp.basename(p)[5:-4]))


def latest_test_results(work_dir):
    """The ``test_results.json`` of the newest test in ``work_dir`` (each test writes its own,
    in its run folder ``WORK_DIR/<timestamp>/``)."""
    found = sorted(glob.glob(osp.join(work_dir, '*', 'test_results.json')))
    assert found, f'no test results in {work_dir}'
    return found[-1]


def assert_export_matches(config, ckpt, out, cwd, model_type, plugin=False, demo=True):
    """The model of ``config`` (its ``--demo`` network unless ``demo`` is False) at ``ckpt`` and
    its export in ``out`` (loaded by mmseg's own ``init_model`` in a subprocess; without deft_mmseg
    unless ``plugin``, when the exported config must bring it in by ``custom_imports``) give
    identical logits on a demo image."""
    import os
    import subprocess
    import sys

    import numpy as np
    from mmengine.config import Config
    from mmseg.apis import inference_model, init_model

    # absolute: the pytest process's own directory need not hold data/demo (it does not on CI)
    img = osp.join(
        osp.abspath(cwd), 'data', 'demo', 'demo_fog', 'leftImg8bit', 'val', 'demo',
        'demo_000001_000019_leftImg8bit.png')
    model = init_model(demo_config(config) if demo else Config.fromfile(config), ckpt, device='cpu')
    assert type(model).__name__ == model_type
    expected = inference_model(model, img).seg_logits.data.numpy()
    script = f"""
import sys, numpy as np
from mmseg.apis import init_model, inference_model
m = init_model({out + '/final_model_config.py'!r}, {out + '/final_model.pth'!r}, device='cpu')
assert type(m).__name__ == 'EncoderDecoder'
got = inference_model(m, {img!r}).seg_logits.data.numpy()
assert ('deft_mmseg' in sys.modules) == {plugin!r}, 'plugin imported iff the config asks'
np.save('got.npy', got)
"""
    env = dict(os.environ, PYTHONPATH='')
    proc = subprocess.run([sys.executable, '-c', script],
                          cwd=cwd,
                          env=env,
                          capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    np.testing.assert_array_equal(np.load(osp.join(cwd, 'got.npy')), expected)


def run_tool(name, *args, cwd=None, env=None):
    """``python tools/<name> args...`` in a fresh process, as a user runs it."""
    import subprocess
    import sys

    from repo_paths import REPO
    return subprocess.run([sys.executable, osp.join(REPO, 'tools', name), *args],
                          cwd=cwd,
                          env=env,
                          capture_output=True,
                          text=True)


def run_tool_ok(name, *args, cwd=None, env=None):
    """:func:`run_tool` that must succeed without a traceback."""
    proc = run_tool(name, *args, cwd=cwd, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'Traceback' not in proc.stderr
    return proc


def one_error_line(proc):
    """The single `error:` line of a refused run (exit 2, no traceback, no colour codes)."""
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert 'Traceback' not in proc.stderr and '\x1b[' not in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith('error:')]
    assert len(lines) == 1, proc.stderr[-3000:]
    return lines[0]


def run_tool_in_process(name, *args):
    """``tools/<name>``'s ``main(args)`` in this process, as the default test run checks a tool's
    logic (no interpreter start, no second import of the stack): its exit status, 0 when it
    returns. Its output is left to pytest's ``capsys``. The contract of the fresh shell (exit
    status, one line on stderr, no traceback) is checked once per tool with :func:`run_tool`."""
    import importlib
    import importlib.util

    from repo_paths import REPO
    if '/' in name:  # a tool in a sub-folder (model_converters/vfm.py): load it from its file
        spec = importlib.util.spec_from_file_location(
            'tool_' + osp.splitext(name)[0].replace('/', '_'), osp.join(REPO, 'tools', name))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    else:
        module = importlib.import_module(osp.splitext(name)[0])
    try:
        module.main(list(args))
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    return 0


def error_line_in_process(capsys, name, *args):
    """The single `error:` line of a refused in-process run of ``tools/<name>`` (exit status 2;
    an unexpected exception fails the test with its traceback)."""
    capsys.readouterr()  # what earlier steps of the test printed
    status = run_tool_in_process(name, *args)
    err = capsys.readouterr().err
    assert status == 2, err[-3000:]
    lines = [ln for ln in err.splitlines() if ln.startswith('error:')]
    assert len(lines) == 1 and '\x1b[' not in lines[0], err[-3000:]
    return lines[0]
