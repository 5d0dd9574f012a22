"""Distributed runs on machines without CUDA (CPU DDP with gloo, e.g. for tests or debugging).

mmengine 0.10.7's ``init_dist('pytorch')`` always calls ``torch.cuda.set_device`` and the runner
wraps models with ``device_ids=[LOCAL_RANK]``; both fail without CUDA. mmengine skips its own
initialization when a process group exists, so the tools initialize a gloo group themselves.
"""
import torch
import torch.distributed as dist


def prepare_cpu_distributed(cfg):
    """For ``launcher != 'none'`` without CUDA: init a gloo process group, wrap without devices."""
    if cfg.get('launcher', 'none') == 'none' or torch.cuda.is_available():
        return cfg
    if not dist.is_initialized():
        dist.init_process_group(backend='gloo')
    cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})['backend'] = 'gloo'
    wrapper = cfg.get('model_wrapper_cfg') or dict(
        type='MMDistributedDataParallel', broadcast_buffers=False)
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper
    return cfg
