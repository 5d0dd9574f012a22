"""An optimizer-wrapper constructor for models with a frozen part (a VFM trunk, a frozen stage)."""
import logging

import torch.nn as nn
from mmengine.logging import MMLogger, print_log
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapper
from mmseg.registry import OPTIM_WRAPPER_CONSTRUCTORS


class _FrozenParamSkipFilter(logging.Filter):
    """Drops mmengine's per-tensor ``... is skipped since its requires_grad=False`` records and
    counts them."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if 'is skipped since its requires_grad=False' in record.getMessage():
            self.count += 1
            return False
        return True


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class FrozenParamsOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """mmengine's ``DefaultOptimWrapperConstructor``, with the frozen parameters reported in one
    line.

    With a ``paramwise_cfg`` the default constructor leaves every parameter with
    ``requires_grad=False`` out of the optimizer and logs a warning for each (mmengine 0.10.7,
    ``default_constructor.py``, ``add_params``): 52 lines for the demo's tiny Rein model,
    hundreds for a ViT-L trunk, in every training log, burying the lines that matter. The
    parameter groups are exactly the default constructor's; the warnings become one INFO line
    with their number.
    """

    def __call__(self, model: nn.Module) -> OptimWrapper:
        logger = MMLogger.get_current_instance()
        skipped = _FrozenParamSkipFilter()
        logger.addFilter(skipped)
        try:
            optim_wrapper = super().__call__(model)
        finally:
            logger.removeFilter(skipped)
        if skipped.count:
            print_log(
                f'optimizer: {skipped.count} parameter tensors with requires_grad=False '
                f'(frozen) are left out.',
                logger='current')
        return optim_wrapper
