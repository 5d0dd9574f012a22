"""Mixed precision on machines without a GPU: bfloat16 autocast on the CPU.

mmengine's ``AmpOptimWrapper`` asserts a CUDA/NPU/MLU/MUSA device, so ``--amp`` on a CPU-only
machine stops with a traceback. ``tools/train.py --amp`` uses this wrapper there instead.
"""
from contextlib import contextmanager

import torch
from mmengine.optim import OptimWrapper

from mmseg.registry import OPTIM_WRAPPERS


@OPTIM_WRAPPERS.register_module()
class CPUBF16OptimWrapper(OptimWrapper):
    """``OptimWrapper`` whose forward runs under ``torch.autocast('cpu', torch.bfloat16)``.

    bfloat16 has float32's exponent range, so no loss scaling is needed (unlike float16 AMP);
    parameters, gradients and optimizer states stay float32.
    """

    @contextmanager
    def optim_context(self, model):
        with super().optim_context(model), torch.autocast('cpu', dtype=torch.bfloat16):
            yield
