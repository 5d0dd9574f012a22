"""Options and paths for running the repo's tools in-process on the demo data."""
import glob
import os.path as osp

from conftest import config_path


def deft_demo_options(warmup=2, decoupled=4, interval=2, extra=()):
    return ['--cfg-options', f'train_cfg.warmup_iters={warmup}',
            f'train_cfg.decoupled_iters={decoupled}', f'train_cfg.val_interval={interval}',
            f'default_hooks.checkpoint.interval={interval}', 'default_hooks.logger.interval=1',
            'default_hooks.checkpoint.max_keep_ckpts=10', *extra]


DEFT_DEMO = config_path('deft', 'deeplabv3plus_r50_gtav_demo.py')
BASELINE_DEMO = config_path('baselines', 'deeplabv3plus_r50_gtav_demo.py')


def checkpoints(work_dir):
    return sorted(glob.glob(osp.join(work_dir, 'iter_*.pth')),
                  key=lambda p: int(osp.basename(p)[5:-4]))
