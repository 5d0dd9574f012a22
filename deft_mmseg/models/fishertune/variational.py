"""Variational estimation of the diagonal posterior precision (FisherTune paper, Eq. 10-14)."""
import math

import torch

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
    the loss, which is what makes the precisions a Fisher estimate. Memory: ``log Lambda`` and
    Adam's two moments, three float32 tensors per estimated element, plus the noise and the sampled
    weights during a step.

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
    """

    def __init__(self, params, gamma, tau, anchors=None, lr=0.05, init_precision=None,
                 antithetic=True, curvature='hessian'):
        if gamma <= 0 or tau <= 0:
            raise ValueError(f'VariationalPrecision: gamma and tau must be > 0, got gamma={gamma}, '
                             f'tau={tau}')
        self.params = {n: p.detach() for n, p in params.items()}
        self.anchors = self.params if anchors is None else {n: a.detach()
                                                            for n, a in anchors.items()}
        if curvature not in CURVATURES:
            raise ValueError(f'VariationalPrecision: curvature {curvature!r}, use one of '
                             f'{CURVATURES}')
        self.gamma, self.tau = float(gamma), float(tau)
        self.antithetic = antithetic
        self.curvature = curvature
        init = tau**-2 if init_precision is None else init_precision
        self.log_precision = {
            n: torch.full_like(p, math.log(init), dtype=torch.float32).requires_grad_(True)
            for n, p in self.params.items()}
        self.optimizer = torch.optim.Adam(list(self.log_precision.values()), lr=lr)
        num_elements = sum(p.numel() for p in self.params.values())
        # the terms of Eq. 13 that do not depend on Lambda, computed once
        distance = sum(float((self.params[n] - self.anchors[n]).double().pow(2).sum())
                       for n in self.params)
        self._kl_constant = 0.5 * (distance * tau**-2 + num_elements * (math.log(tau**2) - 1))

    def kl(self):
        """Eq. 13 (diagonal), a scalar differentiable in ``log Lambda``."""
        inv_tau2 = self.tau**-2
        total = sum(0.5 * (inv_tau2 * torch.exp(-log_prec) + log_prec).sum()
                    for log_prec in self.log_precision.values())
        return total + self._kl_constant

    def sample(self, noise, sign=1.0):
        """``theta_hat + sign * Lambda^-1/2 * noise`` per parameter (differentiable)."""
        return {n: self.params[n] + sign * torch.exp(-0.5 * lp) * noise[n]
                for n, lp in self.log_precision.items()}

    def step(self, loss_fn, generator=None):
        """One SGVB step on Eq. 11. ``loss_fn(weights)`` returns the scalar loss with the given
        parameter values substituted (``curvature='fisher'``: a sequence of per-sample scalar
        losses). Returns ``(expected_loss, kl)`` as floats."""
        noise = {n: torch.randn(p.shape, generator=generator, device=p.device, dtype=torch.float32)
                 for n, p in self.params.items()}
        signs = (1.0, -1.0) if self.antithetic else (1.0, )
        if self.curvature == 'hessian':
            expected = sum(loss_fn(self.sample(noise, sign)) for sign in signs) / len(signs)
            kl = self.kl()
            grads = torch.autograd.grad(expected + self.gamma * kl,
                                        list(self.log_precision.values()))
        else:
            fisher, expected = self._sampled_fisher(loss_fn, noise, signs)
            kl = self.kl()
            kl_grads = torch.autograd.grad(self.gamma * kl, list(self.log_precision.values()))
            # d/d log L_n of 1/2 F_n / L_n (Eq. 12) plus the KL term's gradient
            grads = [kl_grad - 0.5 * fisher[n] * torch.exp(-lp.detach())
                     for (n, lp), kl_grad in zip(self.log_precision.items(), kl_grads)]
        from mmengine import dist
        world = dist.get_world_size()
        for log_prec, grad in zip(self.log_precision.values(), grads):
            if world > 1:  # keep every rank's precision identical: average the gradients
                dist.all_reduce(grad, op='mean')
            log_prec.grad = grad
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        if torch.is_tensor(expected):
            expected = expected.detach()
        return float(expected), float(kl.detach())

    def _sampled_fisher(self, loss_fn, noise, signs):
        """Mean squared per-sample gradient at ``theta_hat +- Lambda^-1/2 xi``, and the mean
        per-sample loss there."""
        fisher = {n: torch.zeros_like(p, dtype=torch.float32) for n, p in self.params.items()}
        total, count = 0.0, 0
        for sign in signs:
            with torch.no_grad():
                weights = {n: w.detach().requires_grad_(True)
                           for n, w in self.sample(noise, sign).items()}
            for loss in loss_fn(weights):
                grads = torch.autograd.grad(loss, list(weights.values()), allow_unused=True)
                for name, grad in zip(weights, grads):
                    if grad is not None:
                        fisher[name].addcmul_(grad, grad)
                total += float(loss.detach())
                count += 1
        if count == 0:
            raise RuntimeError("VariationalPrecision(curvature='fisher'): loss_fn returned no "
                               'per-sample loss')
        return {n: f / count for n, f in fisher.items()}, total / count

    def precisions(self):
        """dict of ``Lambda`` (float32, detached)."""
        return {n: torch.exp(lp.detach()) for n, lp in self.log_precision.items()}


class IterateAverage:
    """Polyak-Ruppert average of the ``log Lambda`` iterates of a :class:`VariationalPrecision`.

    At a constant Adam learning rate the SGVB iterate keeps fluctuating around the optimum of
    Eq. 11 by about the learning rate per step in ``log Lambda``, element by element, which on a
    ViT is larger than the differences between elements: the last iterate ranks elements nearly
    at random. The mean of the iterates over the end of the run averages that noise out (measured
    in docs/fishertune.md, "Estimator quality"). Memory: one float32 sum per element.
    """

    def __init__(self, log_precision):
        self.sums = {n: torch.zeros_like(lp, dtype=torch.float32)
                     for n, lp in log_precision.items()}
        self.count = 0

    def add(self, log_precision):
        """Add one iterate (dict name -> tensor, detached inside)."""
        for name, lp in log_precision.items():
            self.sums[name].add_(lp.detach())
        self.count += 1

    def mean(self):
        """dict of the mean ``log Lambda`` (float32)."""
        if self.count == 0:
            raise RuntimeError('IterateAverage: no iterate was added')
        return {n: (s / self.count).float() for n, s in self.sums.items()}
