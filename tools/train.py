"""Train a segmentor (same arguments as mmseg's tools/train.py), with deft_mmseg registered.

    python tools/train.py CONFIG [--work-dir DIR] [--resume] [--amp] [--cfg-options k=v ...]
"""
import argparse
import logging
import os
import os.path as osp

from mmengine.config import Config, DictAction
from mmengine.logging import print_log
from mmengine.runner import Runner, find_latest_checkpoint

import deft_mmseg  # noqa: F401  (registers the plugin, installs the safe checkpoint loader)
from deft_mmseg.datasets.checks import check_dataset_cfg, domain_dataset_cfgs
from deft_mmseg.engine.checkpoint_loading import read_checkpoint_meta
from deft_mmseg.utils import prepare_cpu_distributed, run_with_user_errors


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a segmentor')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument('--resume', action='store_true', default=False,
                        help='resume from the latest checkpoint in the work_dir automatically')
    parser.add_argument('--amp', action='store_true', default=False,
                        help='enable automatic-mixed-precision training')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings in the config, key=value')
    parser.add_argument('--demo', action='store_true', default=False,
                        help='run the config\'s method for a few iterations on the demo data '
                        '(data/demo, from tools/make_demo_data.py) with a tiny network')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def build_cfg(args):
    cfg = Config.fromfile(args.config)
    if args.demo:
        from deft_mmseg.demo import make_demo_config
        cfg = make_demo_config(cfg)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    if args.amp:
        optim_wrapper = cfg.optim_wrapper.type
        if optim_wrapper == 'AmpOptimWrapper':
            print_log('AMP training is already enabled in your config.', logger='current',
                      level=logging.WARNING)
        else:
            assert optim_wrapper == 'OptimWrapper', (
                f'`--amp` is only supported when the optimizer wrapper type is `OptimWrapper` '
                f'but got {optim_wrapper}.')
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.loss_scale = 'dynamic'
    cfg.resume = args.resume
    if args.resume:
        keep_resumed_seed(cfg)
    return cfg


def keep_resumed_seed(cfg):
    """Without a fixed ``randomness.seed`` mmengine draws a new one, builds the dataloaders with
    it and only then reads the checkpoint's: the resumed data order would differ. Take the
    checkpoint's seed before anything is built (ExactResumeHook then restores the streams)."""
    if (cfg.get('randomness') or {}).get('seed') is not None:
        return
    ckpt = cfg.get('load_from') or find_latest_checkpoint(cfg.work_dir)
    if ckpt and osp.isfile(ckpt):
        seed = read_checkpoint_meta(ckpt).get('seed')
        if seed is not None:
            cfg.randomness = dict(cfg.get('randomness') or {}, seed=seed)


def preflight(cfg):
    """Fail fast, with a message, on missing data paths (before any model is built)."""
    check_dataset_cfg(cfg.train_dataloader.get('dataset'), 'train_dataloader.dataset')
    for name, ds in domain_dataset_cfgs(cfg.get('val_dataloader') or {}).items():
        check_dataset_cfg(ds, f'val_dataloader.datasets.{name}')


def build_runner(args):
    cfg = run_with_user_errors(build_cfg, args)
    run_with_user_errors(preflight, cfg)
    prepare_cpu_distributed(cfg)
    return run_with_user_errors(Runner.from_cfg, cfg)


def main(argv=None):
    runner = build_runner(parse_args(argv))
    run_with_user_errors(runner.train)


if __name__ == '__main__':
    main()
