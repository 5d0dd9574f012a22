"""The contract between two-stage segmentors and the loop and hooks that drive them.

``TwoStageTrainLoop`` (engine) runs a warm-up stage, then calls :meth:`end_warmup` and runs the
second stage; the hooks read the model used at inference through :meth:`inference_modules`, and
the export writes :meth:`final_model_state_dict`. Every segmentor with stages inherits this class
(``DualPathwaySegmentor``, ``StagedEncoderDecoder`` and through it ``FisherTuneEncoderDecoder``);
the engine and hooks check ``isinstance(model, TwoStageSegmentor)`` instead of probing attributes.
"""
from typing import Dict, Tuple

from mmseg.models import EncoderDecoder
from torch import Tensor

from ...utils.errors import TwoStageConfigError

#: top-level state-dict prefixes of the exported plain ``EncoderDecoder`` (the auxiliary head only
#: trains, the export drops it)
PLAIN_PARTS = ('backbone', 'neck', 'decode_head')

#: train/eval mode of a module whose weights a stage freezes (``frozen_module_mode``):
#: ``'train'`` = RobustNet's ``freeze_weights`` (``requires_grad`` off only, the module keeps
#: training-mode normalization and dropout), ``'eval'`` = the module runs in eval mode.
FROZEN_MODULE_MODES = ('train', 'eval')


def check_frozen_module_mode(mode: str, owner: str) -> None:
    """Raise ``TwoStageConfigError`` unless ``mode`` is one of :data:`FROZEN_MODULE_MODES`."""
    if mode not in FROZEN_MODULE_MODES:
        raise TwoStageConfigError(
            f"{owner}: frozen_module_mode must be 'train' (the paper's freezing_weights: weights "
            f"fixed, batch statistics) or 'eval' (mmseg-native: eval mode), got {mode!r}.")


class TwoStageSegmentor:
    """Mixin for an mmseg ``EncoderDecoder`` subclass trained in two stages."""

    @property
    def in_warmup(self) -> bool:
        """Whether the model is still in its first stage (saved in the checkpoint)."""
        raise NotImplementedError

    def end_warmup(self) -> None:
        """Switch to the second stage (called once by the loop, never again on resume)."""
        raise NotImplementedError

    #: one line the loop logs when the second stage starts
    second_stage_description = 'stage 2 starts.'

    def inference_modules(self) -> Tuple[EncoderDecoder, EncoderDecoder]:
        """``(encoder, decoder)``: the modules that segment at test time; ``encoder`` has
        ``.backbone`` (and ``.neck``), ``decoder`` has ``.decode_head``."""
        return self, self

    def final_model_state_dict(self) -> Dict[str, Tensor]:
        """The plain ``EncoderDecoder`` state dict of the model used at inference (export)."""
        return {
            k: v.detach().clone()
            for k, v in self.state_dict().items() if k.split('.')[0] in PLAIN_PARTS
        }

    def describe_final_model(self) -> str:
        return type(self).__name__
