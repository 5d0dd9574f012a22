"""The summary of a sensitivity artifact that ``tools/plot_sensitivity.py`` draws (FisherTune
paper Fig. 6; :mod:`.sensitivity_plot`): the mean score per ViT block and Q/K/V/FFN group,
written next to the artifact as ``SUMMARY_FILE``."""
from typing import Sequence

from .artifact_scores import artifact_scores


def block_group_summary(artifact: dict,
                        scores: Sequence[str] = ('fisher', 'delta_fisher', 'drf'),
                        formula: str = 'printed',
                        balance: str = 'mean') -> dict:
    """Mean score per (group, block) for each score: ``{score: {group: [mean per block]}}``
    (the data of the FisherTune paper Fig. 6), plus ``num_blocks``."""
    rows = artifact['meta']['rows']
    num_blocks = 1 + max(r['block'] for r in rows)
    groups = sorted({r['group'] for r in rows}, key=['q', 'k', 'v', 'ffn', 'proj'].index)
    summary = dict(num_blocks=num_blocks, method=artifact['meta']['method'])
    for score in scores:
        values = artifact_scores(artifact, score, formula, balance=balance)
        sums = {g: [0.0] * num_blocks for g in groups}
        counts = {g: [0] * num_blocks for g in groups}
        for r in rows:
            part = values[r['name']][r['start']:r['end']]
            sums[r['group']][r['block']] += float(part.double().sum())
            counts[r['group']][r['block']] += part.numel()
        summary[score] = {g: [s / max(1, c) for s, c in zip(sums[g], counts[g])] for g in groups}
    return summary
