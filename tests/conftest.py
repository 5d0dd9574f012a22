"""Shared fixtures. `tests/` is deliberately not a package: the mmseg wheel installs a top-level
package named `tests`. The folders mirror the package (test_models/, test_engine/, test_datasets/,
...); helper modules live here and are importable because pytest.ini puts `tests/` and `tools/` on
the path. Tests import helpers (repo_paths, deft_helpers, e2e_helpers), never this file."""
import os

import pytest

# two torch threads for a serial run; one per worker under `make test`'s two pytest-xdist workers
# (2 cores: more threads than cores slows every test down)
os.environ.setdefault('OMP_NUM_THREADS', '1' if os.environ.get('PYTEST_XDIST_WORKER') else '2')

from mmengine.registry import init_default_scope  # noqa: E402

import deft_mmseg  # noqa: E402,F401

init_default_scope('mmseg')


@pytest.fixture(autouse=True)
def _fresh_mmengine_state():
    """Every test starts and ends without mmengine singletons of an earlier in-process run."""
    from deft_helpers import reset_mmengine_state
    reset_mmengine_state()
    yield
    reset_mmengine_state()


@pytest.fixture(scope='session')
def demo_root(tmp_path_factory):
    """A small copy of the embedded demo data (12 source, 4 images per target domain)."""
    from deft_mmseg.demo import generate_demo_dataset
    root = str(tmp_path_factory.mktemp('demo'))
    generate_demo_dataset(root, num_source=12, num_target=4, seed=0)
    return root


@pytest.fixture
def demo_cwd(demo_root, tmp_path, monkeypatch):
    """A working directory whose data/demo is the session's demo data (configs use data/demo)."""
    os.makedirs(tmp_path / 'data')
    os.symlink(demo_root, tmp_path / 'data' / 'demo')
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture(scope='session')
def short_deft_run(demo_root, tmp_path_factory):
    """A folder with data/demo and run/: the DeFT demo config trained by tools/train.py (its main,
    in this process) for 1 warm-up + 2 decoupled iterations (run/iter_3.pth), shared by the tool
    tests."""
    import contextlib

    from deft_helpers import reset_mmengine_state
    from e2e_helpers import DEFT_DEMO, run_tool_in_process
    root = tmp_path_factory.mktemp('run')
    os.makedirs(root / 'data')
    os.symlink(demo_root, root / 'data' / 'demo')
    reset_mmengine_state()
    with contextlib.chdir(root):
        assert run_tool_in_process('train.py', *DEFT_DEMO, '--work-dir', 'run', '--cfg-options',
                                   'train_cfg.warmup_iters=1', 'train_cfg.decoupled_iters=2',
                                   'train_cfg.val_interval=3',
                                   'default_hooks.checkpoint.interval=3') == 0
    reset_mmengine_state()
    return root


@pytest.fixture(scope='session')
def varied_deft_checkpoint(short_deft_run):
    """The short run's checkpoint with the convolutions of its decoders redrawn (He-scaled, x2;
    the classifier's zero-sum over its input channels), the classifier biases zeroed and the
    decoders' BN shifts redrawn, so that the predicted labels vary over classes and pixels
    (a 3-iteration model predicts one or two classes everywhere, which a wrong pre-processing
    would reproduce as well)."""
    import torch

    from deft_mmseg.utils.checkpoint_loading import load_local_checkpoint
    ckpt = load_local_checkpoint(str(short_deft_run / 'run' / 'iter_3.pth'), map_location='cpu')
    g = torch.Generator().manual_seed(0)
    for key, value in ckpt['state_dict'].items():
        if 'decode_head' in key and value.ndim == 4:
            fan_in = value[0].numel()
            ckpt['state_dict'][key] = torch.randn(value.shape, generator=g) * 2 * (2 / fan_in)**.5
            if key.endswith('conv_seg.weight'):  # zero-sum over the (post-ReLU, >= 0) features:
                # no class gets a constant lead from the features' mean (the paper network's
                # plain-conv head has no dropout to break it)
                w = ckpt['state_dict'][key]
                ckpt['state_dict'][key] = w - w.mean(dim=1, keepdim=True)
        elif 'conv_seg.bias' in key:
            ckpt['state_dict'][key] = torch.zeros_like(value)
        elif 'decode_head' in key and key.endswith('bn.bias'):  # channels active in other places
            ckpt['state_dict'][key] = torch.randn(value.shape, generator=g) * 0.5
    path = str(short_deft_run / 'varied.pth')
    torch.save(ckpt, path)
    return path
