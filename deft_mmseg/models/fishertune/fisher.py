"""Diagonal Fisher information and the DR-FIM scores of the FisherTune paper (Eq. 5, 7, 9, 14, 15)."""
import torch

#: the paper's epsilon of Eq. 5 / 7 / 15
EPS = 1e-8
SCORES = ('drf', 'fisher', 'delta_fisher', 'random')
#: 'printed': Eq. 15 exactly as written; 'substituted': Eq. 14 put into Eq. 7 term by term
DRF_FORMULAS = ('printed', 'substituted')
#: 'mean': each DR-FIM term divided by its mean magnitude before the weighted sum; 'none': as printed
BALANCES = ('mean', 'none')


def add_squared_gradients(loss, tensors, sums, layout=None):
    """``sums[n] += grad_n ** 2`` for the gradient of the scalar ``loss`` with respect to each
    leaf tensor of ``tensors`` (dict name -> tensor), on the candidate rows of ``layout``
    (:class:`~.candidates.CandidateLayout`; default: every element).

    Each gradient is squared into its sum as soon as backward has computed it and dropped right
    after (``loss.backward(inputs=...)`` with post-accumulate-grad hooks), so one parameter's
    gradient is alive at a time, not the gradients of all of them as with
    ``torch.autograd.grad`` (which returns them together). The values are the same. Gradients
    already held by the tensors (``.grad``) are set aside and restored; no other tensor's
    ``.grad`` is touched. Tensors the loss does not reach add nothing."""
    handles, held = [], {}

    def hook(name):

        def square_into_sum(tensor):
            grad = tensor.grad
            tensor.grad = None
            if layout is None:
                sums[name].addcmul_(grad, grad)
                return
            for rows, part in layout.parts(name, sums[name]):
                part.addcmul_(grad[rows], grad[rows])

        return square_into_sum

    try:
        for name, tensor in tensors.items():
            held[name], tensor.grad = tensor.grad, None
            handles.append(tensor.register_post_accumulate_grad_hook(hook(name)))
        loss.backward(inputs=list(tensors.values()))
    finally:
        for handle in handles:
            handle.remove()
        for name, grad in held.items():
            tensors[name].grad = grad


class DiagonalFisher:
    """Empirical diagonal Fisher information (FisherTune paper, Eq. 8-9).

    ``F_n = 1/N sum_i (d L(f(x_i), y_i) / d theta_n)^2`` over the N samples added with
    :meth:`add_sample_loss`, each loss computed from one sample alone (per-sample gradients, not
    the gradient of a batch mean). Labels are the ground truth (the ``F(x, y)`` of Eq. 5/7; see
    docs/fishertune.md).

    Memory: one float32 sum per candidate element (``layout``), and one parameter's gradient at a
    time (:func:`add_squared_gradients`).

    Args:
        params (dict[str, Tensor]): the parameters (requiring grad) to estimate for.
        layout (CandidateLayout, optional): the candidate rows; the sums have its compact shapes
            (default: every element, the parameters' shapes).
    """

    def __init__(self, params, layout=None):
        self.params = dict(params)
        self.layout = layout
        self.sums = {
            n:
            torch.zeros(
                p.shape if layout is None else layout.shape(n),
                dtype=torch.float32,
                device=p.device)
            for n, p in self.params.items()
        }
        self.count = 0

    def add_sample_loss(self, loss):
        """Accumulate the squared gradient of one sample's scalar loss."""
        add_squared_gradients(loss, self.params, self.sums, self.layout)
        self.count += 1

    def all_reduce(self):
        """Sum accumulators and counts over distributed ranks (no-op when not distributed)."""
        from mmengine import dist
        if dist.get_world_size() > 1:
            for tensor in self.sums.values():
                dist.all_reduce(tensor, op='sum')
            count = torch.tensor(float(self.count), device=next(iter(self.sums.values())).device)
            dist.all_reduce(count, op='sum')
            self.count = int(count.item())

    def result(self):
        """dict of F (float32, new tensors; the sums stay)."""
        if self.count == 0:
            raise RuntimeError('DiagonalFisher: no sample was added')
        return {n: s / self.count for n, s in self.sums.items()}

    def finish(self):
        """dict of F computed in place in the sums (no copy; no sample may be added after)."""
        if self.count == 0:
            raise RuntimeError('DiagonalFisher: no sample was added')
        return {n: s.div_(self.count) for n, s in self.sums.items()}


def delta_fisher(f_src, f_pert, eps=EPS):
    """Eq. 5: ``|F(x) - F(x')| / (min(F(x), F(x')) + eps)`` element-wise."""
    return (f_src - f_pert).abs() / (torch.minimum(f_src, f_pert) + eps)


def drf_terms_from_fisher(f_src, f_pert, eps=EPS):
    """The task and domain terms of Eq. 7: ``(F(x), DeltaF)`` (DeltaF of Eq. 5)."""
    return f_src, delta_fisher(f_src, f_pert, eps)


def drf_terms_from_precisions(prec_src, prec_pert, gamma, tau, formula='printed', eps=EPS):
    """The task and domain terms of DR-FIM from the posterior precisions (Eq. 14, 15).

    ``formula='printed'`` splits Eq. 15 as the paper prints it,
    ``DRF = gamma * (L_x - tau^-2) + weight * gamma * |L_x - L_x'| / (min(L_x, L_x') + eps / gamma)``;
    ``'substituted'`` puts Eq. 14 (``F = gamma * (L - tau^-2)``) into Eq. 7 term by term, which
    differs from the printed form by a factor gamma on the domain term and by ``gamma * tau^-2``
    in its denominator (docs/fishertune.md). There F is clamped at 0: a precision below the
    prior's (the estimate's noise; about half the elements of an untrained model) would give a
    negative Fisher information, and Eq. 5's ratio of such values is negative, infinite or NaN.
    """
    if formula not in DRF_FORMULAS:
        raise ValueError(f'drf formula {formula!r}: use one of {DRF_FORMULAS}')
    if formula == 'substituted':
        return drf_terms_from_fisher(
            fisher_from_precision(prec_src, gamma, tau).clamp_min(0),
            fisher_from_precision(prec_pert, gamma, tau).clamp_min(0), eps)
    domain = gamma * (prec_src - prec_pert).abs() / (
        torch.minimum(prec_src, prec_pert) + eps / gamma)
    return fisher_from_precision(prec_src, gamma, tau), domain


def combine_terms(task, domain, weight, score='drf'):
    """``'drf'``: ``task + weight * domain`` (Eq. 7 / 15); ``'fisher'``: the task term;
    ``'delta_fisher'``: the domain term (the Table 4 ablations)."""
    if score == 'fisher':
        return task.clone()
    if score == 'delta_fisher':
        return domain.clone()
    return task + weight * domain


def drf_from_fisher(f_src, f_pert, weight, score='drf', eps=EPS):
    """Eq. 7: ``DRF = F(x) + weight * DeltaF`` with ``weight = exp(-(eps_mu + eps_sigma))``;
    ``score`` as :func:`combine_terms`."""
    return combine_terms(*drf_terms_from_fisher(f_src, f_pert, eps), weight, score)


def fisher_from_precision(precision, gamma, tau):
    """Eq. 14: ``F = gamma * Lambda - gamma * tau^-2`` (diagonal precision ``Lambda``)."""
    return gamma * (precision - tau**-2)


def drf_from_precisions(prec_src,
                        prec_pert,
                        gamma,
                        tau,
                        weight,
                        score='drf',
                        formula='printed',
                        eps=EPS):
    """DR-FIM from the learned posterior precisions on x and x' (Eq. 15); ``formula`` as
    :func:`drf_terms_from_precisions`, ``score`` as :func:`combine_terms`."""
    return combine_terms(*drf_terms_from_precisions(prec_src, prec_pert, gamma, tau, formula, eps),
                         weight, score)
