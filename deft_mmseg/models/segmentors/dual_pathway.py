"""DeFT's two-pathway segmentor (DeFT paper, Sec. 3 and Alg. 1-2 of App. A)."""
import copy
from typing import Dict, List, Optional, Tuple, Union

import torch
import torch.nn as nn
from mmseg.models import EncoderDecoder
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.models.segmentors import BaseSegmentor
from mmseg.registry import MODELS
from mmseg.utils import (ConfigType, OptConfigType, OptMultiConfig, OptSampleList, SampleList,
                         add_prefix)
from torch import Tensor

from ...utils.errors import TwoStageConfigError
from .two_stage import TwoStageSegmentor, check_frozen_module_mode, check_neck_part

#: Table 7 of the DeFT paper: which encoder / decoder the model used for inference takes.
FINAL_MODELS = {
    'I': dict(encoder='uc', decoder='uc'),  # e1 + d2
    'II': dict(encoder='uc', decoder='gc'),  # e1 + d~1   (= f1)
    'III': dict(encoder='gc', decoder='uc'),  # e~2 + d2   (= f2)
    'IV': dict(encoder='gc', decoder='gc'),  # e~2 + d~1  (DeFT's final model)
}


def _parse_final_model(final_model: Union[str, dict]) -> Dict[str, str]:
    if isinstance(final_model, str):
        if final_model not in FINAL_MODELS:
            raise TwoStageConfigError(
                f'final_model {final_model!r}: use one of {list(FINAL_MODELS)} '
                f"(Table 7) or dict(encoder='gc'|'uc', decoder='gc'|'uc').")
        return dict(FINAL_MODELS[final_model])
    final_model = dict(final_model)
    if set(final_model) != {'encoder', 'decoder'} or not set(final_model.values()) <= {'gc', 'uc'}:
        raise TwoStageConfigError(f"final_model {final_model!r}: expected dict(encoder='gc'|'uc', "
                                  f"decoder='gc'|'uc') or a Table 7 id {list(FINAL_MODELS)}.")
    return final_model


@MODELS.register_module()
class DualPathwaySegmentor(TwoStageSegmentor, EncoderDecoder):
    """Two encoder-decoder pathways trained by Decoupled FineTuning (DeFT).

    Built from the usual ``EncoderDecoder`` fields. It holds two mmseg ``EncoderDecoder`` s:

    - ``pathway1`` = f1 = d~1 o e1: trainable encoder e1 (UC), EMA decoder d~1 (GC);
    - ``pathway2`` = f2 = d2 o e~2: EMA encoder e~2 (GC), trainable decoder d2 (UC).

    "Encoder" is the backbone, "decoder" the decode head; a neck (if any) belongs to the component
    ``neck_part`` names (by default the decoder; :class:`TwoStageSegmentor`). ``requires_grad`` is
    fixed here, once (DDP and the optimizer need it final): GC parameters never require grad, so
    the optimizer (weight decay and momentum included) never changes them; only
    :class:`CrossEMAHook` does, by Eq. 2.

    Training (``loss``), inputs ``(N, 3, H, W)``:

    - **Warm-up** (Alg. 1) while :attr:`in_warmup`: the decoder d2 learns on the pretrained encoder
      e1, which runs under ``no_grad`` (its weights stay bit-identical). Its train/eval mode is
      ``frozen_module_mode``. Losses are logged as ``warmup.*``.
    - **Decoupled finetuning** (Alg. 2), after :meth:`end_warmup`: L = CE(f1(x)) + CE(f2(x))
      logged as ``f1.*`` and ``f2.*``. Gradients reach e1 (through d~1, which holds none) and d2;
      e~2 runs without an autograd graph.

    Inference (``predict``: mmseg's ``EncoderDecoder.inference``, whole or slide mode) runs the
    encoder and decoder chosen by ``final_model`` (by default d~1 o e~2, Table 7, IV; the warm-up
    model d2 o e1 while :attr:`in_warmup`): the steps mmseg's inference calls,
    :meth:`extract_feat`, :meth:`encode_decode` and :meth:`_forward`, delegate to
    :meth:`inference_modules`, as mmdet's ``SemiBaseDetector`` delegates to its student or teacher.
    ``EncoderDecoder.__init__`` is not called: it would build a third, unused backbone and head.

    Args:
        backbone, decode_head, neck, train_cfg, test_cfg, data_preprocessor, pretrained,
            init_cfg: as mmseg ``EncoderDecoder``. ``auxiliary_head`` is not supported (DeFT paper
            excludes the auxiliary loss, Sec. 4.1).
        final_model (str | dict): ``'IV'`` (default), ``'I'``, ``'II'``, ``'III'`` or
            ``dict(encoder='gc'|'uc', decoder='gc'|'uc')``.
        frozen_module_mode (str): train/eval mode of the encoder e1 while the warm-up freezes it.
            ``'train'`` (default): Alg. 1 line 5 ``freezing_weights(e)`` as the codebase of the
            paper's baselines defines it (shachoi/RobustNet ``network/mynn.py`` ``freeze_weights``
            sets ``requires_grad = False`` only): e1 stays in train mode, normalizes with batch
            statistics and its BN running statistics follow the source data; the stage switch
            then changes no module's mode. ``'eval'``: e1 runs in eval mode during the warm-up
            (ImageNet statistics kept bit-identical) and switches to train mode at
            :meth:`end_warmup` (the mmseg-native configs). GC modules in stage 2 follow
            ``CrossEMAHook(buffer_update=...)`` either way.
        distance_reg (dict, optional): a :class:`ParamDistanceRegularizer` config (Eq. 3) added
            to the decoupled-finetuning loss as ``loss_dist``; by default it covers the usual
            components e1 and d2, anchored when decoupled finetuning starts.
        checkpoint_gc_decoder (bool): recompute d~1's forward during the backward pass instead of
            keeping its activations (``torch.utils.checkpoint``, RNG state preserved, so results
            are unchanged). d~1 holds no gradients of its own; this trades one decoder forward
            for its activation memory. Default False.
        share_frozen_encoder_parts (bool): submodules of the encoder that are frozen from
            construction (e.g. the ViT trunk of a Rein backbone, VLTSeg's frozen text tower in the
            decode head) are built once and shared by
            both pathways, so frozen weights exist once in memory; only the trainable parts
            (Rein layers) are duplicated into UC/GC. Modules with forward hooks (ViTLoRA) are
            not shared. Default True.
        neck_part (str): ``'decoder'`` (default) or ``'encoder'``: the component of the neck, if
            any (:data:`~.two_stage.NECK_PARTS`): it follows that component through the stages,
            the cross EMA (Eq. 2) and the final model.
    """

    def __init__(self,
                 backbone: ConfigType,
                 decode_head: ConfigType,
                 neck: OptConfigType = None,
                 auxiliary_head: OptConfigType = None,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 pretrained: Optional[str] = None,
                 init_cfg: OptMultiConfig = None,
                 final_model: Union[str, dict] = 'IV',
                 frozen_module_mode: str = 'train',
                 distance_reg: OptConfigType = None,
                 share_frozen_encoder_parts: bool = True,
                 checkpoint_gc_decoder: bool = False,
                 neck_part: str = 'decoder') -> None:
        # EncoderDecoder.__init__ would build one more backbone and head; the two pathways are
        # built here instead and inference delegates to them (extract_feat, encode_decode)
        BaseSegmentor.__init__(self, data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if auxiliary_head is not None:
            raise TwoStageConfigError(
                'DualPathwaySegmentor does not support auxiliary_head: DeFT excludes the '
                'auxiliary CE loss (DeFT paper, Sec. 4.1). Remove it from the model config '
                '(e.g. auxiliary_head=None).')
        check_frozen_module_mode(frozen_module_mode, type(self).__name__)
        check_neck_part(neck_part, type(self).__name__)
        self.neck_part = neck_part
        pathway = dict(
            type='EncoderDecoder',
            backbone=copy.deepcopy(backbone),
            decode_head=copy.deepcopy(decode_head),
            neck=copy.deepcopy(neck),
            train_cfg=train_cfg,
            test_cfg=test_cfg,
            pretrained=pretrained)
        if pretrained is not None:
            pathway['backbone']['init_cfg'] = dict(type='Pretrained', checkpoint=pretrained)
            pathway.pop('pretrained')
        self.pathway1 = MODELS.build(copy.deepcopy(pathway))
        shared = self._frozen_encoder_parts() if share_frozen_encoder_parts else {}
        if shared:
            # pathway2 is pathway1 with its frozen encoder parts shared, never allocated twice
            # (init_weights later initializes both pathways as usual)
            self.pathway2 = copy.deepcopy(self.pathway1, {id(m): m for m in shared.values()})
        else:
            self.pathway2 = MODELS.build(copy.deepcopy(pathway))
        self.shared_encoder_parts = sorted(shared)
        if self.pathway1.decode_head.out_channels == 1:
            # mmseg's postprocess_result reads `self.decode_head.threshold` for one-channel heads;
            # this segmentor has two decode heads and no `decode_head` attribute
            raise TwoStageConfigError(
                'DualPathwaySegmentor: one-channel (sigmoid) decode heads are '
                'not supported; use out_channels=num_classes >= 2.')
        self.train_cfg = train_cfg
        self.test_cfg = test_cfg
        self.final_model = _parse_final_model(final_model)
        self.frozen_module_mode = frozen_module_mode
        self.checkpoint_gc_decoder = checkpoint_gc_decoder
        # 0 during warm-up, 1 once decoupled finetuning started; saved in checkpoints.
        self.register_buffer('decoupled_flag', torch.zeros((), dtype=torch.uint8))
        # GC modules' train/eval mode during training, set by CrossEMAHook(buffer_update=...).
        self.gc_train_mode = True
        for module in self.gc_modules():
            module.requires_grad_(False)
        self.distance_reg = None
        if distance_reg is not None:
            self.distance_reg = MODELS.build(distance_reg)
            names = {id(m): n for n, m in self.named_modules()}
            self.distance_reg.bind(self, [names[id(m)] for m in self.uc_modules()])

    def _frozen_encoder_parts(self) -> Dict[str, nn.Module]:
        """``{'backbone.vit': module}``: direct children of pathway1's backbone/neck/decode head
        whose parameters are all frozen from construction (a frozen ViT trunk, VLTSeg's frozen
        text tower ``decode_head.text_encoder``). Modules with forward hooks inside (e.g.
        ViTLoRA's) are not shared: a hook belongs to one pathway's adapter."""
        parts = {}
        for name in ('backbone', 'neck', 'decode_head'):
            encoder = getattr(self.pathway1, name, None)
            if encoder is None:
                continue
            for child, module in encoder.named_children():
                params = list(module.parameters())
                hooked = any(m._forward_hooks or m._forward_pre_hooks for m in module.modules())
                if params and not hooked and not any(p.requires_grad for p in params):
                    parts[f'{name}.{child}'] = module
        return parts

    # ----------------------------------------------------------------------------- components
    def uc_modules(self) -> List[nn.Module]:
        """Usual components: e1 (the encoder of pathway1) and d2 (the decoder of pathway2)."""
        return self.encoder_of(self.pathway1) + self.decoder_of(self.pathway2)

    def gc_modules(self) -> List[nn.Module]:
        """Generalized components: e~2 (the encoder of pathway2), d~1 (the decoder of
        pathway1)."""
        return self.encoder_of(self.pathway2) + self.decoder_of(self.pathway1)

    def cross_pairs(self) -> List[Tuple[nn.Module, nn.Module]]:
        """``(gc_module, uc_module)`` pairs of Eq. 2: (e~2, e1) and (d~1, d2), module by
        module."""
        return list(
            zip(
                self.encoder_of(self.pathway2) + self.decoder_of(self.pathway1),
                self.encoder_of(self.pathway1) + self.decoder_of(self.pathway2)))

    # ---------------------------------------------------- the two-stage contract (TwoStageSegmentor)
    @property
    def in_warmup(self) -> bool:
        """Whether the model is still in the warm-up (Alg. 1); saved as ``decoupled_flag``."""
        return not bool(self.decoupled_flag.item())

    @torch.no_grad()
    def end_warmup(self) -> None:
        """Start decoupled finetuning, Alg. 2 lines 6-10: e1 = e~2 = warmed-up encoder,
        d~1 = d2 = warmed-up decoder.

        Hard-copies parameters *and* buffers (BN statistics) e1 -> e~2 and d2 -> d~1.
        """
        for gc, uc in self.cross_pairs():
            gc.load_state_dict(uc.state_dict())
        self.decoupled_flag.fill_(1)
        if self.distance_reg is not None:
            self.distance_reg.set_anchor()  # W^(0): the weights finetuning starts from
        self.train(self.training)

    second_stage_description = ('DeFT decoupled finetuning starts (e1 = e~2 = warmed-up encoder, '
                                'd~1 = d2 = warmed-up decoder).')

    def inference_modules(self) -> Tuple[EncoderDecoder, EncoderDecoder]:
        """``(encoder pathway, decoder pathway)`` of the model that segments at test time: the
        encoder of the first and the decoder of the second."""
        if self.in_warmup:
            return self.pathway1, self.pathway2  # warm-up model d2 o e1
        enc = self.pathway2 if self.final_model['encoder'] == 'gc' else self.pathway1
        dec = self.pathway1 if self.final_model['decoder'] == 'gc' else self.pathway2
        return enc, dec

    # ------------------------------------ inference: mmseg's EncoderDecoder steps, delegated
    def inference_decode_head(self) -> BaseDecodeHead:
        """The decode head of the model used at inference."""
        return self.inference_modules()[1].decode_head

    # mmseg's EncoderDecoder.inference / slide_inference / postprocess_result read these three
    # attributes of the segmentor; they are those of the inference decode head
    @property
    def align_corners(self) -> bool:
        return self.inference_decode_head().align_corners

    @property
    def num_classes(self) -> int:
        return self.inference_decode_head().num_classes

    @property
    def out_channels(self) -> int:
        return self.inference_decode_head().out_channels

    def extract_feat(self, inputs: Tensor) -> List[Tensor]:
        """``(N, 3, H, W)`` -> what the inference model's decode head reads: the inference
        encoder's multi-level outputs, through the neck of the inference model."""
        enc, dec = self.inference_modules()
        return self.decoder_input(dec, self.encode(enc, inputs))

    def encode_decode(self, inputs: Tensor, batch_img_metas: List[dict]) -> Tensor:
        """``(N, 3, H, W)`` -> ``(N, C, H, W)`` scores of the inference model (mmseg's
        ``whole_inference`` and ``slide_inference`` call this on the image or its windows)."""
        return self.inference_decode_head().predict(
            self.extract_feat(inputs), batch_img_metas, self.test_cfg)

    def _forward(self, inputs: Tensor, data_samples: OptSampleList = None) -> Tensor:
        """The inference model's decode-head output (``mode='tensor'``)."""
        return self.inference_decode_head().forward(self.extract_feat(inputs))

    # ------------------------------------------------------------------------------ training
    def loss(self, inputs: Tensor, data_samples: SampleList) -> Dict[str, Tensor]:
        """Losses of the current stage (see the class docstring)."""
        p1, p2 = self.pathway1, self.pathway2
        if self.in_warmup:
            with torch.no_grad():
                feats = self.encode(p1, inputs)  # frozen pretrained encoder e1
            losses = p2.decode_head.loss(
                self.decoder_input(p2, feats), data_samples, self.train_cfg)
            return add_prefix(losses, 'warmup')
        # e~2 (GC) first, without an autograd graph: its transient activations are freed before
        # f1's graph is built, so they do not add to the step's peak memory
        with torch.no_grad():
            feats2 = self.encode(p2, inputs)
        feats1 = self.encode(p1, inputs)  # e1 (UC)
        losses1 = self._gc_decoder_loss(feats1, data_samples)  # d~1 (GC)
        losses2 = p2.decode_head.loss(self.decoder_input(p2, feats2), data_samples,
                                      self.train_cfg)  # d2
        losses = add_prefix(losses1, 'f1')
        losses.update(add_prefix(losses2, 'f2'))
        if self.distance_reg is not None:
            losses['loss_dist'] = self.distance_reg()
        return losses

    def _gc_decoder_loss(self, feats: List[Tensor], data_samples: SampleList) -> Dict[str, Tensor]:
        """Losses of f1's decoder d~1 (its neck where it is the decoder's, its head) on e1's
        outputs, optionally activation-checkpointed."""
        p1 = self.pathway1
        head = p1.decode_head
        if not self.checkpoint_gc_decoder:
            return head.loss(self.decoder_input(p1, feats), data_samples, self.train_cfg)
        flat, spec = _flatten_feats(feats)
        keys, others = [], {}

        def run(*tensors):
            losses = head.loss(
                self.decoder_input(p1, _unflatten_feats(tensors, spec)), data_samples,
                self.train_cfg)
            keys[:] = [k for k, v in losses.items() if torch.is_tensor(v) and v.requires_grad]
            others.update({k: v for k, v in losses.items() if k not in keys})
            return tuple(losses[k] for k in keys)

        values = torch.utils.checkpoint.checkpoint(run, *flat, use_reentrant=False)
        return {**dict(zip(keys, values)), **others}

    def train(self, mode: bool = True) -> 'DualPathwaySegmentor':
        """Set train/eval mode, keeping frozen or EMA components in the mode DeFT intends.

        Warm-up: the frozen encoder e1 runs in ``frozen_module_mode``. Decoupled: GC modules
        follow ``gc_train_mode`` (see ``CrossEMAHook(buffer_update=...)``).
        """
        super().train(mode)
        if mode:
            if self.in_warmup and self.frozen_module_mode == 'eval':
                for module in self.encoder_of(self.pathway1):
                    module.eval()
            elif not self.in_warmup and not self.gc_train_mode:
                for module in self.gc_modules():
                    module.eval()
        return self

    # --------------------------------------------------------------------------- checkpoints
    def _load_from_state_dict(self, state_dict: Dict[str, Tensor], prefix: str,
                              local_metadata: dict, strict: bool, missing_keys: List[str],
                              unexpected_keys: List[str], error_msgs: List[str]) -> None:
        """Accept plain ``EncoderDecoder`` checkpoints (e.g. exported or warm-up models).

        Keys ``backbone.*``/``neck.*``/``decode_head.*`` are loaded into both pathways (the model
        then counts as not yet decoupled, so it predicts with exactly those weights).
        """
        expand_plain_state_dict(state_dict, prefix)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)

    def describe_final_model(self) -> str:
        enc, dec = self.inference_modules()
        names = {id(self.pathway1): ('e1', 'd~1'), id(self.pathway2): ('e~2', 'd2')}
        return f'{names[id(dec)][1]} o {names[id(enc)][0]}'


def _flatten_feats(feats: Union[List[Tensor], Tuple[List[Tensor], Tensor]]) -> Tuple[tuple, tuple]:
    """Encoder outputs (a list of tensors, or (list, tensor) for Rein) as a flat tuple + spec."""
    if isinstance(feats, (list, tuple)) and len(feats) == 2 and isinstance(feats[0], (list, tuple)):
        return tuple(feats[0]) + (feats[1], ), ('pair', len(feats[0]))
    return tuple(feats), ('list', len(feats))


def _unflatten_feats(tensors: tuple,
                     spec: tuple) -> Union[List[Tensor], Tuple[List[Tensor], Tensor]]:
    kind, n = spec
    return (list(tensors[:n]), tensors[n]) if kind == 'pair' else list(tensors)


def expand_plain_state_dict(state_dict: Dict[str, Tensor], prefix: str = '') -> Dict[str, Tensor]:
    """Turn a plain ``EncoderDecoder`` state dict (``backbone.*``, ``neck.*``, ``decode_head.*``
    under ``prefix``) into DualPathwaySegmentor keys, in place: each weight goes to both pathways
    and ``decoupled_flag`` is 0, so the model predicts with exactly those weights. A state dict
    that already has pathway keys, or no plain ones, is left as it is. Returns ``state_dict``."""
    plain = [
        k for k in state_dict
        if k.startswith(prefix) and k[len(prefix):].split('.')[0] in ('backbone', 'neck',
                                                                      'decode_head')
    ]
    if plain and not any(k.startswith(prefix + 'pathway1.') for k in state_dict):
        for key in plain:
            value = state_dict.pop(key)
            rest = key[len(prefix):]
            state_dict[f'{prefix}pathway1.{rest}'] = value
            state_dict[f'{prefix}pathway2.{rest}'] = value
        state_dict.setdefault(prefix + 'decoupled_flag', torch.zeros((), dtype=torch.uint8))
    return state_dict
