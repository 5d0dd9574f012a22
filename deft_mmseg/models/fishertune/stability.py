"""How far an estimated ranking can be trusted: rank agreement of two estimates of the same
quantity (two halves of one estimation run, two seeds, an estimate and an exact reference).

FisherTune selects the top few percent of elements by score, so what matters is the ranking, not
the values: the Spearman correlation over all elements and the overlap of the two top-``fraction``
sets (chance level: ``fraction``)."""
import torch

#: elements in the subsample on which an estimation run keeps its two half estimates
STABILITY_SAMPLE = 200_000
#: below this top-k overlap between the two halves the log warns that the selection is unreliable
UNSTABLE_OVERLAP = 0.5


def ranks(values):
    """Ranks 0..n-1 of a 1-D tensor (float64; ties broken by position)."""
    order = torch.argsort(values.double(), stable=True)
    out = torch.empty(values.numel(), dtype=torch.float64)
    out[order] = torch.arange(values.numel(), dtype=torch.float64)
    return out


def spearman(a, b):
    """Spearman rank correlation of two 1-D tensors of the same length."""
    ra, rb = ranks(a.flatten()), ranks(b.flatten())
    ra, rb = ra - ra.mean(), rb - rb.mean()
    denom = float(ra.norm() * rb.norm())
    return float((ra * rb).sum()) / denom if denom > 0 else 0.0


def top_overlap(a, b, fraction):
    """``|top(a) & top(b)| / k`` with ``k = max(1, round(fraction * n))`` elements."""
    a, b = a.flatten(), b.flatten()
    k = max(1, int(round(fraction * a.numel())))
    top_a = torch.zeros(a.numel(), dtype=torch.bool)
    top_a[torch.topk(a.double(), k).indices] = True
    return float(top_a[torch.topk(b.double(), k).indices].sum()) / k


def rank_agreement(a, b, fraction=0.05):
    """``dict(spearman=..., top_overlap=..., fraction=..., elements=n)`` of two estimates."""
    return dict(
        spearman=spearman(a, b),
        top_overlap=top_overlap(a, b, fraction),
        fraction=float(fraction),
        elements=int(a.numel()))


def sample_indices(numels, size=STABILITY_SAMPLE, seed=0, eligible=None):
    """A fixed random subsample of flat element indices of several tensors.

    Args:
        numels (dict[str, int]): elements per tensor.
        size (int): total elements drawn (all of them if there are fewer).
        eligible (dict[str, BoolTensor], optional): flat masks of the elements that may be drawn.
    Returns:
        dict[str, LongTensor]: sorted flat indices per tensor; each tensor gets its share of
        ``size`` in proportion to its eligible elements.
    """
    generator = torch.Generator().manual_seed(seed)

    def pool(name):  # built per tensor when drawn (all of ViT-L's would take 2.2 GB as int64)
        if eligible is None:
            return torch.arange(numels[name])
        return eligible[name].flatten().nonzero()[:, 0]

    sizes = {n: (k if eligible is None else int(eligible[n].sum())) for n, k in numels.items()}
    total = sum(sizes.values())
    out = {}
    for name, size_n in sizes.items():
        take = size_n if total <= size else int(round(size * size_n / total))
        pick = torch.randperm(size_n, generator=generator)[:take]
        out[name] = pool(name)[pick].sort().values
    return out


def gather(values, indices, layout=None):
    """``{name: values[name].flatten()[indices[name]]}`` as float32 on the CPU. ``indices`` are
    flat indices into the full parameters; with a :class:`~.candidates.CandidateLayout`,
    ``values`` are in its compact form."""
    out = {}
    for name, idx in indices.items():
        if layout is not None:
            idx = layout.compact_index(name, idx)
        out[name] = values[name].detach().flatten()[idx.to(values[name].device)].float().cpu()
    return out
