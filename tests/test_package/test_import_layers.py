"""Imports inside the package run one way: utils (errors, checkpoint loading) at the bottom;
datasets, evaluation and models never import the engine or the hooks."""
import ast
import glob
import os.path as osp

import pytest

from repo_paths import REPO

PACKAGE = osp.join(REPO, 'deft_mmseg')
#: subpackage -> subpackages it must not import
FORBIDDEN = {
    'utils': {'datasets', 'evaluation', 'models', 'engine', 'apis', 'demo', 'testing', 'reproduce'},
    'datasets': {'evaluation', 'models', 'engine', 'apis', 'testing', 'reproduce'},
    'evaluation': {'models', 'engine', 'apis', 'testing', 'reproduce'},
    'models': {'engine', 'apis', 'testing', 'reproduce'},
    # deft_mmseg.testing (batches for tests and benchmarks) sits above everything it serves;
    # deft_mmseg.reproduce (tools/reproduce.py) runs the tools and sits at the top
    'engine': {'testing', 'reproduce'},
    'apis': {'testing', 'reproduce'},
    'demo': {'testing', 'reproduce'},
    'reproduce': {'testing'},
}


def imported_subpackages(path):
    """deft_mmseg subpackages a module imports (absolute or relative imports, any depth)."""
    rel = osp.relpath(path, PACKAGE).split(osp.sep)
    tree = ast.parse(open(path).read())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = rel[:-1][:len(rel) - node.level] if node.level > 1 else rel[:-1]
                parts = base + (node.module.split('.') if node.module else [])
            elif node.module and node.module.startswith('deft_mmseg'):
                parts = node.module.split('.')[1:]
            else:
                continue
            names = [parts[0]] if parts else [a.name for a in node.names]
            found.update(names)
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith('deft_mmseg.'):
                    found.add(a.name.split('.')[1])
    return found


@pytest.mark.parametrize('layer', sorted(FORBIDDEN))
def test_no_import_runs_upward(layer):
    upward = []
    for path in glob.glob(osp.join(PACKAGE, layer, '**', '*.py'), recursive=True):
        bad = imported_subpackages(path) & FORBIDDEN[layer]
        if bad:
            upward.append(f'{osp.relpath(path, REPO)} imports {sorted(bad)}')
    assert upward == []


def test_hooks_live_under_engine_only():
    """As in mmseg (mmseg/engine/hooks): no second hooks package next to engine/."""
    assert not osp.exists(osp.join(PACKAGE, 'hooks'))
    assert glob.glob(osp.join(PACKAGE, 'engine', 'hooks', '*_hook.py'))


def test_models_are_unwrapped_in_one_place():
    """``unwrap_model`` (utils/model_wrappers.py) is the only unwrapping of DDP/FSDP wrappers."""
    from mmengine.model import MMDistributedDataParallel
    from torch import nn

    from deft_mmseg.utils.model_wrappers import unwrap_model
    inner = nn.Linear(2, 2)
    assert unwrap_model(inner) is inner
    # a DDP wrapper without a process group: only its type and .module matter here
    wrapper = MMDistributedDataParallel.__new__(MMDistributedDataParallel)
    nn.Module.__init__(wrapper)
    wrapper.module = inner
    assert unwrap_model(wrapper) is inner
    copies = [
        osp.relpath(p, PACKAGE) for p in glob.glob(osp.join(PACKAGE, '**', '*.py'), recursive=True)
        if 'is_model_wrapper(' in open(p).read() or "getattr(model, 'module'" in open(p).read()
    ]
    assert copies == [osp.join('utils', 'model_wrappers.py')]


def test_tests_mirror_the_package_and_never_import_conftest():
    """Test files live in folders named after what they test (test_models/, test_engine/, ...);
    helpers are imported by name (repo_paths, deft_helpers, e2e_helpers), never `conftest`."""
    tests = osp.join(REPO, 'tests')
    assert glob.glob(osp.join(tests, 'test_*.py')) == []
    folders = {osp.basename(osp.dirname(p)) for p in glob.glob(osp.join(tests, '*', 'test_*.py'))}
    package = {osp.basename(p.rstrip('/')) for p in glob.glob(osp.join(PACKAGE, '*/'))}
    mirrored = {f[len('test_'):] for f in folders} & package
    assert {'models', 'engine', 'datasets', 'evaluation'} <= mirrored
    importers = []
    for path in glob.glob(osp.join(tests, '**', '*.py'), recursive=True):
        for node in ast.walk(ast.parse(open(path).read())):
            names = ([node.module] if isinstance(node, ast.ImportFrom) else
                     [a.name for a in node.names] if isinstance(node, ast.Import) else [])
            if 'conftest' in names:
                importers.append(osp.relpath(path, REPO))
    assert importers == []
