"""Estimate DR-FIM on a segmentor (FisherTune paper, Alg. 1 step 2). The estimate is an artifact
(:mod:`.artifact_format`), scored by :mod:`.artifact_scores`, summarized by
:mod:`.sensitivity_summary`, checked against a model by :mod:`.artifact_check`, and written and
read by ``deft_mmseg.engine.fishertune_artifact``."""
from typing import Callable, Dict, Optional, Tuple

import torch
from mmseg.utils import SampleList
from torch import Tensor, nn
from torch.func import functional_call

from ...utils.errors import SensitivityConfigError
from .artifact_format import ARTIFACT_FORMAT, ARTIFACT_VERSION
from .candidates import CandidateLayout
from .feature_perturbation import FeatureStatsPerturbation
from .fisher import DiagonalFisher
from .stability import gather, sample_indices
from .variational import CURVATURES, IterateAverage, VariationalPrecision

METHODS = ('variational', 'empirical')


def _module(root: nn.Module, path: str) -> nn.Module:
    module = root
    for part in path.split('.'):
        if not hasattr(module, part):
            raise SensitivityConfigError(
                f"FisherTune perturb_at='{path}': the backbone has no module '{part}' there "
                f"(use e.g. 'vit.patch_embed' or 'vit.layers.0').")
        module = getattr(module, part)
    return module


class DRFIMEstimator:
    """Runs the estimation stage of FisherTune on a ``FisherTuneEncoderDecoder``.

    For every batch ``(x, y)`` the simulated unseen-domain batch ``x'`` perturbs the output of
    ``backbone.<perturb_at>`` (default: the patch embedding, i.e. the first ViT features) by
    :class:`FeatureStatsPerturbation` (Eq. 6). Then, with ``method``:

    - ``'variational'`` (the paper's stable estimation, Eq. 10-15): one SGVB step of a
      :class:`VariationalPrecision` on ``x`` and one on ``x'`` (two posteriors, ``Lambda_x`` and
      ``Lambda_x'``). The estimate is the Polyak-Ruppert average of ``log Lambda`` over the last
      ``average`` fraction of the steps (:class:`IterateAverage`): the last iterate of
      constant-rate Adam on the noisy SGVB gradient ranks elements little better than chance
      (docs/fishertune.md, "Estimator quality"). The file stores both precisions.
    - ``'empirical'`` (the "traditional" estimation of Eq. 7 and 9, Fig. 5's baseline): squared
      per-sample gradients accumulated on ``x`` and ``x'``; the file stores both Fisher
      diagonals.

    **Memory** (docs/fishertune.md, "Memory of the estimation"): state is kept for the
    candidate elements only (the rows of the model's ``rows``; other rows of the same
    parameters are not estimated and the file gives them the prior's precision, or F = 0), on
    the parameters' device, at 48 bytes per candidate element for ``'variational'`` with
    ``curvature='fisher'`` (see :class:`VariationalPrecision`; the first chain's result, 8 of
    them, waits on the CPU) and 8 for ``'empirical'``, plus one parameter's worth of
    temporaries and one sample's activations.

    Scores (DR-FIM Eq. 7 / 15, F, Delta F) are computed from the stored pair when loading
    (:func:`artifact_scores`), so one estimate serves every score of the Table 4 ablation.
    The model runs in eval mode (no dropout / drop path) during estimation.

    **Stability.** On a fixed subsample of elements (``sample``) the artifact also keeps the
    estimates of the two halves of the run (``artifact['halves']``: the two halves of the
    averaging window, or of the batches for ``'empirical'``); :func:`artifact_stability` ranks
    both and reports their agreement, which the loop logs.

    Args:
        method (str): ``'variational'`` or ``'empirical'``.
        gamma (float), tau (float): Eq. 10-15; ``gamma * tau^-2`` is the Fisher floor below which
            the variational estimate does not resolve curvature (docs/fishertune.md).
        lr (float): Adam learning rate on ``log Lambda``.
        antithetic (bool): antithetic noise pairs in SGVB.
        average (float): fraction of the variational steps, at the end of each chain, whose
            ``log Lambda`` iterates are averaged into the estimate (0: the last iterate only).
        curvature (str): ``'fisher'`` or ``'hessian'``: how SGVB estimates the
            ``Lambda``-gradient of ``E_q[L]`` (see :class:`VariationalPrecision`).
        noise_std (float): standard deviation of Eq. 6's eps_mu, eps_sigma.
        perturb_at (str): module of the backbone whose output is perturbed.
        domain_weight (float, optional): Eq. 7's ``exp(-(eps_mu + eps_sigma))``; default: from the
            draws made during estimation.
        seed (int): seed of the SGVB noise and of the perturbation draws.
        log_interval (int): iterations between progress lines.
    """

    def __init__(self,
                 method: str = 'variational',
                 gamma: float = 1e-4,
                 tau: float = 1e-3,
                 lr: float = 0.05,
                 antithetic: bool = True,
                 average: float = 0.5,
                 curvature: str = 'fisher',
                 noise_std: float = 1.0,
                 perturb_at: str = 'vit.patch_embed',
                 domain_weight: Optional[float] = None,
                 seed: int = 0,
                 log_interval: int = 50) -> None:
        if method not in METHODS:
            raise SensitivityConfigError(f'FisherTune estimator method {method!r}: use one of '
                                         f'{METHODS}.')
        if gamma <= 0 or tau <= 0:
            raise SensitivityConfigError(f'FisherTune estimator: gamma and tau must be > 0, got '
                                         f'gamma={gamma}, tau={tau}.')
        if not 0 <= average <= 1:
            raise SensitivityConfigError(f'FisherTune estimator: average is the fraction of the '
                                         f'steps averaged, in [0, 1]; got {average}.')
        self.method, self.gamma, self.tau, self.lr = method, float(gamma), float(tau), lr
        if curvature not in CURVATURES:
            raise SensitivityConfigError(f'FisherTune estimator curvature {curvature!r}: use one '
                                         f'of {CURVATURES}.')
        self.average = float(average)
        self.curvature = curvature
        self.antithetic = antithetic
        self.perturbation = FeatureStatsPerturbation(noise_std=noise_std)
        self.perturb_at = perturb_at
        self.domain_weight = domain_weight
        self.seed = seed
        self.log_interval = log_interval

    def estimate(self,
                 model: nn.Module,
                 next_batch: Callable[[], Tuple[Tensor, SampleList]],
                 num_iters: int,
                 log: Callable[[str], None] = print,
                 sample: Optional[Dict[str, Tensor]] = None) -> dict:
        """Estimate on ``num_iters`` batches from ``next_batch()`` (preprocessed
        ``(inputs, data_samples)``); returns the artifact dict (written by
        ``deft_mmseg.engine.fishertune_artifact.save_artifact``).

        ``sample`` (dict name -> flat indices) is the subsample on which the two half estimates
        are kept (default: :func:`sample_indices` over every element)."""
        if num_iters < 1:
            raise SensitivityConfigError(f'FisherTune: estimate_iters must be >= 1, got '
                                         f'{num_iters}.')
        site = _module(model.backbone, self.perturb_at)
        params = model.candidate_parameters()
        shapes = {n: p.shape for n, p in params.items()}
        rows = getattr(model, 'rows', None)
        layout = CandidateLayout(shapes) if rows is None else CandidateLayout.from_rows(
            rows, shapes)
        if sample is None:
            eligible = None
            if not all(layout.is_whole(n) for n in params):
                eligible = {
                    n: layout.expand(n, torch.ones(layout.shape(n), dtype=torch.bool), False)
                    for n in params
                }
            sample = sample_indices({
                n: p.numel()
                for n, p in params.items()
            },
                                    seed=self.seed,
                                    eligible=eligible)
        was_training = model.training
        model.eval()
        try:
            with model.full_loss_mode():
                if self.method == 'variational':
                    source, perturbed, halves = self._variational(model, params, layout, site,
                                                                  next_batch, num_iters, log,
                                                                  sample)
                else:
                    source, perturbed, halves = self._empirical(model, params, layout, site,
                                                                next_batch, num_iters, log, sample)
        finally:
            model.train(was_training)
        weight = (
            self.domain_weight if self.domain_weight is not None else _mean_over_ranks(
                self.perturbation.domain_weight()))
        meta = dict(
            method=self.method,
            kind='precision' if self.method == 'variational' else 'fisher',
            gamma=self.gamma,
            tau=self.tau,
            domain_weight=float(weight),
            iters=int(num_iters),
            perturb_at=self.perturb_at,
            noise_std=self.perturbation.noise_std,
            **model.candidate_meta())
        if self.method == 'variational':
            meta.update(average=self.average, curvature=self.curvature)
        artifact = dict(
            format=ARTIFACT_FORMAT,
            version=ARTIFACT_VERSION,
            meta=meta,
            source={
                n: t.detach().cpu()
                for n, t in source.items()
            },
            perturbed={
                n: t.detach().cpu()
                for n, t in perturbed.items()
            })
        if halves is not None:
            artifact['halves'] = dict(index=sample, source=halves[0], perturbed=halves[1])
        return artifact

    @staticmethod
    def _seeded_loss(model, inputs, samples, weights, seed):
        """The loss with torch's RNG seeded: both evaluations of an antithetic pair then see the
        same random choices inside the loss (Mask2Former samples its mask-loss points)."""
        devices = [torch.cuda.current_device()] if inputs.is_cuda else []
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(seed)
            return DRFIMEstimator._loss(model, inputs, samples, weights)

    @staticmethod
    def _loss(model, inputs, samples, weights=None):
        if weights is None:
            losses = model(inputs, samples, mode='loss')
        else:
            losses = functional_call(
                model, weights, (inputs, samples), dict(mode='loss'), strict=False)
        return sum(v for k, v in losses.items() if 'loss' in k)

    def _variational(self, model, params, layout, site, next_batch, num_iters, log, sample):
        # two independent chains on the two halves of the batches (each with its own posteriors
        # and iterate average): their agreement is the stability figure, their mean the estimate.
        # They run one after the other: only one chain's posteriors are held at a time; a
        # finished chain leaves its mean log Lambda (moved to the CPU, where the artifact keeps
        # it, and summed into the other chain's in place) and its values at the sampled elements.
        bounds = [0, num_iters] if num_iters < 2 else [0, num_iters // 2, num_iters]
        device = next(iter(params.values())).device
        generator = torch.Generator(device=device).manual_seed(self.seed)
        totals, sampled = None, []
        for chain in range(len(bounds) - 1):
            means = self._chain(model, params, layout, site, next_batch, bounds[chain:chain + 2],
                                f'{num_iters} (chain {chain + 1} of {len(bounds) - 1})', generator,
                                log)
            sampled.append([gather(mean, sample, layout) for mean in means])
            if totals is None:
                totals = [{n: v.cpu() for n, v in mean.items()} for mean in means]
            else:
                for domain in (0, 1):
                    for name, total in totals[domain].items():
                        total.add_(means[domain][name].cpu())
            del means
        # the geometric mean of the chains' precisions, in place; rows outside the candidate
        # groups are not estimated: they hold the prior's precision (F = 0, every score 0)
        results = []
        for total in totals:
            results.append({
                n: layout.expand(n,
                                 v.div_(len(sampled)).exp_(), self.tau**-2)
                for n, v in total.items()
            })
        if len(sampled) < 2:
            return results[0], results[1], None
        halves = [
            tuple({
                n: torch.exp(v)
                for n, v in sampled[c][d].items()
            } for c in (0, 1)) for d in (0, 1)
        ]
        return results[0], results[1], halves

    def _chain(self, model, params, layout, site, next_batch, bounds, label, generator, log):
        """One variational chain over the batches ``bounds = [begin, end)``: the posteriors on x
        and x' and their iterate averages, which exist only while it runs. Returns the mean
        ``log Lambda`` per domain, computed in place in the averages' sums (compact, on the
        parameters' device)."""
        posteriors = [
            VariationalPrecision(
                params,
                self.gamma,
                self.tau,
                lr=self.lr,
                antithetic=self.antithetic,
                curvature=self.curvature,
                layout=layout) for _ in range(2)
        ]
        averages = [IterateAverage(p.log_precision) for p in posteriors]
        begin, end = bounds
        window = max(1, int(round(self.average * (end - begin))))
        for it in range(begin, end):
            inputs, samples = next_batch()
            stats = [
                posterior.step(self._loss_fn(model, inputs, samples, site, it, domain), generator)
                for domain, posterior in enumerate(posteriors)
            ]
            if it >= end - window:
                for average, posterior in zip(averages, posteriors):
                    average.add(posterior.log_precision)
            if (it + 1) % self.log_interval == 0 or it + 1 == end:
                above, below = posteriors[0].precision_shares(1.1)
                log(f'FisherTune estimation {it + 1}/{label}: E_q[L] x {stats[0][0]:.4f}, '
                    f"x' {stats[1][0]:.4f}; precision >10% above the prior's for {above:.1%} of "
                    f'elements, below it for {below:.1%}')
        return [average.finish() for average in averages]

    def _loss_fn(self, model, inputs, samples, site, it, domain):
        """The loss of one SGVB step on ``x`` (``domain=0``) or ``x'`` (``domain=1``), given the
        sampled weights. Random choices inside the loss and the x' draws are seeded per step (and
        sample), so both members of an antithetic pair see the same loss and the same x'."""
        seed = self.seed * 1000003 + 2 * it + domain
        perturb = domain == 1
        if self.curvature == 'hessian':

            def loss_fn(weights):
                if not perturb:
                    return self._seeded_loss(model, inputs, samples, weights, seed)
                self.perturbation.seed = seed
                try:
                    with self.perturbation.attached(site):
                        return self._seeded_loss(model, inputs, samples, weights, seed)
                finally:
                    self.perturbation.seed = None

            return loss_fn

        def per_sample_losses(weights):  # curvature='fisher': one loss per sample
            if perturb:  # x' per sample, with the feature uncertainty of the whole batch (Eq. 6)
                with torch.no_grad(), self.perturbation.recording_uncertainty(site):
                    model.backbone(inputs)
            try:
                for i in range(inputs.shape[0]):
                    one = (inputs[i:i + 1], samples[i:i + 1], weights, seed * 131 + i)
                    if not perturb:
                        yield self._seeded_loss(model, *one)
                        continue
                    self.perturbation.seed = one[-1]
                    with self.perturbation.attached(site):
                        loss = self._seeded_loss(model, *one)
                    self.perturbation.seed = None
                    yield loss
            finally:
                self.perturbation.seed = None
                self.perturbation.uncertainty = None

        return per_sample_losses

    def _empirical(self, model, params, layout, site, next_batch, num_iters, log, sample):
        fishers = [DiagonalFisher(params, layout), DiagonalFisher(params, layout)]
        mid = num_iters // 2  # the two halves of the batches, for the stability figure
        first_half = None
        for it in range(num_iters):
            inputs, samples = next_batch()
            for i in range(inputs.shape[0]):
                fishers[0].add_sample_loss(self._loss(model, inputs[i:i + 1], samples[i:i + 1]))
            # x' per sample, with the feature uncertainty of the whole batch (Eq. 6)
            with torch.no_grad(), self.perturbation.recording_uncertainty(site):
                model.backbone(inputs)
            with self.perturbation.attached(site):
                for i in range(inputs.shape[0]):
                    fishers[1].add_sample_loss(self._loss(model, inputs[i:i + 1], samples[i:i + 1]))
            self.perturbation.uncertainty = None
            if it + 1 == mid:
                first_half = [(gather(f.sums, sample, layout), f.count) for f in fishers]
            if (it + 1) % self.log_interval == 0 or it + 1 == num_iters:
                log(f'FisherTune estimation {it + 1}/{num_iters}: {fishers[0].count} samples')
        totals = [(gather(f.sums, sample, layout), f.count) for f in fishers]
        for fisher in fishers:
            fisher.all_reduce()
        # in place in the sums; rows outside the candidate groups are not estimated (F = 0)
        results = [{n: layout.expand(n, v, 0.0) for n, v in f.finish().items()} for f in fishers]
        if first_half is None:
            return results[0], results[1], None
        halves = []
        for (part, count), (total, total_count) in zip(first_half, totals):
            part, count = _sum_over_ranks(part, count)
            total, total_count = _sum_over_ranks(total, total_count)
            halves.append(({
                n: v / count
                for n, v in part.items()
            }, {
                n: (total[n] - part[n]) / (total_count - count)
                for n in part
            }))
        return results[0], results[1], halves


def _sum_over_ranks(values, count):
    """Sum a dict of CPU tensors and a count over distributed ranks (no-op when not
    distributed)."""
    from mmengine import dist
    if dist.get_world_size() == 1:
        return values, count
    names = list(values)
    flat = torch.cat([values[n] for n in names] + [torch.tensor([float(count)])])
    flat = flat.to(dist.get_comm_device())
    dist.all_reduce(flat, op='sum')
    flat = flat.cpu()
    out, offset = {}, 0
    for n in names:
        out[n] = flat[offset:offset + values[n].numel()]
        offset += values[n].numel()
    return out, int(round(float(flat[-1])))


def _mean_over_ranks(value):
    """The mean of a float over distributed ranks (each rank draws its own perturbations), so
    that every rank scores, and selects, identically."""
    from mmengine import dist
    if dist.get_world_size() == 1:
        return value
    tensor = torch.tensor([value], dtype=torch.float64)
    dist.all_reduce(tensor, op='mean')
    return float(tensor.item())
