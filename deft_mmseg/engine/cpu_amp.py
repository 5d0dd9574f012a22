"""Mixed precision on machines without a GPU: bfloat16 autocast on the CPU.

mmengine's ``AmpOptimWrapper`` asserts a CUDA/NPU/MLU/MUSA device, so ``--amp`` on a CPU-only
machine stops with a traceback. ``tools/train.py --amp`` uses this wrapper there instead.
"""
from contextlib import contextmanager
from typing import Iterator

import torch
import torch.nn as nn
from mmengine.optim import OptimWrapper
from mmseg.registry import OPTIM_WRAPPERS


@OPTIM_WRAPPERS.register_module()
class CPUBF16OptimWrapper(OptimWrapper):
    """``OptimWrapper`` whose forward runs under ``torch.autocast('cpu', torch.bfloat16)``.

    bfloat16 has float32's exponent range, so no loss scaling is needed (unlike float16 AMP);
    parameters, gradients and optimizer states stay float32.
    """

    @contextmanager
    def optim_context(self, model: nn.Module) -> Iterator[None]:
        with super().optim_context(model), torch.autocast('cpu', dtype=torch.bfloat16):
            yield


def cpu_has_bf16_instructions() -> bool:
    """Whether this CPU computes in bfloat16 natively (x86 ``avx512_bf16`` or ``amx_bf16``; read
    from ``/proc/cpuinfo``, so ``False`` where that file does not exist). Without them bfloat16
    autocast is emulated and slower than float32 (see docs/checkpoints.md)."""
    try:
        with open('/proc/cpuinfo') as f:
            flags = f.read()
    except OSError:
        return False
    return 'avx512_bf16' in flags or 'amx_bf16' in flags
