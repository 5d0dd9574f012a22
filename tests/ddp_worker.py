"""Run by tests/test_ddp.py under `torchrun --nproc_per_node 2`: trains a DeFT demo config with
2 CPU processes (gloo) through tools/train.py's config handling, then saves each rank's weights."""
import os.path as osp
import sys

import torch
import torch.distributed as dist

sys.path.insert(0, osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'tools'))
import train as train_tool  # noqa: E402

config, work = sys.argv[1], sys.argv[2]
args = train_tool.parse_args([
    config, '--work-dir', work, '--launcher', 'pytorch', '--cfg-options', 'train_cfg.warmup_iters=2', 'train_cfg.decoupled_iters=3', 'train_cfg.val_interval=5',
    'default_hooks.checkpoint.interval=5', 'train_dataloader.batch_size=2',
    'val_dataloader.batch_size=1'
])
runner = train_tool.build_runner(args)
runner.train()
model = runner.model.module
torch.save({k: v.detach().cpu() for k, v in model.state_dict().items()},
           osp.join(work, f'rank{dist.get_rank()}.pth'))
