"""The contract between two-stage segmentors and the loop and hooks that drive them.

``TwoStageTrainLoop`` (engine) runs a warm-up stage, then calls :meth:`end_warmup` and runs the
second stage; the hooks read the model used at inference through :meth:`inference_modules`, and
the export writes :meth:`final_model_state_dict`. Every segmentor with stages inherits this class
(``DualPathwaySegmentor``, ``StagedEncoderDecoder`` and through it ``FisherTuneEncoderDecoder``);
the engine and hooks check ``isinstance(model, TwoStageSegmentor)`` instead of probing attributes.
"""
from typing import Dict, List, Tuple

import torch.nn as nn
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

#: the component a neck belongs to in the stages (``neck_part``): ``'decoder'`` = it trains with
#: the decode head in the warm-up and follows it in DeFT's cross EMA; ``'encoder'`` = mmseg's
#: ``extract_feat`` grouping (backbone + neck), frozen with the backbone in the warm-up
NECK_PARTS = ('decoder', 'encoder')


def check_frozen_module_mode(mode: str, owner: str) -> None:
    """Raise ``TwoStageConfigError`` unless ``mode`` is one of :data:`FROZEN_MODULE_MODES`."""
    if mode not in FROZEN_MODULE_MODES:
        raise TwoStageConfigError(
            f"{owner}: frozen_module_mode must be 'train' (the paper's freezing_weights: weights "
            f"fixed, batch statistics) or 'eval' (mmseg-native: eval mode), got {mode!r}.")


def check_neck_part(part: str, owner: str) -> None:
    """Raise ``TwoStageConfigError`` unless ``part`` is one of :data:`NECK_PARTS`."""
    if part not in NECK_PARTS:
        raise TwoStageConfigError(
            f"{owner}: neck_part must be 'decoder' (the neck trains with the head in the warm-up) "
            f"or 'encoder' (frozen with the backbone), got {part!r}.")


class TwoStageSegmentor:
    """Mixin for an mmseg ``EncoderDecoder`` subclass trained in two stages.

    "Encoder" and "decoder" are the two components the stages treat differently (the DeFT paper's
    e and d). The backbone is the encoder, the decode head the decoder; a neck (if any) is the
    component named by ``neck_part`` (:data:`NECK_PARTS`), which subclasses take as an argument:

    - ``'decoder'`` (default): the neck is randomly initialized in every shipped config (a
      pretrained checkpoint covers the backbone; e.g. ``MultiLevelNeck`` on a VFM), and the
      warm-up exists to train what pretraining did not make (DeFT paper Alg. 1: decoder warm-up
      on the pretrained encoder; FisherTune's warm-up trains Mask2Former's pixel decoder, which
      sits in the head). The DeFT paper's own networks (DeepLabv3+ on a ResNet) have no neck.
    - ``'encoder'``: mmseg's ``extract_feat`` grouping (backbone + neck): for a neck that comes
      pretrained with the backbone.
    """

    #: the component of the neck (:data:`NECK_PARTS`); subclasses set it from their argument
    neck_part = 'decoder'

    def _neck_in(self, net: EncoderDecoder, part: str) -> bool:
        return net.with_neck and self.neck_part == part

    def encoder_of(self, net: EncoderDecoder) -> List[nn.Module]:
        """The encoder of the encoder-decoder ``net`` (``self`` or a pathway): its backbone, and
        its neck where ``neck_part='encoder'``."""
        return [net.backbone] + ([net.neck] if self._neck_in(net, 'encoder') else [])

    def decoder_of(self, net: EncoderDecoder) -> List[nn.Module]:
        """The decoder of ``net``: its neck where ``neck_part='decoder'``, and its decode head."""
        return ([net.neck] if self._neck_in(net, 'decoder') else []) + [net.decode_head]

    def encode(self, net: EncoderDecoder, inputs: Tensor) -> List[Tensor]:
        """``(N, 3, H, W)`` -> the encoder's outputs of ``net`` (the backbone's levels, through
        the neck where it is the encoder's)."""
        feats = net.backbone(inputs)
        return net.neck(feats) if self._neck_in(net, 'encoder') else feats

    def decoder_input(self, net: EncoderDecoder, feats: List[Tensor]) -> List[Tensor]:
        """What ``net``'s decode head reads from the encoder's outputs ``feats``: them, through
        the neck where it is the decoder's."""
        return net.neck(feats) if self._neck_in(net, 'decoder') else feats

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
        """``(encoder, decoder)``: the encoder-decoders whose encoder (:meth:`encoder_of`) and
        decoder (:meth:`decoder_of`) segment at test time."""
        return self, self

    def inference_components(self) -> Dict[str, List[nn.Module]]:
        """``{'encoder': [modules], 'decoder': [modules]}`` of the model used at inference."""
        enc, dec = self.inference_modules()
        return dict(encoder=self.encoder_of(enc), decoder=self.decoder_of(dec))

    def inference_plain_parts(self) -> Dict[str, nn.Module]:
        """``{'backbone', 'neck' (if any), 'decode_head'}``: the modules of the model used at
        inference under the names of a plain ``EncoderDecoder`` (the neck from the pathway of
        its component)."""
        enc, dec = self.inference_modules()
        parts = dict(backbone=enc.backbone)
        if enc.with_neck:
            parts['neck'] = (enc if self.neck_part == 'encoder' else dec).neck
        parts['decode_head'] = dec.decode_head
        return parts

    def final_model_state_dict(self) -> Dict[str, Tensor]:
        """The plain ``EncoderDecoder`` state dict of the model used at inference (export:
        ``backbone.*``, ``neck.*``, ``decode_head.*``)."""
        return {
            f'{name}.{k}': v.detach().clone()
            for name, module in self.inference_plain_parts().items()
            for k, v in module.state_dict().items()
        }

    def describe_final_model(self) -> str:
        return type(self).__name__
