"""Variational estimation of the diagonal posterior precision (FisherTune paper, Eq. 10-14)."""
import math

import torch

from .candidates import CandidateLayout
from .fisher import add_squared_gradients

#: how the Lambda-gradient of E_q[L] is estimated (see VariationalPrecision)
CURVATURES = ('hessian', 'fisher')


class VariationalPrecision:
    """Diagonal Gaussian posterior ``q(theta) = N(theta_hat, Lambda^-1)`` fitted by SGVB.

    Minimizes Eq. 11, ``E_q[L(theta)] + gamma * KL(q || p)`` with the prior
    ``p(theta) = N(theta_pt, tau^2 I)`` (Eq. 10), over ``log Lambda`` only: the mean stays at the
    current weights ``theta_hat`` (Alg. 1 step 8 optimizes the covariance). The expectation is
    estimated with the reparameterization trick, ``theta = theta_hat + Lambda^-1/2 * xi``,
    ``xi ~ N(0, I)``; with ``antithetic=True`` each step also evaluates ``theta_hat - Lambda^-1/2 *
    xi`` and averages, which cancels the first-order noise ``g . xi`` of the estimate (a variance
    reduction; the objective is unchanged). The KL term is Eq. 13 for diagonal ``Lambda``::

        KL = 1/2 sum_n (tau^-2 / L_n + tau^-2 (theta_hat_n - theta_pt_n)^2 - 1 + ln tau^2 + ln L_n)

    At the optimum ``Lambda = F / gamma + tau^-2`` (Eq. 14) with ``F`` the diagonal curvature of
    the loss, which is what makes the precisions a Fisher estimate.

    How the gradient of ``E_q[L]`` with respect to ``Lambda`` is estimated (``curvature``):

    - ``'hessian'``: the reparameterization gradient of ``E_q[L]`` itself (SGVB as printed). Its
      expectation is ``-1/2 H_nn / Lambda_n`` (Price's theorem), but one draw of ``xi`` gives
      ``xi_n (H Lambda^-1/2 xi)_n``, whose noise grows with the whole row of the Hessian: on a
      network of 29k weights it ranks no better than chance after hundreds of steps.
    - ``'fisher'``: Eq. 12's Taylor form ``E_q[L] = L(theta_hat) + 1/2 sum_n F_n / Lambda_n``, with
      ``F_n`` the mean squared per-sample gradient at weights drawn from ``q`` (the Gauss-Newton /
      Fisher curvature, as Eq. 12-14 name it; the weight-perturbation estimator of Khan et al.,
      ICML 2018). ``loss_fn`` then returns the per-sample losses. Same optimum form (Eq. 14, with
      the Fisher), far lower noise; costs one backward per sample, as the empirical estimator.

    **Memory** (per estimated element; docs/fishertune.md, "Memory of the estimation"): state
    ``log Lambda`` and Adam's two moments, 12 bytes (float32: see below); during a
    ``'fisher'`` step, the sampled weights (in the parameters' dtype) and the Fisher accumulator,
    which becomes the gradient in place, 8 bytes. The noise is not kept: it is drawn again from
    the generator's saved state for the antithetic member. Per-sample gradients are squared
    into the accumulator one parameter at a time, and the KL term's gradient is taken one
    parameter at a time (:func:`~.fisher.add_squared_gradients`). Everything else is one
    parameter's worth. Only the candidate rows of ``layout`` are estimated; other rows of the
    same parameters stay at ``theta_hat`` in the sampled weights.
    Why float32: ``log Lambda`` is near ``ln tau^-2`` (13.8 for tau = 1e-3), where bfloat16's
    spacing is 0.06 and float16's 0.008, as large as Adam's step (``lr`` = 0.05) and larger than
    the differences the ranking rests on. Adam's second moment decays by ``beta2 = 0.999`` per
    step, a change below half of bfloat16's spacing (2^-9), so it would never decay in bfloat16.
    (``'hessian'`` keeps the graph of the sampled weights and the noise: for small networks.)

    Args:
        params (dict[str, Tensor]): ``theta_hat`` (values are read, never modified).
        gamma (float): weight of the KL term (Eq. 11).
        tau (float): prior standard deviation (Eq. 10).
        anchors (dict[str, Tensor], optional): ``theta_pt``; default ``theta_hat`` (after a decoder
            warm-up on the frozen VFM the two are the same).
        lr (float): Adam learning rate on ``log Lambda``.
        init_precision (float, optional): initial ``Lambda``; default ``tau^-2`` (the optimum when
            the loss has no curvature).
        antithetic (bool): use antithetic noise pairs.
        curvature (str): ``'hessian'`` or ``'fisher'``, see above.
        layout (CandidateLayout, optional): the rows estimated; ``log_precision`` has its compact
            shapes (default: every element, the parameters' shapes).
    """

    def __init__(self,
                 params,
                 gamma,
                 tau,
                 anchors=None,
                 lr=0.05,
                 init_precision=None,
                 antithetic=True,
                 curvature='hessian',
                 layout=None):
        if gamma <= 0 or tau <= 0:
            raise ValueError(f'VariationalPrecision: gamma and tau must be > 0, got gamma={gamma}, '
                             f'tau={tau}')
        self.params = {n: p.detach() for n, p in params.items()}
        self.anchors = self.params if anchors is None else {
            n: a.detach()
            for n, a in anchors.items()
        }
        if curvature not in CURVATURES:
            raise ValueError(f'VariationalPrecision: curvature {curvature!r}, use one of '
                             f'{CURVATURES}')
        self.gamma, self.tau = float(gamma), float(tau)
        self.antithetic = antithetic
        self.curvature = curvature
        self.layout = layout if layout is not None else CandidateLayout({
            n: p.shape
            for n, p in self.params.items()
        })
        init = tau**-2 if init_precision is None else init_precision
        self.log_precision = {
            n:
            torch.full(self.layout.shape(n), math.log(init), dtype=torch.float32,
                       device=p.device).requires_grad_(True)
            for n, p in self.params.items()
        }
        # foreach=False: the foreach implementation makes temporaries of every tensor at once
        self.optimizer = torch.optim.Adam(list(self.log_precision.values()), lr=lr, foreach=False)
        num_elements = self.layout.numel()
        # the terms of Eq. 13 that do not depend on Lambda, computed once
        distance = sum(
            float((self.layout.compact(n, self.params[n]) -
                   self.layout.compact(n, self.anchors[n])).double().pow(2).sum())
            for n in self.params)
        self._kl_constant = 0.5 * (distance * tau**-2 + num_elements * (math.log(tau**2) - 1))

    def _kl_term(self, log_prec):
        """The ``Lambda``-dependent part of Eq. 13 for one tensor."""
        return 0.5 * (self.tau**-2 * torch.exp(-log_prec) + log_prec).sum()

    def kl(self):
        """Eq. 13 (diagonal), a scalar differentiable in ``log Lambda``."""
        total = sum(self._kl_term(log_prec) for log_prec in self.log_precision.values())
        return total + self._kl_constant

    def _noise(self, name, generator):
        param = self.params[name]
        return torch.randn(
            self.layout.shape(name), generator=generator, device=param.device, dtype=torch.float32)

    def _sample_one(self, name, noise, sign):
        """``theta_hat + sign * Lambda^-1/2 * noise`` for one parameter (differentiable in
        ``log Lambda``); rows outside the layout stay at ``theta_hat``."""
        lp = self.log_precision[name]
        param = self.params[name]
        if self.layout.is_whole(name):
            return param + sign * torch.exp(-0.5 * lp) * noise
        rows = self.layout.compact(name, param) + sign * torch.exp(-0.5 * lp) * noise
        return self.layout.with_rows(name, param, rows)

    def sample(self, noise, sign=1.0):
        """``theta_hat + sign * Lambda^-1/2 * noise`` per parameter (differentiable)."""
        return {n: self._sample_one(n, noise[n], sign) for n in self.log_precision}

    def step(self, loss_fn, generator=None):
        """One SGVB step on Eq. 11. ``loss_fn(weights)`` returns the scalar loss with the given
        parameter values substituted (``curvature='fisher'``: a sequence of per-sample scalar
        losses). Returns ``(expected_loss, kl)`` as floats."""
        if generator is None:  # the device's default generator (its state is saved and reused)
            device = next(iter(self.params.values())).device
            generator = torch.default_generator if device.type == 'cpu' else \
                torch.cuda.default_generators[device.index if device.index is not None else
                                              torch.cuda.current_device()]
        signs = (1.0, -1.0) if self.antithetic else (1.0, )
        if self.curvature == 'hessian':
            noise = {n: self._noise(n, generator) for n in self.params}
            expected = sum(loss_fn(self.sample(noise, sign)) for sign in signs) / len(signs)
            kl = self.kl()
            grads = torch.autograd.grad(expected + self.gamma * kl,
                                        list(self.log_precision.values()))
        else:
            grads, expected = self._sampled_fisher(loss_fn, generator, signs)
            kl = 0
            for (name, lp), fisher in zip(self.log_precision.items(), grads):
                # the KL term's gradient one tensor at a time (its graph holds one exp(-lp))
                term = self._kl_term(lp)
                (kl_grad, ) = torch.autograd.grad(self.gamma * term, [lp])
                kl = kl + term.detach()
                # d/d log L_n of 1/2 F_n / L_n (Eq. 12) plus the KL term's gradient, in place in
                # the Fisher accumulator: kl_grad - 0.5 * F * exp(-lp)
                fisher.mul_(0.5).mul_(torch.exp(-lp.detach())).neg_().add_(kl_grad)
            kl = kl + self._kl_constant
        from mmengine import dist
        world = dist.get_world_size()
        for log_prec, grad in zip(self.log_precision.values(), grads):
            if world > 1:  # keep every rank's precision identical: average the gradients
                dist.all_reduce(grad, op='mean')
            log_prec.grad = grad
        del grads
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        if torch.is_tensor(expected):
            expected = expected.detach()
        return float(expected), float(kl.detach() if torch.is_tensor(kl) else kl)

    def _sampled_fisher(self, loss_fn, generator, signs):
        """Mean squared per-sample gradient at ``theta_hat +- Lambda^-1/2 xi`` (a list in the
        order of ``log_precision``, compact shapes), and the mean per-sample loss there. ``xi``
        is drawn from ``generator`` for the first sign and drawn again from the same saved state
        for the second, one parameter at a time."""
        fisher = {
            n: torch.zeros(self.layout.shape(n), dtype=torch.float32, device=p.device)
            for n, p in self.params.items()
        }
        total, count = 0.0, 0
        state = generator.get_state()
        for sign in signs:
            generator.set_state(state)
            weights = {}
            with torch.no_grad():
                for name in self.log_precision:
                    weights[name] = self._sample_one(name, self._noise(name, generator),
                                                     sign).requires_grad_(True)
            loss = None
            for loss in loss_fn(weights):
                add_squared_gradients(loss, weights, fisher, self.layout)
                total += float(loss.detach())
                count += 1
            del weights, loss  # the last loss's graph still refers to the weights
        if count == 0:
            raise RuntimeError("VariationalPrecision(curvature='fisher'): loss_fn returned no "
                               'per-sample loss')
        return [f.div_(count) for f in fisher.values()], total / count

    def precisions(self):
        """dict of ``Lambda`` (float32, detached)."""
        return {n: torch.exp(lp.detach()) for n, lp in self.log_precision.items()}

    def precision_shares(self, factor=1.1):
        """Shares of the estimated elements whose precision is more than ``factor`` times above
        / below the prior's ``tau^-2`` (one tensor at a time): above, the estimate resolves
        curvature; below, it is the estimate's noise (or a negative curvature), which Eq. 14
        turns into a negative Fisher information."""
        prior = self.tau**-2
        above = below = 0
        for lp in self.log_precision.values():
            precision = torch.exp(lp.detach())
            above += int((precision > factor * prior).sum())
            below += int((precision < prior / factor).sum())
        total = max(1, self.layout.numel())
        return above / total, below / total


class IterateAverage:
    """Polyak-Ruppert average of the ``log Lambda`` iterates of a :class:`VariationalPrecision`.

    At a constant Adam learning rate the SGVB iterate keeps fluctuating around the optimum of
    Eq. 11 by about the learning rate per step in ``log Lambda``, element by element, which on a
    ViT is larger than the differences between elements: the last iterate ranks elements nearly
    at random. The mean of the iterates over the end of the run averages that noise out (measured
    in docs/fishertune.md, "Estimator quality"). Memory: one float32 sum per element (float32:
    the iterates differ from each other by about ``lr`` around 13.8, below bfloat16's spacing).
    """

    def __init__(self, log_precision):
        self.sums = {
            n: torch.zeros_like(lp, dtype=torch.float32)
            for n, lp in log_precision.items()
        }
        self.count = 0

    def add(self, log_precision):
        """Add one iterate (dict name -> tensor, detached inside)."""
        for name, lp in log_precision.items():
            self.sums[name].add_(lp.detach())
        self.count += 1

    def mean(self):
        """dict of the mean ``log Lambda`` (float32, new tensors; the sums stay)."""
        if self.count == 0:
            raise RuntimeError('IterateAverage: no iterate was added')
        return {n: (s / self.count).float() for n, s in self.sums.items()}

    def finish(self):
        """dict of the mean ``log Lambda`` computed in place in the sums (no copy; no iterate
        may be added after)."""
        if self.count == 0:
            raise RuntimeError('IterateAverage: no iterate was added')
        return {n: s.div_(self.count) for n, s in self.sums.items()}
