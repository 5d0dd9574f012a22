"""tools/train.py and tools/test.py on configs a user gets wrong or trims: a syntax error is one
line naming the file and line; default hooks turn off the mmengine way (``=None``)."""
import os.path as osp

import pytest

from e2e_helpers import DEFT_DEMO, one_error_line, run_tool, run_tool_in_process

BROKEN_BASE = "model = dict(\n    type='EncoderDecoder'\n    pretrained=None)\n"


def _broken_config(tmp_path):
    """A user config whose own lines are fine and whose _base_ file misses a comma at the end of
    line 2 (Python reports line 2)."""
    (tmp_path / 'my_base.py').write_text(BROKEN_BASE)
    (tmp_path / 'my_config.py').write_text("_base_ = ['./my_base.py']\nwork_dir = 'w'\n")
    return str(tmp_path / 'my_config.py')


def test_syntax_error_names_the_file_and_line(tmp_path):
    from deft_mmseg.apis.tool_config import load_config
    from deft_mmseg.utils.errors import ConfigSyntaxError
    with pytest.raises(
            ConfigSyntaxError,
            match=r'config .*my_base\.py line 2: .*forgot a comma.*'
            r"type='EncoderDecoder'.*\. Fix that line"):
        load_config(_broken_config(tmp_path))
    (tmp_path / 'own.py').write_text('x = (1,\n')
    with pytest.raises(ConfigSyntaxError, match=r"own\.py line 1: '\(' was never closed"):
        load_config(str(tmp_path / 'own.py'))


def test_syntax_error_from_a_fresh_shell(tmp_path):
    line = one_error_line(run_tool('train.py', _broken_config(tmp_path)))
    assert line.startswith('error: ConfigSyntaxError: config ') and 'my_base.py line 2' in line
    assert '<unknown>' not in line


def test_plugin_default_hooks_turn_off_with_none(demo_cwd):
    """``default_hooks.<name>=None`` for the plugin's hooks (mmengine asserted on them): the run
    trains, and the hooks are not registered."""
    from mmengine.runner import Runner
    off = ['exact_resume', 'checkpoint_match', 'dataset_model_check', 'train_loop_check']
    names = []
    original = Runner.register_hooks

    def record(self, default_hooks=None, custom_hooks=None):
        original(self, default_hooks, custom_hooks)
        names.extend(type(h).__name__ for h in self.hooks)

    Runner.register_hooks = record
    try:
        status = run_tool_in_process('train.py', *DEFT_DEMO, '--work-dir', 'run', '--cfg-options',
                                     'train_cfg.warmup_iters=1', 'train_cfg.decoupled_iters=1',
                                     'train_cfg.val_interval=10',
                                     'default_hooks.checkpoint.interval=2',
                                     *[f'default_hooks.{name}=None' for name in off])
    finally:
        Runner.register_hooks = original
    assert status == 0
    assert osp.isfile(osp.join('run', 'iter_2.pth'))
    assert 'AtomicCheckpointHook' in names
    assert not {
        'ExactResumeHook', 'CheckpointMatchHook', 'DatasetModelCheckHook', 'TrainLoopCheckHook'
    } & set(names)
