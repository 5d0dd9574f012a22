"""VLTSeg's language-guided Mask2Former head (VLTSeg paper, Sec. 3.3).

Mask2Former (:class:`SlideMask2FormerHead`: mmseg's ``Mask2FormerHead``, itself mmdet's) with two changes that tie the decoder to
a frozen text tower:

- **class logits from text**: a query ``q`` (B, Q, C) is projected to the joint space and
  compared with the class text embeddings ``t_k`` (K, D) and a learned no-object embedding
  ``t_0`` (D): ``logit_{q,k} = cos(W q, t_k) / tau`` for k = 1..K and ``cos(W q, t_0) / tau`` for
  the no-object class (:class:`TextClassifier`), instead of a free linear classifier;
- **pixel-text matching (PTM) loss**: the score map ``S_k(x) = cos(P f(x), t_k) / tau`` between
  projected pixel embeddings ``P f`` and the text embeddings, trained with cross-entropy against
  the label map (weight ``loss_ptm.loss_weight``), as DenseCLIP's auxiliary score-map loss.

Where the paper is silent the choices are documented in docs/vltseg.md and are settings here:
``temperature`` (tau), ``score_map_level`` (which backbone level gives ``f``), ``loss_ptm``.
The pixel projection ``P`` (``pixel_text_proj``: LayerNorm + Linear) has the layout of the CLIP
image tower's own final norm and projection, so the converter can initialize it from the
checkpoint (``tools/model_converters/vfm.py vltseg-eva-clip``).
"""
import torch
import torch.nn.functional as F
from mmseg.models.utils import resize
from mmseg.registry import MODELS
from torch import nn

from ...utils.errors import TextEncoderConfigError
from ..pretrained_parts import load_part, read_part, sub_part
from .slide_mask2former_head import SlideMask2FormerHead


class TextClassifier(nn.Module):
    """Query features (B, Q, C) -> class logits (B, Q, K + 1) against text embeddings (K, D).

    ``logits = normalize(proj(q)) @ normalize([t_1..t_K, t_0])^T / tau``; ``t_0`` (the no-object
    class, last column as Mask2Former expects) is learned. ``text_embeddings`` is set by the head
    before each forward.
    """

    def __init__(self, in_channels, text_dims, temperature):
        super().__init__()
        self.proj = nn.Linear(in_channels, text_dims)
        self.no_object = nn.Parameter(torch.randn(text_dims) * text_dims**-0.5)
        self.temperature = temperature
        self.text_embeddings = None

    def forward(self, queries):
        if self.text_embeddings is None:
            raise RuntimeError('TextClassifier: text embeddings not set (called outside '
                               'VLTSegMask2FormerHead.forward)')
        classes = torch.cat([self.text_embeddings.to(queries.dtype), self.no_object[None]])
        return (F.normalize(self.proj(queries), dim=-1) @ F.normalize(
            classes, dim=-1).t()) / self.temperature

    def extra_repr(self):
        return f'temperature={self.temperature}'


class PixelTextProjection(nn.Module):
    """(B, C, h, w) -> (B, D, h, w): ``linear(norm(f))`` per pixel (the CLIP image tower's final
    norm + projection layout: OpenAI ``ln_post``/``proj``, EVA-CLIP ``norm``/``head``)."""

    def __init__(self, in_channels, text_dims, norm_eps=1e-5):
        super().__init__()
        self.norm = nn.LayerNorm(in_channels, eps=norm_eps)
        self.linear = nn.Linear(in_channels, text_dims)

    def forward(self, x):
        return self.linear(self.norm(x.permute(0, 2, 3, 1))).permute(0, 3, 1, 2)


@MODELS.register_module()
class VLTSegMask2FormerHead(SlideMask2FormerHead):
    """Mask2Former with text-embedding class logits and the pixel-text matching loss.

    Args:
        text_encoder (dict): a frozen :class:`ClassTextEncoder` (its vocabulary: the ``K``
            classes, in label order).
        temperature (float): tau of the class logits and of the score map. Default 0.07 (CLIP's
            initial temperature, DenseCLIP's score-map tau).
        score_map_level (int): index of the backbone feature (``x``) whose pixels are matched with
            the text. Default -1 (the last: the final ViT block, where CLIP's own projection
            applies).
        pixel_norm_eps (float): eps of ``pixel_text_proj``'s LayerNorm (1e-5 OpenAI CLIP, 1e-6
            EVA-CLIP).
        loss_ptm (dict | None): the PTM loss on the score map (upsampled to the label size);
            ``None`` turns it off. Default: cross-entropy, weight 0.4 (DenseCLIP's score-map
            loss weight), averaged over labelled pixels.
        Others: as mmseg's ``Mask2FormerHead``.
    """

    def __init__(self,
                 text_encoder,
                 temperature=0.07,
                 score_map_level=-1,
                 pixel_norm_eps=1e-5,
                 loss_ptm=dict(
                     type='mmseg.CrossEntropyLoss',
                     loss_weight=0.4,
                     avg_non_ignore=True,
                     loss_name='loss_ptm'),
                 **kwargs):
        super().__init__(**kwargs)
        self.text_encoder = MODELS.build(text_encoder)
        self.text_encoder.requires_grad_(False)
        classes = len(self.text_encoder.class_names)
        if classes != self.num_classes:
            raise TextEncoderConfigError(
                f'VLTSegMask2FormerHead: the text encoder has {classes} class names but the head '
                f'predicts num_classes={self.num_classes}; set '
                f'decode_head.text_encoder.vocabulary to the dataset\'s classes')
        text_dims = self.text_encoder.text_projection.shape[1]
        self.temperature = temperature
        self.cls_embed = TextClassifier(kwargs['feat_channels'], text_dims, temperature)
        self.score_map_level = score_map_level
        in_channels = kwargs['in_channels'][score_map_level]
        self.pixel_text_proj = PixelTextProjection(in_channels, text_dims, pixel_norm_eps)
        self.loss_ptm = MODELS.build(loss_ptm) if loss_ptm is not None else None

    def init_weights(self):
        """mmdet's initialization of the Mask2Former parts, then, with ``init_cfg=dict(
        type='Pretrained', checkpoint=FILE, prefix='decode_head.')``, the text tower and the
        pixel projection from the converted file (strict: a file of another CLIP variant is an
        error; mmdet's ``init_weights`` would ignore the ``init_cfg``)."""
        super().init_weights()
        cfg = self.init_cfg if isinstance(self.init_cfg, dict) else {}
        if cfg.get('type') == 'Pretrained':
            prefix = cfg.get('prefix', 'decode_head.')
            part = read_part(cfg['checkpoint'], prefix)  # the file is read once for both
            for name in ('text_encoder', 'pixel_text_proj'):
                load_part(
                    getattr(self, name), sub_part(part, name + '.'),
                    f"{cfg['checkpoint']} ({prefix}{name}.*)", f'decode_head.{name}')

    def class_embeddings(self, device):
        """(K, D) unit-norm text embeddings of the classes (frozen, no gradient)."""
        return self.text_encoder.class_embeddings(device)

    def score_map(self, x):
        """``S`` (B, K, h, w) = cos(pixel_text_proj(x[score_map_level]), t_k) / tau."""
        feat = x[self.score_map_level]
        pixels = F.normalize(self.pixel_text_proj(feat), dim=1)
        text = self.class_embeddings(feat.device).to(pixels.dtype)
        return torch.einsum('bdhw,kd->bkhw', pixels, text) / self.temperature

    def forward(self, x, batch_data_samples):
        self.cls_embed.text_embeddings = self.class_embeddings(x[0].device)
        try:
            return super().forward(x, batch_data_samples)
        finally:
            self.cls_embed.text_embeddings = None

    def loss(self, x, batch_data_samples, train_cfg):
        losses = super().loss(x, batch_data_samples, train_cfg)
        if self.loss_ptm is not None:
            labels = torch.stack([s.gt_sem_seg.data for s in batch_data_samples]).squeeze(1)
            scores = resize(
                self.score_map(x),
                size=labels.shape[-2:],
                mode='bilinear',
                align_corners=self.align_corners)
            losses[self.loss_ptm.loss_name] = self.loss_ptm(
                scores, labels.long(), ignore_index=self.ignore_index)
        return losses
