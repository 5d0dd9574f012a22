"""Kept for imports written before the loop got its neutral name
(``deft_mmseg.engine.two_stage_train_loop.TwoStageTrainLoop``; ``DeFTTrainLoop`` is an alias)."""
from .two_stage_train_loop import (STAGES, DeFTConfigError, DeFTTrainLoop,  # noqa: F401
                                   TwoStageTrainLoop, resolve_stage_schedulers)

__all__ = ['STAGES', 'DeFTConfigError', 'DeFTTrainLoop', 'TwoStageTrainLoop',
           'resolve_stage_schedulers']
