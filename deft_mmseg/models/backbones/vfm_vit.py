"""mmpretrain Vision Transformers (DINOv2, CLIP, MAE, EVA02, SAM) as segmentation encoders, with
an optional frozen trunk, Rein layers (Rein paper) and other PEFT methods."""
from typing import Sequence

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmpretrain.models.utils import resize_pos_embed
from mmseg.registry import MODELS
from mmseg.utils import ConfigType, OptConfigType

from ..fishertune.feature_perturbation import FeatureStatsPerturbation
from ..peft.base import BlockPEFT
from ..pretrained_parts import check_part_fits, read_part
from .eva02_attention import use_released_eva02_attention
from .eva02_rope import EVA02RotaryEmbedding

#: the LayerNorm of the EVA-02 release (baaivision/EVA, EVA-02/asuka/modeling_finetune.py,
#: ``eva02_large_patch14_xattn_fusedLN_NaiveSwiGLU_subln_RoPE``:
#: ``norm_layer=partial(FusedLayerNorm, eps=1e-6)``), which every shipped EVA02 config sets;
#: mmpretrain's ``ViTEVA02`` defaults to ``dict(type='LN')`` (eps 1e-5)
EVA02_NORM_CFG = dict(type='LN', eps=1e-6)


class _TrainingPerturbation:
    """Forward hook: perturb a module's output while ``owner`` is in training mode, with
    probability ``prob`` per forward. An object, not a closure, so that a deep copy of the backbone
    (EMA copies, DeFT's pathways) perturbs according to its own mode."""

    def __init__(self, owner, perturbation, prob):
        self.owner, self.perturbation, self.prob = owner, perturbation, prob

    def __call__(self, module, args, output):
        if not self.owner.training or self.prob == 0 or float(torch.rand(())) >= self.prob:
            return None
        if isinstance(output, tuple):  # mmpretrain's PatchEmbed: (tokens, patch_hw)
            return (self.perturbation(output[0]), ) + tuple(output[1:])
        return self.perturbation(output)


@MODELS.register_module()
class VFMVisionTransformer(BaseModule):
    """An mmpretrain ``VisionTransformer`` giving multi-scale feature maps.

    The ViT's blocks are run one by one so that, with ``reins``, the Rein layers refine each
    block's output (Rein paper). Supported: ``VisionTransformer`` (DINOv2, CLIP, MAE),
    ``ViTEVA02`` (blocks take the patch grid for their rotary embeddings) and ``ViTSAM`` (no
    class token, blocks work on (B, H, W, C) with windowed attention; its channel-reduction neck
    is not used). Outputs of the blocks in ``out_indices`` (patch tokens, shape
    (B, C, H/p, W/p)) are rescaled by ``scales`` with parameter-free bilinear interpolation (the
    official Rein release does the same) to give a pyramid for Mask2Former / necks.

    Args:
        vit (dict): the mmpretrain ViT, e.g. ``dict(type='mmpretrain.VisionTransformer',
            arch='large', patch_size=14, layer_scale_init_value=1e-5)`` (DINOv2-L). An EVA02
            trunk without ``norm_cfg`` gets the release's LayerNorm (:data:`EVA02_NORM_CFG`, eps
            1e-6) in all its norms, the released attention's included.
        out_indices (Sequence[int]): blocks whose outputs are returned.
        scales (Sequence[float]): rescaling factor per output; default (4, 2, 1, 0.5) gives
            strides p/4, p/2, p, 2p.
        freeze_vit (bool): freeze the ViT (``requires_grad=False`` from construction, eval mode).
        reins (dict, optional): a ``Reins`` / ``LoRAReins`` config; its parameters are the only
            trainable ones of a frozen trunk. With ``link_token_to_query`` the forward returns
            ``(features, queries)`` for ``ReinMask2FormerHead``.
        peft (dict, optional): another parameter-efficient method run block by block
            (``ViTLoRA``, ``ViTAdaptFormer``, ``ViTDeepPrompt``; see ``models/peft``).
        eva02_rope (dict, optional): for ``ViTEVA02`` trunks, the rotary embedding as released
            (:class:`EVA02RotaryEmbedding`, default ``dict(pt_grid=16)``) replaces mmpretrain's,
            which is not the released one (see ``eva02_rope.py``). ``None`` keeps mmpretrain's
            (it does not reproduce released EVA02 weights).
        feature_perturbation (dict, optional): feature perturbation during training (FP, the
            FisherTune paper's Table 5, after its ref. [33], DSU): in training mode, with
            probability ``prob`` per forward, the output of ``vit.<at>`` (default the patch
            embedding) gets resampled per-instance channel statistics
            (:class:`FeatureStatsPerturbation`, ``noise_std``). Keys: ``prob`` (default 0.5),
            ``at`` (default ``'patch_embed'``), ``noise_std`` (default 1.0). A batch of one image
            per GPU has no batch statistics to draw from and is left unchanged.
    """

    def __init__(self,
                 vit: ConfigType,
                 out_indices: Sequence[int] = (7, 11, 15, 23),
                 scales: Sequence[float] = (4, 2, 1, 0.5),
                 freeze_vit: bool = True,
                 reins: OptConfigType = None,
                 peft: OptConfigType = None,
                 eva02_rope: OptConfigType = dict(pt_grid=16),
                 eva02_attention: OptConfigType = dict(inner_attn_ln=False),
                 feature_perturbation: OptConfigType = None,
                 init_cfg: OptConfigType = None) -> None:
        super().__init__(init_cfg)
        if len(scales) != len(out_indices):
            raise ValueError(f'VFMVisionTransformer: {len(scales)} scales for '
                             f'{len(out_indices)} out_indices')
        from mmpretrain.models import ViTEVA02, ViTSAM
        vit_cls = MODELS.get(vit['type']) if isinstance(vit['type'], str) else vit['type']
        extra = dict(out_channels=0) if issubclass(vit_cls, ViTSAM) else dict(final_norm=False)
        if issubclass(vit_cls, ViTEVA02):
            # one eps for every norm of the trunk, the released attention's included: the
            # config's, else the release's (not mmpretrain's default)
            vit = dict(vit, norm_cfg=vit.get('norm_cfg', EVA02_NORM_CFG))
        self.vit = MODELS.build(dict(vit, out_type='featmap', **extra))
        self.family = ('sam' if isinstance(self.vit, ViTSAM) else
                       'eva02' if isinstance(self.vit, ViTEVA02) else 'vit')
        if self.family == 'eva02' and eva02_attention is not None:
            use_released_eva02_attention(self.vit, norm_cfg=vit['norm_cfg'], **eva02_attention)
        if self.family == 'eva02' and eva02_rope is not None:
            self._use_released_eva02_rope(eva02_rope)
        num_layers = len(self.vit.layers)
        self.out_indices = [i if i >= 0 else num_layers + i for i in out_indices]
        if max(self.out_indices) >= num_layers:
            raise ValueError(f'VFMVisionTransformer: out_indices {out_indices} beyond the '
                             f'{num_layers} blocks of the ViT')
        self.scales = tuple(scales)
        self.freeze_vit = freeze_vit
        if freeze_vit:
            self.vit.requires_grad_(False)
        self.reins = MODELS.build(reins) if reins is not None else None
        if self.reins is not None and self.reins.num_layers != num_layers:
            raise ValueError(f'Reins num_layers={self.reins.num_layers} but the ViT has '
                             f'{num_layers} blocks')
        self.peft = MODELS.build(peft) if peft is not None else None
        if self.peft is not None:
            if self.family not in type(self.peft).families:
                raise ValueError(
                    f'{type(self.peft).__name__} rewrites the ViT block and supports '
                    f'{type(self.peft).families} trunks, not {type(self.vit).__name__} '
                    f"('{self.family}'); ViTLoRA and Reins work with all.")
            self.peft.attach(self.vit)
        self._attach_feature_perturbation(feature_perturbation)

    def _attach_feature_perturbation(self, cfg):
        self.feature_perturbation = None
        if cfg is None:
            return
        cfg = dict(cfg)
        unknown = sorted(set(cfg) - {'prob', 'at', 'noise_std'})
        if unknown:
            raise ValueError(
                f'VFMVisionTransformer feature_perturbation: unknown key(s) {unknown}; '
                f"known: ['prob', 'at', 'noise_std']")
        prob = float(cfg.get('prob', 0.5))
        if not 0 <= prob <= 1:
            raise ValueError(f'VFMVisionTransformer feature_perturbation: prob must be in [0, 1], '
                             f'got {prob}')
        site = self.vit
        for part in cfg.get('at', 'patch_embed').split('.'):
            if not hasattr(site, part):
                raise ValueError(f"VFMVisionTransformer feature_perturbation: the ViT has no "
                                 f"module '{cfg.get('at')}' (use e.g. 'patch_embed' or "
                                 f"'layers.0')")
            site = getattr(site, part)
        perturbation = FeatureStatsPerturbation(noise_std=cfg.get('noise_std', 1.0), record=False)
        self.feature_perturbation = dict(
            prob=prob, at=cfg.get('at', 'patch_embed'), noise_std=perturbation.noise_std)
        site.register_forward_hook(_TrainingPerturbation(self, perturbation, prob))

    def _use_released_eva02_rope(self, rope_cfg):
        """Swap mmpretrain's rotary embedding (shared by every block) for the released one."""
        rope = EVA02RotaryEmbedding(self.vit.embed_dims // self.vit.num_heads, **rope_cfg)
        self.vit.rope = rope
        for layer in self.vit.layers:
            layer.attn.rope = rope

    def init_weights(self):
        """With ``init_cfg=dict(type='Pretrained', ...)``, refuse a file whose ``vit.*`` weights do
        not fit this trunk (mmengine would load it with ``strict=False`` and only log), then load
        the weights already read (position and relative-position tables are resized by
        mmpretrain's load hooks; Rein / PEFT parameters keep their own initialization)."""
        cfg = self.init_cfg if isinstance(self.init_cfg, dict) else {}
        if cfg.get('type') != 'Pretrained':
            return super().init_weights()
        part = read_part(cfg['checkpoint'], cfg.get('prefix') or '')
        resized = [k for k in self.state_dict() if k.endswith('pos_embed') or 'rel_pos' in k]
        check_part_fits(
            self,
            part,
            cfg['checkpoint'],
            'the ViT trunk (backbone.vit)',
            under='vit.',
            resized=resized)
        self.init_cfg = None  # children's own initialization, without a second read of the file
        try:
            super().init_weights()
        finally:
            self.init_cfg = cfg
        self.load_state_dict(part, strict=False)

    @property
    def embed_dims(self):
        return self.vit.embed_dims

    def train(self, mode=True):
        super().train(mode)
        if self.freeze_vit:
            self.vit.eval()
        return self

    def forward(self, x):
        """(B, 3, H, W) -> list of (B, C, H/p*s, W/p*s) [, queries (m, Q)]."""
        vit = self.vit
        batch = x.shape[0]
        tokens, hw = vit.patch_embed(x)  # (B, N, C)
        if self.family == 'sam':
            num_extra = 0
            if vit.use_abs_pos:
                tokens = vit.drop_after_pos(tokens + resize_pos_embed(
                    vit.pos_embed.flatten(1, 2),
                    vit.patch_resolution,
                    hw,
                    mode=vit.interpolate_mode,
                    num_extra_tokens=0))
        else:
            num_extra = vit.num_extra_tokens if vit.cls_token is not None else 0
            if vit.cls_token is not None:
                tokens = torch.cat((vit.cls_token.expand(batch, -1, -1), tokens), dim=1)
            tokens = tokens + resize_pos_embed(
                vit.pos_embed,
                vit.patch_resolution,
                hw,
                mode=vit.interpolate_mode,
                num_extra_tokens=num_extra)
            tokens = vit.pre_norm(vit.drop_after_pos(tokens))
        outs = []
        for i, layer in enumerate(vit.layers):
            if self.peft is not None and self.family in ('vit', 'eva02'):
                tokens = self.peft.block(layer, tokens, i, num_extra,
                                         hw if self.family == 'eva02' else None)
            elif self.family == 'sam':
                tokens = layer(tokens.view(batch, *hw, -1)).view(batch, -1, tokens.shape[-1])
            elif self.family == 'eva02':
                tokens = layer(tokens, hw)
            else:
                tokens = layer(tokens)
            if self.reins is not None:
                tokens = self.reins(tokens, i, batch_first=True, has_cls_token=num_extra > 0)
            if i in self.out_indices:
                patches = tokens[:, num_extra:]
                outs.append(patches.transpose(1, 2).reshape(batch, -1, *hw).contiguous())
        outs = [
            o if s == 1 else F.interpolate(o, scale_factor=s, mode='bilinear', align_corners=False)
            for o, s in zip(outs, self.scales)
        ]
        if self.reins is not None and self.reins.link_token_to_query:
            return outs, self.reins.queries()
        return outs
