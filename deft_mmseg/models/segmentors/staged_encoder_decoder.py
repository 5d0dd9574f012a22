"""Joint-finetuning baselines of the DeFT paper with an optional decoder warm-up (Tables 1-3, 6)."""
from typing import Dict, List

import torch
import torch.nn as nn
from mmseg.models import EncoderDecoder
from mmseg.registry import MODELS
from mmseg.utils import OptConfigType, SampleList, add_prefix
from torch import Tensor
from torch.func import functional_call

from ...utils.errors import TwoStageConfigError
from .two_stage import TwoStageSegmentor, check_frozen_module_mode, check_neck_part

AFTER_WARMUP = ('joint', 'freeze_encoder', 'freeze_decoder')


@MODELS.register_module()
class StagedEncoderDecoder(TwoStageSegmentor, EncoderDecoder):
    """mmseg ``EncoderDecoder`` trained in two stages by ``TwoStageTrainLoop``.

    Stage 1 (``warmup_iters``) warms up the decoder on the frozen encoder (run under ``no_grad``,
    so its weights stay bit-identical), exactly as DeFT's Alg. 1. Stage 2 depends on
    ``after_warmup``:

    - ``'joint'``: joint finetuning of encoder and decoder (LP-FT; Table 2, Table 3 "Joint
      Finetuning", Table 6 row 4). With ``warmup_iters=0`` it is plain joint finetuning.
    - ``'freeze_encoder'``: only the decoder keeps training (Table 1, "Freezing Encoder").
    - ``'freeze_decoder'``: only the encoder trains; the decoder runs with detached weights (so
      gradients reach the encoder through it while its own weights, momentum and weight decay are
      untouched) (Table 1, "Freezing Decoder").

    The encoder is the backbone, the decoder the decode head; a neck belongs to the component
    ``neck_part`` names (:class:`TwoStageSegmentor`). A frozen module (the encoder in the warm-up
    and under ``'freeze_encoder'``, the decoder under ``'freeze_decoder'``) runs in
    ``frozen_module_mode``.

    ``requires_grad`` is never changed after construction (DDP needs it final): frozen modules just
    receive no gradient, which torch optimizers skip.

    Args:
        after_warmup (str): one of ``'joint'``, ``'freeze_encoder'``, ``'freeze_decoder'``.
        frozen_module_mode (str): ``'train'`` (default): a frozen module stays in train mode
            (batch statistics, BN running statistics follow the source, dropout on), as the
            paper's ``freezing_weights`` = shachoi/RobustNet ``network/mynn.py``
            ``freeze_weights`` (``requires_grad`` off only); the stage switch changes no module's
            mode. ``'eval'``: frozen modules run in eval mode (the mmseg-native configs).
        neck_part (str): ``'decoder'`` (default) or ``'encoder'``: the component of the neck,
            if any (:data:`~.two_stage.NECK_PARTS`).
        distance_reg (dict, optional): :class:`ParamDistanceRegularizer` config (Eq. 3) added in
            stage 2 as ``loss_dist``, anchored when stage 2 starts. Default coverage: the modules
            stage 2 trains (a frozen module must get no gradient at all, or weight decay and
            momentum would move it); covering a frozen module is refused.
        Others: as ``EncoderDecoder``.
    """

    def __init__(self,
                 *args,
                 after_warmup: str = 'joint',
                 frozen_module_mode: str = 'train',
                 distance_reg: OptConfigType = None,
                 neck_part: str = 'decoder',
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        check_neck_part(neck_part, type(self).__name__)
        self.neck_part = neck_part
        if after_warmup not in AFTER_WARMUP:
            raise TwoStageConfigError(f'StagedEncoderDecoder: after_warmup must be one of '
                                      f'{AFTER_WARMUP}, got {after_warmup!r}.')
        check_frozen_module_mode(frozen_module_mode, type(self).__name__)
        self.after_warmup = after_warmup
        self.frozen_module_mode = frozen_module_mode
        self.register_buffer('warmup_done', torch.zeros((), dtype=torch.uint8))
        self.distance_reg = None
        if distance_reg is not None:
            self.distance_reg = MODELS.build(distance_reg)
            neck = ['neck'] if self.with_neck else []
            encoder = ['backbone'] + (neck if neck_part == 'encoder' else [])
            decoder = (neck if neck_part == 'decoder' else []) + ['decode_head']
            frozen = {
                'joint': [],
                'freeze_encoder': encoder,
                'freeze_decoder': decoder
            }[after_warmup]
            trained = [m for m in encoder + decoder if m not in frozen]
            covered = self.distance_reg.module_names or trained
            if set(covered) & set(frozen):
                raise TwoStageConfigError(
                    f'StagedEncoderDecoder: distance_reg covers {sorted(set(covered) & set(frozen))}'
                    f", which after_warmup='{after_warmup}' freezes; its gradient would let weight "
                    f'decay move them. Cover only {trained}.')
            self.distance_reg.bind(self, trained)

    @property
    def in_warmup(self) -> bool:
        """Whether the model is still in the warm-up; saved as ``warmup_done``."""
        return not bool(self.warmup_done.item())

    def end_warmup(self) -> None:
        """Start stage 2 (``after_warmup``); anchors ``distance_reg`` at the current weights."""
        self.warmup_done.fill_(1)
        if self.distance_reg is not None:
            self.distance_reg.set_anchor()
        self.train(self.training)

    @property
    def second_stage_description(self) -> str:
        return f"stage 2 starts ({self.after_warmup.replace('_', ' ')})."

    def frozen_modules(self) -> List[nn.Module]:
        """The modules the current stage freezes (no gradient reaches their weights)."""
        if self.in_warmup or self.after_warmup == 'freeze_encoder':
            return self.encoder_of(self)
        return self.decoder_of(self) if self.after_warmup == 'freeze_decoder' else []

    def train(self, mode: bool = True) -> 'StagedEncoderDecoder':
        """Set train/eval mode; frozen modules run in ``frozen_module_mode``."""
        super().train(mode)
        if mode and self.frozen_module_mode == 'eval':
            for module in self.frozen_modules():
                module.eval()
        return self

    def _frozen_decoder_loss(self, feats: List[Tensor],
                             data_samples: SampleList) -> Dict[str, Tensor]:
        """The decode head's losses on ``feats``, its weights detached: the gradient passes
        through to ``feats`` only."""
        seg_logits = _detached_call(self.decode_head, feats)
        return self.decode_head.loss_by_feat(seg_logits, data_samples)

    def loss_mode(self) -> str:
        """How :meth:`loss` trains now: ``'warmup'``, ``'joint'``, ``'freeze_encoder'``,
        ``'freeze_decoder'`` (the stage), or ``'plain'`` (mmseg's ``EncoderDecoder.loss`` as it
        is, no stage logic and no distance term). Subclasses override this, not :meth:`loss`."""
        return 'warmup' if self.in_warmup else self.after_warmup

    def loss(self, inputs: Tensor, data_samples: SampleList) -> Dict[str, Tensor]:
        """Losses of the current stage (see :meth:`loss_mode`)."""
        mode = self.loss_mode()
        if mode == 'plain':
            return super().loss(inputs, data_samples)
        if mode in ('warmup', 'freeze_encoder'):
            with torch.no_grad():
                feats = self.encode(self, inputs)
            feats = self.decoder_input(self, feats)
            losses = add_prefix(
                self.decode_head.loss(feats, data_samples, self.train_cfg),
                'warmup' if mode == 'warmup' else 'decode')
            if self.with_auxiliary_head:
                losses.update(self._auxiliary_head_forward_train(feats, data_samples))
        elif mode == 'freeze_decoder':
            feats = self.encode(self, inputs)
            if self._neck_in(self, 'decoder'):  # the frozen decoder's neck, weights detached
                feats = _detached_call(self.neck, feats)
            losses = add_prefix(self._frozen_decoder_loss(feats, data_samples), 'decode')
            if self.with_auxiliary_head:
                losses.update(self._auxiliary_head_forward_train(feats, data_samples))
        else:
            losses = super().loss(inputs, data_samples)
        if self.distance_reg is not None and mode != 'warmup':
            losses['loss_dist'] = self.distance_reg()
        return losses


def _detached_call(module: nn.Module, inputs):
    """``module(inputs)`` with its parameters detached (buffers as they are): gradients flow to
    ``inputs`` only."""
    weights = {k: v.detach() for k, v in module.named_parameters()}
    weights.update(dict(module.named_buffers()))
    return functional_call(module, weights, (inputs, ))
