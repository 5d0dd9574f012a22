"""Run by tests/test_integration/test_ddp.py under `torchrun --nproc_per_node 2`: trains a config's demo (`--demo`) with 2 CPU
processes (gloo) through tools/train.py's config handling, then saves each rank's weights (and,
for FisherTune, its selection masks as ``mask.<param>``).

    ddp_worker.py CONFIG WORK_DIR [CFG_OPTION ...]   (default: DeFT stage lengths 2 + 3)
"""
import os.path as osp
import sys

import torch
import torch.distributed as dist

sys.path.insert(0, osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'tools'))
import train as train_tool  # noqa: E402

config, work = sys.argv[1], sys.argv[2]
stages = sys.argv[3:] or ['train_cfg.warmup_iters=2', 'train_cfg.decoupled_iters=3']
args = train_tool.parse_args([
    config, '--demo', '--work-dir', work, '--launcher', 'pytorch', '--cfg-options', *stages,
    'train_cfg.val_interval=5', 'default_hooks.checkpoint.interval=5',
    'train_dataloader.batch_size=2', 'val_dataloader.batch_size=1'
])
runner = train_tool.build_runner(args)
runner.train()
model = runner.model.module
state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
if getattr(model, 'sparse_mask', None) is not None:
    state.update({f'mask.{k}': m.cpu() for k, m in model.sparse_mask.masks.items()})
torch.save(state, osp.join(work, f'rank{dist.get_rank()}.pth'))
