"""Variational estimation of the diagonal posterior precision (FisherTune paper, Eq. 10-14)."""
import math

import torch


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
    """

    def __init__(self, params, gamma, tau, anchors=None, lr=0.05, init_precision=None,
                 antithetic=True):
        if gamma <= 0 or tau <= 0:
            raise ValueError(f'VariationalPrecision: gamma and tau must be > 0, got gamma={gamma}, '
                             f'tau={tau}')
        self.params = {n: p.detach() for n, p in params.items()}
        self.anchors = self.params if anchors is None else {n: a.detach()
                                                            for n, a in anchors.items()}
        self.gamma, self.tau = float(gamma), float(tau)
        self.antithetic = antithetic
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
        parameter values substituted. Returns ``(expected_loss, kl)`` as floats."""
        noise = {n: torch.randn(p.shape, generator=generator, device=p.device, dtype=torch.float32)
                 for n, p in self.params.items()}
        expected = loss_fn(self.sample(noise))
        if self.antithetic:
            expected = 0.5 * (expected + loss_fn(self.sample(noise, -1.0)))
        kl = self.kl()
        objective = expected + self.gamma * kl
        grads = torch.autograd.grad(objective, list(self.log_precision.values()))
        from mmengine import dist
        world = dist.get_world_size()
        for log_prec, grad in zip(self.log_precision.values(), grads):
            if world > 1:  # keep every rank's precision identical: average the gradients
                dist.all_reduce(grad, op='mean')
            log_prec.grad = grad
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        return float(expected.detach()), float(kl.detach())

    def precisions(self):
        """dict of ``Lambda`` (float32, detached)."""
        return {n: torch.exp(lp.detach()) for n, lp in self.log_precision.items()}
