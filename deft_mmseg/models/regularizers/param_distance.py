"""Distance-to-initialization regularizer (DeFT paper, Eq. 3)."""
import torch
from mmseg.registry import MODELS
from torch import nn


@MODELS.register_module()
class ParamDistanceRegularizer(nn.Module):
    """R(W) = alpha * sum_l ||W_l - W_l^(0)|| (Eq. 3): a sum of norms, not of squares.

    Each parameter tensor of the covered modules is a "layer" W_l: the norm is the Frobenius norm
    for matrices and kernels (all entries) and the Euclidean norm for vectors (biases, norm
    affine). The anchors W^(0) are copies taken when finetuning starts (after the decoder
    warm-up, or at the first training step without one); they are persistent buffers without
    gradients, so checkpoints save them and ``--resume`` restores them. At zero distance the
    gradient is 0 (torch's norm backward), never NaN.

    The owning segmentor calls :meth:`bind` with its parameters; ``modules`` selects which.

    Args:
        alpha (float): weight of the term. The DeFT paper does not state its value; default 1e-3.
        modules (list[str], optional): attribute paths of the segmentor's modules to cover (e.g.
            ``['backbone', 'decode_head']``); default: the segmentor's trainable components
            (joint: encoder and decoder; DeFT: the usual components e1 and d2).
    """

    def __init__(self, alpha=1e-3, modules=None):
        super().__init__()
        if alpha < 0:
            raise ValueError(f'ParamDistanceRegularizer: alpha must be >= 0, got {alpha}')
        self.alpha = float(alpha)
        self.module_names = list(modules) if modules is not None else None
        self._params = []  # [(name, Parameter)]: references, not submodules
        self.register_buffer('anchored', torch.zeros((), dtype=torch.uint8))

    @staticmethod
    def _buffer_name(param_name):
        return 'anchor__' + param_name.replace('.', '__')

    def bind(self, owner, default_modules):
        """Collect the trainable parameters of ``owner``'s covered modules and make buffers for
        their anchors (zeros until :meth:`set_anchor`)."""
        names = self.module_names if self.module_names is not None else default_modules
        self._params = []
        for name in names:
            module = owner.get_submodule(name)
            for pname, param in module.named_parameters():
                if param.requires_grad:
                    full = f'{name}.{pname}'
                    self._params.append((full, param))
                    self.register_buffer(self._buffer_name(full), torch.zeros_like(param.data))
        if not self._params:
            raise ValueError(f'ParamDistanceRegularizer: no trainable parameters in {names}')

    @property
    def is_anchored(self):
        return bool(self.anchored.item())

    @torch.no_grad()
    def set_anchor(self):
        """W^(0) <- the current weights."""
        for name, param in self._params:
            getattr(self, self._buffer_name(name)).copy_(param.detach())
        self.anchored.fill_(1)

    def anchors(self):
        return [getattr(self, self._buffer_name(name)) for name, _ in self._params]

    def distances(self):
        """Per-layer ||W_l - W_l^(0)||, shape (L,), differentiable w.r.t. W."""
        return torch.stack(
            [torch.linalg.vector_norm(p - a) for (_, p), a in zip(self._params, self.anchors())])

    def forward(self):
        """alpha * sum_l ||W_l - W_l^(0)|| (a 0-dim tensor)."""
        if not self.is_anchored:
            raise RuntimeError('ParamDistanceRegularizer used before set_anchor()')
        return self.alpha * self.distances().sum()
