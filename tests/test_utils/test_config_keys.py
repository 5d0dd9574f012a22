"""Mistyped config keys: which keys a module takes, read from its constructor signatures."""
import pytest
from mmengine.config import Config

from deft_mmseg.utils.config_keys import accepted_keys, check_config_keys, resolve_type
from deft_mmseg.utils.errors import ConfigKeyError
from e2e_helpers import DEFT, demo_config
from repo_paths import CONFIGS, shipped_config


def test_accepted_keys_follow_kwargs_up_the_hierarchy():
    # TwoStageTrainLoop names all its arguments (no **kwargs): exactly these
    assert accepted_keys(resolve_type('TwoStageTrainLoop')) == {
        'runner', 'dataloader', 'warmup_iters', 'decoupled_iters', 'max_iters', 'val_begin',
        'val_interval', 'dynamic_intervals', 'reset_optimizer_state'
    }
    assert accepted_keys(resolve_type('CrossEMAHook')) == {'beta', 'buffer_update'}
    # a class that forwards open **kwargs to a base outside what can be read is not judged
    assert accepted_keys(dict) is None


@pytest.mark.parametrize('config', CONFIGS)
def test_every_shipped_config_and_its_demo_variant_pass(config):
    from deft_mmseg.demo import make_demo_config
    cfg = shipped_config(config)
    check_config_keys(cfg)
    check_config_keys(make_demo_config(cfg))


@pytest.mark.parametrize('options,message', [
    ({
        'model.finalmodel': 'IV'
    }, 'model.finalmodel: DualPathwaySegmentor takes no argument '
     "'finalmodel'; did you mean model.final_model?"),
    ({
        'model.decode_head.dropout_ration': 0.2
    }, 'did you mean model.decode_head.dropout_ratio?'),
    ({
        'custom_hooks.0.bta': 0.9
    }, 'did you mean custom_hooks.0.beta?'),
])
def test_options_landing_in_a_typed_dict_are_checked(options, message):
    cfg = demo_config(DEFT)
    cfg.merge_from_dict(options)
    with pytest.raises(ConfigKeyError, match=message.replace('?', r'\?').replace('.', r'\.')):
        check_config_keys(cfg, list(options))


def test_untyped_dicts_and_valid_keys_pass():
    cfg = demo_config(DEFT)
    options = {
        'randomness.diff_rank_seed': True,
        'model.final_model': 'III',
        'train_cfg.warmup_iters': 3
    }
    cfg.merge_from_dict(options)
    check_config_keys(cfg, list(options))
