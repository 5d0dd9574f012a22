"""The 2-D rotary position embedding of EVA-02 as released (baaivision/EVA,
``VisionRotaryEmbeddingFast``), for any patch grid.

Written here because mmpretrain 1.2.0's ``RotaryEmbeddingFast`` (used by its ``ViTEVA02``) is not
the released one: it tiles the frequencies (``[f0..f15, f0..f15]``) while it rotates interleaved
channel pairs, so a pair is turned by two different angles (not a rotation: ``|q|`` changes), and
it scales positions by ``head_dim / 2`` instead of the pre-training grid. With released EVA02
weights it computes other attention logits than the ones the weights were trained with.
"""
import torch
from torch import nn


def eva02_rope_tables(head_dim, grid, pt_grid=16, theta=10000.):
    """cos/sin tables of EVA-02's rotary embedding on an ``(H, W)`` patch grid.

    The released formula, per axis: ``dim = head_dim // 2`` channels; frequencies
    ``f_i = theta ** (-2i / dim)`` for ``i < dim / 2``; positions ``t = arange(n) / n * pt_grid``
    (the grid is mapped onto the pre-training grid, e.g. 16 for the 224 px / patch-14 models, and
    interpolated to the fine-tuning grid); angles ``t f_i`` repeated for the two channels of each
    interleaved pair (``(n r)`` with ``r = 2``). The first ``dim`` channels take the row (H)
    angles, the last ``dim`` the column (W) angles. For a square grid of the release's
    ``ft_seq_len`` this is its table exactly; other grids (non-square inputs, sliding windows)
    scale each axis to the pre-training grid the same way (timm's ``ref_feat_shape`` reading).

    Returns:
        tuple[Tensor, Tensor]: cos and sin, each (H * W, head_dim), row-major over the grid, in
        float64 (cast to the activations' dtype by :class:`EVA02RotaryEmbedding`).
    """
    dim = head_dim // 2
    freqs = 1. / theta**(torch.arange(0, dim, 2)[:dim // 2].double() / dim)  # (dim/2, )
    axes = []
    for n in grid:
        t = torch.arange(n, dtype=torch.float64) / n * pt_grid
        angles = t[:, None] * freqs[None, :]  # (n, dim/2)
        axes.append(angles.repeat_interleave(2, dim=-1))  # (n, dim): f0 f0 f1 f1 ...
    h, w = grid
    angles = torch.cat(
        [axes[0][:, None, :].expand(h, w, dim), axes[1][None, :, :].expand(h, w, dim)],
        dim=-1)  # (H, W, head_dim)
    angles = angles.reshape(h * w, 2 * dim)
    return angles.cos(), angles.sin()


def rotate_interleaved_pairs(x):
    """``(x0, x1, x2, x3, ...) -> (-x1, x0, -x3, x2, ...)`` along the last axis."""
    pairs = x.unflatten(-1, (-1, 2))
    return torch.stack((-pairs[..., 1], pairs[..., 0]), dim=-1).flatten(-2)


class EVA02RotaryEmbedding(nn.Module):
    """Drop-in for mmpretrain's ``RotaryEmbeddingFast`` in ``ViTEVA02`` (same call:
    ``rope(x, patch_resolution)``), computing the released EVA-02 embedding.

    ``x`` (B, heads, H*W, head_dim) -> ``x * cos + rotate_interleaved_pairs(x) * sin``, with the
    tables of :func:`eva02_rope_tables` for ``patch_resolution`` (cached per grid and device).

    Args:
        head_dim (int): channels per attention head.
        pt_grid (int): the pre-training patch grid (16 for EVA02 / EVA02-CLIP at 224 px, patch 14).
        theta (float): frequency base. Default 10000.
    """

    def __init__(self, head_dim, pt_grid=16, theta=10000.):
        super().__init__()
        if head_dim % 4:
            raise ValueError(f'EVA02RotaryEmbedding: head_dim must be a multiple of 4, got '
                             f'{head_dim}')
        self.head_dim, self.pt_grid, self.theta = head_dim, pt_grid, theta
        self._tables = {}

    def tables(self, grid, device, dtype=torch.float32):
        key = (tuple(grid), str(device), dtype)
        if key not in self._tables:
            cos, sin = eva02_rope_tables(self.head_dim, tuple(grid), self.pt_grid, self.theta)
            self._tables[key] = (cos.to(device, dtype), sin.to(device, dtype))
        return self._tables[key]

    def forward(self, x, patch_resolution):
        cos, sin = self.tables(patch_resolution, x.device, x.dtype)
        return x * cos + rotate_interleaved_pairs(x) * sin

    def extra_repr(self):
        return f'head_dim={self.head_dim}, pt_grid={self.pt_grid}, theta={self.theta}'
