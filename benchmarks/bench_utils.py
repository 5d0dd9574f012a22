"""Helpers shared by the benchmark scripts: a random batch, device sync, peak memory, the
machine."""
import resource


def random_batch(batch, size, device, num_classes=19, seed=0):
    """``(inputs (B, 3, size, size), data_samples)`` on ``device``: the tests' batch
    (``deft_mmseg.testing.seg_batch``)."""
    from deft_mmseg.testing import seg_batch
    return seg_batch(batch, size, seed=seed, num_classes=num_classes, device=device)


def sync(device):
    import torch
    if device.type == 'cuda':
        torch.cuda.synchronize()


def peak_mib(device):
    """CUDA: max allocated; CPU: the process's peak RSS."""
    import torch
    if device.type == 'cuda':
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def step_parser(doc, model_choices, default_model='tiny'):
    """The arguments every step benchmark takes: ``--model --size --batch --steps``."""
    import argparse
    parser = argparse.ArgumentParser(description=doc.split('\n')[0])
    parser.add_argument('--model', choices=sorted(model_choices), default=default_model)
    parser.add_argument('--size', type=int, default=256)
    parser.add_argument('--batch', type=int, default=2)
    parser.add_argument('--steps', type=int, default=5)
    return parser


def machine():
    """The machine a figure was taken on: CPU model, cores, torch version and its CPU threads."""
    import os
    import platform

    import torch
    cpu = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as f:
            cpu = next(line.split(':', 1)[1].strip() for line in f if 'model name' in line)
    except (OSError, StopIteration):
        pass
    return (f'{cpu}, {os.cpu_count()} cores, torch {torch.__version__}, '
            f'threads {torch.get_num_threads()}')
