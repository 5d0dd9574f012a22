"""Which ViT parameters FisherTune may tune: the Q, K, V and FFN weights of every block (paper
003, Eq. 3), optionally the attention output projection."""
from dataclasses import dataclass

import torch
import torch.nn as nn

from ...utils.errors import SensitivityConfigError

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
        return dict(
            name=self.name, block=self.block, group=self.group, start=self.start, end=self.end)


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
        raise SensitivityConfigError(f'FisherTune groups {tuple(groups)}: use a non-empty subset '
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
                        rows += [
                            CandidateRows(n, index, group, j * dim, (j + 1) * dim)
                            for n, _ in params
                        ]
            elif kind in groups:
                rows += [CandidateRows(n, index, kind, 0, t.shape[0]) for n, t in params]
        if not found_qkv:
            raise SensitivityConfigError(
                f'FisherTune: block {index} of {type(vit).__name__} has no fused attn.qkv '
                f'projection; supported are the mmpretrain ViTs (VisionTransformer, ViTEVA02, '
                f'ViTSAM).')
    return rows


class CandidateLayout:
    """Where the candidate elements lie in the parameters that hold them, so that the estimator
    keeps state for them alone.

    Candidates are rows (dim 0) of their parameters (:class:`CandidateRows`): per parameter the
    layout keeps the sorted, merged row ranges. A parameter whose rows are all candidates (every
    parameter for the default groups, Eq. 3) is *whole*: its compact form is the tensor itself,
    with no copy. Otherwise (e.g. ``groups=('q', 'v')`` on a fused ``qkv``) the compact form is
    the candidate rows stacked, shape ``(rows, *shape[1:])``.

    Args:
        shapes (dict[str, Sequence[int]]): the parameters' shapes.
        ranges (dict[str, Sequence[tuple[int, int]]], optional): candidate rows ``[start, end)``
            per parameter; default: every row of every parameter.
    """

    def __init__(self, shapes, ranges=None):
        self.shapes = {n: torch.Size(s) for n, s in shapes.items()}
        self.ranges = {}
        for name, shape in self.shapes.items():
            rows = shape[0] if len(shape) else 1
            merged = []
            for start, end in sorted(ranges[name] if ranges is not None else [(0, rows)]):
                if merged and start <= merged[-1][1]:
                    merged[-1] = (merged[-1][0], max(merged[-1][1], end))
                else:
                    merged.append((start, end))
            self.ranges[name] = None if merged == [(0, rows)] or not len(shape) else \
                tuple(merged)

    @classmethod
    def from_rows(cls, rows, shapes):
        """The layout of a list of :class:`CandidateRows` over parameters of ``shapes``."""
        ranges = {n: [] for n in shapes}
        for r in rows:
            ranges[r.name].append((r.start, r.end))
        return cls(shapes, ranges)

    def is_whole(self, name):
        return self.ranges[name] is None

    def shape(self, name):
        """Shape of the compact form of parameter ``name``."""
        shape = self.shapes[name]
        if self.is_whole(name):
            return shape
        return torch.Size((sum(e - s for s, e in self.ranges[name]), *shape[1:]))

    def numel(self, name=None):
        """Candidate elements of one parameter, or of all."""
        if name is None:
            return sum(self.numel(n) for n in self.shapes)
        return self.shape(name).numel()

    def compact(self, name, tensor):
        """The candidate rows of a full-shape ``tensor`` (the tensor itself when whole)."""
        if self.is_whole(name):
            return tensor
        return torch.cat([tensor[s:e] for s, e in self.ranges[name]])

    def parts(self, name, compact):
        """``(full_rows, compact_part)`` pairs: which slice of the compact form belongs to which
        rows of the full tensor."""
        if self.is_whole(name):
            return [(slice(None), compact)]
        out, offset = [], 0
        for start, end in self.ranges[name]:
            out.append((slice(start, end), compact[offset:offset + end - start]))
            offset += end - start
        return out

    def expand(self, name, compact, fill):
        """A full-shape tensor with ``compact`` in the candidate rows and ``fill`` elsewhere
        (``compact`` itself when whole)."""
        if self.is_whole(name):
            return compact
        full = torch.full(self.shapes[name], fill, dtype=compact.dtype, device=compact.device)
        for rows, part in self.parts(name, compact):
            full[rows] = part
        return full

    def with_rows(self, name, full, compact):
        """``full`` with its candidate rows replaced by ``compact`` (a new tensor, differentiable
        in both; ``compact`` itself when whole)."""
        if self.is_whole(name):
            return compact
        pieces, offset, row = [], 0, 0
        for start, end in self.ranges[name]:
            pieces += [full[row:start], compact[offset:offset + end - start]]
            offset, row = offset + end - start, end
        pieces.append(full[row:])
        return torch.cat(pieces)

    def compact_index(self, name, index):
        """Flat indices into the full tensor (candidate elements only) as flat indices into the
        compact form."""
        if self.is_whole(name):
            return index
        shape = self.shapes[name]
        per_row = shape[1:].numel()
        row, col = index // per_row, index % per_row
        offset_of_row = torch.full((shape[0], ), -1, dtype=torch.long)
        offset = 0
        for start, end in self.ranges[name]:
            offset_of_row[start:end] = torch.arange(offset, offset + end - start)
            offset += end - start
        compact_row = offset_of_row[row]
        if (compact_row < 0).any():
            raise ValueError(f'CandidateLayout: an index of {name} is not a candidate element')
        return compact_row * per_row + col
