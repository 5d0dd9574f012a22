"""Which ViT parameters FisherTune may tune: the Q, K, V and FFN weights of every block (paper
003, Eq. 3), optionally the attention output projection."""
from dataclasses import dataclass

import torch.nn as nn

from ...utils.errors import FisherTuneConfigError  # noqa: F401  (re-exported)

#: parameter groups of a ViT block; Eq. 3 lists q, k, v and ffn
GROUPS = ('q', 'k', 'v', 'ffn', 'proj')
DEFAULT_GROUPS = ('q', 'k', 'v', 'ffn')


@dataclass
class CandidateRows:
    """Rows ``[start, end)`` (dim 0) of parameter ``name`` that belong to ``group`` of ``block``.

    A fused ``qkv`` projection (weight (3C, C), bias (3C,)) gives three entries (Q, K, V rows);
    an FFN linear layer gives one entry covering the whole parameter.
    """
    name: str
    block: int
    group: str
    start: int
    end: int

    def as_dict(self):
        return dict(name=self.name, block=self.block, group=self.group, start=self.start,
                    end=self.end)


def _block_linears(block):
    """(group, qualified name, Linear) for the attention and FFN linears of one block.

    mmpretrain's ViT blocks (VisionTransformer, ViTEVA02, ViTSAM) all keep the fused ``attn.qkv``
    and ``attn.proj`` projections; the FFN is ``ffn`` (FFN: ``layers.0.0``, ``layers.1``) or
    ``mlp`` (EVA02's SwiGLU ``w12``/``w3``, SAM's FFN). Norms and layer scales are not weights of
    Eq. 3 and are never candidates.
    """
    for name, module in block.named_modules():
        if not isinstance(module, nn.Linear):
            continue
        if name == 'attn.qkv':
            yield 'qkv', name, module
        elif name == 'attn.proj':
            yield 'proj', name, module
        elif name.split('.')[0] in ('ffn', 'mlp'):
            yield 'ffn', name, module


def candidate_rows(vit, groups=DEFAULT_GROUPS, prefix=''):
    """List the :class:`CandidateRows` of an mmpretrain ViT (``vit.layers`` are its blocks).

    Args:
        vit (nn.Module): the ViT (``VFMVisionTransformer.vit``).
        groups (Sequence[str]): subset of ``GROUPS``.
        prefix (str): prepended to parameter names (e.g. ``'backbone.vit.'``).
    """
    unknown = set(groups) - set(GROUPS)
    if unknown or not groups:
        raise FisherTuneConfigError(f'FisherTune groups {tuple(groups)}: use a non-empty subset '
                                    f'of {GROUPS}.')
    rows = []
    for index, block in enumerate(vit.layers):
        found_qkv = False
        for kind, name, linear in _block_linears(block):
            params = [(f'{prefix}layers.{index}.{name}.{p}', t)
                      for p, t in linear.named_parameters(recurse=False)]
            if kind == 'qkv':
                found_qkv = True
                dim = linear.out_features // 3
                for j, group in enumerate('qkv'):
                    if group in groups:
                        rows += [CandidateRows(n, index, group, j * dim, (j + 1) * dim)
                                 for n, _ in params]
            elif kind in groups:
                rows += [CandidateRows(n, index, kind, 0, t.shape[0]) for n, t in params]
        if not found_qkv:
            raise FisherTuneConfigError(
                f'FisherTune: block {index} of {type(vit).__name__} has no fused attn.qkv '
                f'projection; supported are the mmpretrain ViTs (VisionTransformer, ViTEVA02, '
                f'ViTSAM).')
    return rows
