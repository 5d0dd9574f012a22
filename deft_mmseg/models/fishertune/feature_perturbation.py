"""Simulated unseen-domain features by perturbed feature statistics (FisherTune paper, Eq. 6)."""
import math
from contextlib import contextmanager

import torch


class FeatureStatsPerturbation:
    """Resample per-instance channel statistics of a feature map (FisherTune paper, Eq. 6).

    For features ``x`` of shape (B, N, C) (tokens) or (B, C, H, W) (maps), with per-instance,
    per-channel mean ``mu(x)`` and standard deviation ``sigma(x)`` over the tokens / pixels, the
    uncertainty of each statistic is its standard deviation over the batch (the uncertainty model of
    ref. [33], DSU), ``Sigma_mu`` and ``Sigma_sigma`` of shape (1, C). Then::

        alpha = mu + eps_mu * Sigma_mu,  beta = sigma + eps_sigma * Sigma_sigma,
        x' = beta * (x - mu) / sigma + alpha,     eps_mu, eps_sigma ~ N(0, noise_std^2)

    with one draw per instance and channel. The paper writes eps ~ N(0, 1) (``noise_std=1``).
    Eq. 7 weights the domain term by ``exp(-(eps_mu + eps_sigma))`` where the eps are called "domain
    shift control factors" that grow with the simulated shift: we read them as the *magnitude* of
    the draws and record ``mean |eps_mu|`` and ``mean |eps_sigma|`` of every call
    (:attr:`shift_magnitudes`); see ``docs/fishertune.md``.

    Args:
        noise_std (float): standard deviation of eps_mu and eps_sigma.
        eps (float): added to variances before the square root.
        record (bool): keep the draws' magnitudes for :meth:`domain_weight` (estimation); off for
            the perturbation during training, which runs every iteration.
    """

    def __init__(self, noise_std=1.0, eps=1e-6, record=True):
        if noise_std < 0:
            raise ValueError(f'FeatureStatsPerturbation: noise_std must be >= 0, got {noise_std}')
        self.noise_std = noise_std
        self.eps = eps
        self.record = record
        self.shift_magnitudes = []
        #: when set, the draws of every call come from a generator seeded with it (the same
        #: x' for the two evaluations of an antithetic pair)
        self.seed = None
        #: when set, ``(Sigma_mu, Sigma_sigma)`` used instead of the batch's own (so that
        #: single-sample forwards can be perturbed with the uncertainty of their whole batch)
        self.uncertainty = None

    def batch_uncertainty(self, x):
        """``(Sigma_mu, Sigma_sigma)`` of a batch, each of shape (1, C): the standard deviation
        over the batch of the per-instance channel means and standard deviations."""
        mu, sigma = self._stats(x)
        return ((mu.var(dim=0, keepdim=True, unbiased=False) + self.eps).sqrt(),
                (sigma.var(dim=0, keepdim=True, unbiased=False) + self.eps).sqrt())

    def _stats(self, x):
        if x.dim() == 3:  # (B, N, C): statistics over the tokens
            dims = (1, )
        elif x.dim() == 4:  # (B, C, H, W): over the pixels
            dims = (2, 3)
        else:
            raise ValueError(f'FeatureStatsPerturbation expects (B, N, C) or (B, C, H, W) '
                             f'features, got shape {tuple(x.shape)}')
        mu = x.mean(dim=dims, keepdim=True)
        sigma = (x.var(dim=dims, keepdim=True, unbiased=False) + self.eps).sqrt()
        return mu, sigma

    def __call__(self, x, generator=None):
        """Return x' (same shape as ``x``). Without :attr:`uncertainty`, a batch of one sample
        has no uncertainty and is returned unchanged."""
        if self.uncertainty is None and x.shape[0] == 1:
            return x
        mu, sigma = self._stats(x)
        view = mu.shape
        if self.uncertainty is not None:
            sigma_mu, sigma_sigma = (u.to(x.dtype).view(1, *view[1:]) for u in self.uncertainty)
        else:
            sigma_mu, sigma_sigma = self.batch_uncertainty(x)
        if generator is None and self.seed is not None:
            generator = torch.Generator(device=x.device).manual_seed(int(self.seed))
        eps_mu = torch.randn(
            view, generator=generator, device=x.device, dtype=x.dtype) * self.noise_std
        eps_sigma = torch.randn(
            view, generator=generator, device=x.device, dtype=x.dtype) * self.noise_std
        if self.record:
            self.shift_magnitudes.append(
                (float(eps_mu.abs().mean()), float(eps_sigma.abs().mean())))
        alpha = mu + eps_mu * sigma_mu
        beta = sigma + eps_sigma * sigma_sigma
        return beta * (x - mu) / sigma + alpha

    def domain_weight(self):
        """``exp(-(mean|eps_mu| + mean|eps_sigma|))`` over all calls so far (Eq. 7's factor); the
        expectation ``exp(-2 * noise_std * sqrt(2/pi))`` before any call."""
        if not self.shift_magnitudes:
            return math.exp(-2 * self.noise_std * math.sqrt(2 / math.pi))
        mu = sum(m for m, _ in self.shift_magnitudes) / len(self.shift_magnitudes)
        sigma = sum(s for _, s in self.shift_magnitudes) / len(self.shift_magnitudes)
        return math.exp(-(mu + sigma))

    @contextmanager
    def recording_uncertainty(self, module):
        """Set :attr:`uncertainty` from the output of ``module`` in the forward run inside the
        context (features are not perturbed); it stays set until reset to ``None``."""

        def hook(_, __, output):
            self.uncertainty = self.batch_uncertainty(
                output[0] if isinstance(output, tuple) else output)

        handle = module.register_forward_hook(hook)
        try:
            yield self
        finally:
            handle.remove()

    @contextmanager
    def attached(self, module):
        """Perturb the output of ``module`` (a tensor, or the first item of a tuple, as
        mmpretrain's ``PatchEmbed`` returns ``(tokens, patch_hw)``) while the context is open."""

        def hook(_, __, output):
            if isinstance(output, tuple):
                return (self(output[0]), ) + tuple(output[1:])
            return self(output)

        handle = module.register_forward_hook(hook)
        try:
            yield self
        finally:
            handle.remove()
