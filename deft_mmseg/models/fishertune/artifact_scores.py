"""Scores of a sensitivity artifact (:mod:`.artifact_format`): DR-FIM (FisherTune paper Eq. 7 /
15), F (Eq. 9 / 14) and Delta F (Eq. 5) per element, computed when the file is read so that one
estimate serves every score of the Table 4 ablation; and the agreement of the two half-run
estimates."""
from typing import Dict, Optional

import torch
from torch import Tensor

from ...utils.errors import SensitivityConfigError
from .fisher import (BALANCES, EPS, SCORES, combine_terms, drf_terms_from_fisher,
                     drf_terms_from_precisions)
from .stability import rank_agreement


def artifact_scores(artifact: dict,
                    score: str = 'drf',
                    formula: str = 'printed',
                    domain_weight: Optional[float] = None,
                    balance: str = 'mean',
                    eps: float = EPS) -> Dict[str, Tensor]:
    """Per-element scores (dict name -> float32 tensor) from a sensitivity artifact.

    Args:
        score (str): ``'drf'`` (Eq. 7 / 15), ``'fisher'`` (F, Eq. 9 / 14) or ``'delta_fisher'``
            (Delta F, Eq. 5).
        formula (str): for variational estimates, ``'printed'`` or ``'substituted'`` Eq. 15.
        domain_weight (float, optional): overrides the stored Eq. 7 weight.
        balance (str): for ``'drf'``: ``'mean'`` divides the task and the domain term each by its
            mean magnitude over all estimated elements before ``task + weight * domain`` (the
            terms carry different units, see docs/fishertune.md); ``'none'`` adds them as printed.
    """
    if score not in SCORES or score == 'random':
        raise SensitivityConfigError(f'FisherTune score {score!r}: a sensitivity file gives '
                                     f'{[s for s in SCORES if s != "random"]}.')
    if balance not in BALANCES:
        raise SensitivityConfigError(f'FisherTune balance {balance!r}: use one of {BALANCES}.')
    meta = artifact['meta']
    weight = meta['domain_weight'] if domain_weight is None else domain_weight
    terms = {}
    for name, src in artifact['source'].items():
        pert = artifact['perturbed'][name]
        if meta['kind'] == 'precision':
            terms[name] = drf_terms_from_precisions(src, pert, meta['gamma'], meta['tau'], formula,
                                                    eps)
        else:
            terms[name] = drf_terms_from_fisher(src, pert, eps)
    scales = (1.0, 1.0)
    if score == 'drf' and balance == 'mean':
        count = sum(t.numel() for t, _ in terms.values())
        scales = tuple(
            max(sum(float(pair[i].double().abs().sum()) for pair in terms.values()) / count, 1e-30)
            for i in (0, 1))
    return {
        name: combine_terms(task / scales[0], domain / scales[1], weight, score)
        for name, (task, domain) in terms.items()
    }


def artifact_stability(artifact: dict,
                       score: str = 'drf',
                       formula: str = 'printed',
                       domain_weight: Optional[float] = None,
                       balance: str = 'mean',
                       fraction: float = 0.05) -> Optional[Dict[str, float]]:
    """Agreement of the rankings of the estimation run's two halves (on the subsample the
    artifact keeps in ``halves``), as :func:`rank_agreement`; ``None`` for an artifact without
    halves (one batch, or a file of an earlier version). ``score='random'`` has no estimate."""
    halves = artifact.get('halves')
    if halves is None or score == 'random':
        return None
    values = []
    for i in (0, 1):
        part = dict(
            meta=artifact['meta'], source=halves['source'][i], perturbed=halves['perturbed'][i])
        scores = artifact_scores(part, score, formula, domain_weight, balance)
        values.append(torch.cat([scores[n].flatten() for n in sorted(scores)]))
    return rank_agreement(values[0], values[1], fraction)
