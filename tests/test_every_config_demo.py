"""Every config of configs/ trains a few iterations on the demo data (`tools/train.py --demo`:
the config's method with the tiny network of its family)."""
import glob
import json
import os.path as osp

import pytest

import train as train_tool
from conftest import REPO
from e2e_helpers import demo_cwd  # noqa: F401

CONFIGS = sorted(
    osp.relpath(p, osp.join(REPO, 'configs'))
    for p in glob.glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True)
    if '_base_' not in p)


def _scalars(work):
    lines = []
    for path in glob.glob(osp.join(work, '*', 'vis_data', 'scalars.json')):
        lines += [json.loads(line) for line in open(path)]
    return lines


@pytest.mark.parametrize('config', CONFIGS)
def test_config_trains_on_demo_data(demo_cwd, config):
    work = str(demo_cwd / 'work')
    # mmengine's visualizer is a named singleton: a unique name per in-process run
    name = 'vis_' + config.replace('/', '_').replace('.', '_').replace('-', '_')
    train_tool.main([osp.join(REPO, 'configs', config), '--demo', '--work-dir', work,
                     '--cfg-options', f'visualizer.name={name}'])
    assert osp.isfile(osp.join(work, 'iter_6.pth'))
    results = json.load(open(osp.join(work, 'multi_domain_results.json')))
    assert set(results) == {'demo_real', 'demo_fog', 'demo_night', 'avg'}
    if 'diagnostics' in config:
        keys = set().union(*(s.keys() for s in _scalars(work)))
        assert {'dist_l2/encoder', 'dist_mars/decoder', 'dist_operator/encoder',
                'target/loss_ce'} <= keys
