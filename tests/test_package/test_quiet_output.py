"""What a user reads: warnings that say nothing they can act on are silenced where they arise,
the others kept."""
import logging
import os
import os.path as osp
import subprocess
import sys

import pytest

from repo_paths import config_path

REIN = config_path('rein', 'rein_dinov2-l_mask2former_1xb4-40k_gtav-512x512.py')

READ_MMSEG_BASE = """
{deft}
from mmengine.config import Config
Config.fromfile('user_config.py')  # an mmseg:: base: mmengine resolves it with pkg_resources
"""


@pytest.mark.parametrize('deft', [False, True])
def test_pkg_resources_deprecation_is_not_printed(tmp_path, deft):
    (tmp_path / 'user_config.py').write_text("_base_ = ['mmseg::_base_/default_runtime.py']\n")
    code = READ_MMSEG_BASE.format(deft='import deft_mmseg' if deft else '')
    proc = subprocess.run([sys.executable, '-c', code],
                          cwd=tmp_path,
                          capture_output=True,
                          text=True,
                          env=dict(os.environ, PYTHONWARNINGS='default'))
    assert proc.returncode == 0, proc.stderr[-2000:]
    # without the plugin mmengine prints it twice (it reloads pkg_resources): the test sees it
    assert proc.stderr.count('pkg_resources is deprecated') == (0 if deft else 2)


class _Records(logging.Handler):

    def __init__(self):
        super().__init__()
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def test_frozen_parameters_are_one_line_and_the_groups_mmengine_s(demo_cwd):
    """Rein's frozen trunk: one INFO line instead of a warning per tensor; the optimizer's
    parameter groups are exactly those of mmengine's DefaultOptimWrapperConstructor."""
    from mmengine.logging import MMLogger
    from mmengine.optim import DefaultOptimWrapperConstructor, build_optim_wrapper
    from mmseg.registry import MODELS

    from e2e_helpers import demo_config
    cfg = demo_config(REIN)
    model = MODELS.build(cfg.model)
    frozen = [n for n, p in model.named_parameters() if not p.requires_grad]
    assert cfg.optim_wrapper.constructor == 'FrozenParamsOptimWrapperConstructor'
    logger = MMLogger.get_instance('quiet_output_test')
    records = _Records()
    logger.addHandler(records)
    try:
        ours = build_optim_wrapper(model, cfg.optim_wrapper)
    finally:
        logger.removeHandler(records)
    assert not [m for m in records.messages if 'is skipped since' in m]
    assert records.messages.count(f'optimizer: {len(frozen)} parameter tensors with '
                                  f'requires_grad=False (frozen) are left out.') == 1
    assert len(frozen) == 52
    default = dict(cfg.optim_wrapper)
    constructor_cfg = dict(
        optim_wrapper_cfg={
            k: v
            for k, v in default.items() if k not in ('constructor', 'paramwise_cfg')
        },
        paramwise_cfg=default.get('paramwise_cfg'))
    theirs = DefaultOptimWrapperConstructor(**constructor_cfg)(model)
    groups = [(g['params'], {
        k: v
        for k, v in g.items() if k != 'params'
    }) for g in ours.optimizer.param_groups]
    expected = [(g['params'], {
        k: v
        for k, v in g.items() if k != 'params'
    }) for g in theirs.optimizer.param_groups]
    assert len(groups) == len(expected)
    for (params, options), (exp_params, exp_options) in zip(groups, expected):
        assert [id(p) for p in params] == [id(p) for p in exp_params] and options == exp_options


def test_no_config_selects_a_checkpoint_on_the_target_domains():
    """The validation domains are the test domains: ``save_best`` there is test-set selection
    (docs/evaluation.md, "Which checkpoint"). The runtime every config inherits sets none, and no
    config file sets one."""
    import glob
    import re

    from mmengine.config import Config

    from repo_paths import REPO
    runtime = Config.fromfile(osp.join(REPO, 'configs', '_base_', 'default_runtime.py'))
    assert runtime.default_hooks.checkpoint.get('save_best') is None
    assert runtime.default_hooks.checkpoint.save_last is True
    setting = [
        p for p in glob.glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True)
        if re.search(r'save_best\s*=',
                     open(p).read())
    ]
    assert setting == []
