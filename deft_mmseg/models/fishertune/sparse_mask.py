"""Element-wise masked updates: only the selected elements of a parameter ever change."""
import torch


class SparseParameterMask:
    """Select the top-``k`` elements of some parameters by a score and keep all others fixed.

    Two mechanisms, so that unselected elements stay **bit-identical** whatever the optimizer
    does (weight decay, momentum, Adam moments, gradient clipping):

    1. a tensor hook zeroes the gradient of unselected elements during backward (so gradient
       clipping and the optimizer statistics see only the selected ones, and DDP reduces masked
       gradients);
    2. after every optimizer step (:meth:`restore`, registered with
       ``torch.optim.Optimizer.register_step_post_hook``) the unselected elements are copied back
       from a frozen copy, undoing decoupled weight decay or momentum updates.

    The frozen copy is refreshed from the parameters at every :meth:`select`: unselected elements
    never changed, and elements that leave the selection are frozen where they are. Nothing of this
    state needs checkpointing: after a resume the parameters themselves hold it. Written by hand:
    torch / mmengine have element-masked optimizers for neither decoupled weight decay nor
    momentum.

    Args:
        params (dict[str, nn.Parameter]): the maskable parameters.
        scores (dict[str, Tensor]): one score per element (same shapes); ``-inf`` marks elements
            that may never be selected.
        max_k (int, optional): the largest ``k`` that will be selected; only the top ``max_k``
            scores are kept sorted (default: all eligible elements).
    """

    def __init__(self, params, scores, max_k=None):
        if set(params) != set(scores):
            raise ValueError('SparseParameterMask: scores and parameters have different names')
        self.params = dict(params)
        self.scores = {
            n: scores[n].detach().to(self.params[n].device, torch.float32)
            for n in self.params
        }
        for name, param in self.params.items():
            if self.scores[name].shape != param.shape:
                raise ValueError(f'SparseParameterMask: score of {name} has shape '
                                 f'{tuple(self.scores[name].shape)}, parameter '
                                 f'{tuple(param.shape)}')
        flat = torch.cat([s.flatten() for s in self.scores.values()])
        flat = flat[flat > float('-inf')]
        self.num_eligible = flat.numel()
        self.max_k = self.num_eligible if max_k is None else int(max_k)
        if not 0 <= self.max_k <= self.num_eligible:
            raise ValueError(f'SparseParameterMask: max_k={self.max_k} but only '
                             f'{self.num_eligible} eligible elements')
        #: the top max_k eligible scores in descending order: the k-th is the selection threshold
        self._sorted = torch.topk(flat, self.max_k, sorted=True).values
        del flat
        self.masks = {n: torch.zeros_like(p, dtype=torch.bool) for n, p in self.params.items()}
        self.frozen = {n: p.detach().clone() for n, p in self.params.items()}
        self.k = 0
        self._handles = [p.register_hook(self._grad_hook(n)) for n, p in self.params.items()]
        self._step_handles = []

    def _grad_hook(self, name):

        def hook(grad):
            return torch.where(self.masks[name], grad,
                               torch.zeros((), dtype=grad.dtype, device=grad.device))

        return hook

    @torch.no_grad()
    def select(self, k):
        """Select exactly the ``k`` highest-scoring eligible elements (ties broken by parameter
        order, then element order). Returns ``k``."""
        k = int(k)
        if not 0 <= k <= self.max_k:
            raise ValueError(f'SparseParameterMask: cannot select {k} elements (max_k='
                             f'{self.max_k}, {self.num_eligible} eligible)')
        for name, param in self.params.items():
            self.frozen[name].copy_(param)
        if k == 0:
            for mask in self.masks.values():
                mask.zero_()
        else:
            threshold = self._sorted[k - 1]
            for name, score in self.scores.items():  # one pass: everything above the threshold
                torch.gt(score, threshold, out=self.masks[name])
            remaining = k - self.num_selected()
            for name, score in self.scores.items():  # then ties at the threshold, in order
                if remaining == 0:
                    break
                ties = score == threshold
                order = ties.flatten().cumsum(0).view_as(ties)
                take = ties & (order <= remaining)
                remaining -= int(take.sum())
                self.masks[name] |= take
        self.k = k
        return k

    @torch.no_grad()
    def restore(self, *_args, **_kwargs):
        """Copy unselected elements back from the frozen copy (an optimizer step post-hook)."""
        for name, param in self.params.items():
            param.copy_(torch.where(self.masks[name], param, self.frozen[name]))

    def attach_optimizers(self, optimizers):
        """Call :meth:`restore` after every ``step()`` of the given torch optimizers."""
        for optimizer in optimizers:
            self._step_handles.append(optimizer.register_step_post_hook(self.restore))

    def num_selected(self):
        return int(sum(int(m.sum()) for m in self.masks.values()))

    def remove(self):
        """Remove the gradient and optimizer hooks."""
        for handle in self._handles + self._step_handles:
            handle.remove()
        self._handles, self._step_handles = [], []
