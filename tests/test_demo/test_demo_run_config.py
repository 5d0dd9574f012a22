"""``--demo [ITERS]``, the repository's one demo mechanism: a longer demo keeps the shape of the
shipped schedule (values below computed by hand from the configs' recipes)."""
import pytest
from mmengine.config import Config

from deft_mmseg.demo import demo_run_config, make_demo_config
from repo_paths import config_path

DEFT = config_path('deft', 'deft_deeplabv3plus_r50-d16_1xb4-48k_gtav-768x768.py')
FISHERTUNE = config_path('fishertune', 'fishertune_dinov2-l_mask2former_1xb4-44k_gtav-512x512.py')


def test_smoke_run_is_make_demo_config_unchanged():
    assert demo_run_config(Config.fromfile(DEFT)).to_dict() == \
        make_demo_config(Config.fromfile(DEFT)).to_dict()


def test_long_deft_demo_keeps_warmup_share_and_ema_horizon_share():
    cfg = demo_run_config(Config.fromfile(DEFT), 1800)
    # 8K of 48K is warm-up -> 1800 / 6 = 300; the rest decoupled
    assert (cfg.train_cfg.warmup_iters, cfg.train_cfg.decoupled_iters) == (300, 1500)
    # beta 0.9999 over 40,000 decoupled iterations: horizon 10,000 = a quarter of the stage;
    # a quarter of 1,500 is 375 -> beta = 1 - 1/375
    (ema, ) = [h for h in cfg.custom_hooks if h['type'] == 'CrossEMAHook']
    assert ema['beta'] == pytest.approx(1 - 1 / 375, abs=1e-12)
    assert (cfg.train_cfg.val_interval, cfg.default_hooks.checkpoint.interval) == (600, 600)
    assert cfg.default_hooks.logger.interval == 60
    assert cfg.model.backbone.depth == 18  # the tiny network, not ResNet-50


def test_long_fishertune_demo_estimates_on_a_fifteenth_of_the_run():
    cfg = demo_run_config(Config.fromfile(FISHERTUNE), 300)
    assert (cfg.train_cfg.warmup_iters, cfg.train_cfg.tune_iters) == (50, 250)
    assert cfg.train_cfg.estimate_iters == 20
    assert cfg.optim_wrapper.optimizer.lr == 1e-4  # the method's recipe is kept


def test_demo_iters_below_two_is_refused_by_the_tools():
    from e2e_helpers import run_tool
    proc = run_tool('train.py', DEFT, '--demo', '1')
    assert proc.returncode == 2 and '--demo ITERS must be at least 2' in proc.stderr
