"""Combine per-domain metrics into prefixed keys, an ``avg`` row and a printable table."""
from collections import OrderedDict

from prettytable import PrettyTable

SUMMARY_KEYS = ('mIoU', 'mAcc', 'aAcc')


def summarize_domains(domain_metrics):
    """Turn ``{domain: {metric: value}}`` into (flat prefixed metrics, nested results).

    The flat dict has ``<domain>/<metric>`` for every metric and ``avg/<metric>`` (the unweighted
    mean over domains, as DG papers report) for each of mIoU, mAcc and aAcc. The nested dict is
    ``{domain: {...}, 'avg': {...}}``: what ``multi_domain_results.json`` holds.
    """
    flat, nested = OrderedDict(), OrderedDict()
    for domain, metrics in domain_metrics.items():
        nested[domain] = OrderedDict((k, float(v)) for k, v in metrics.items())
        for key, value in metrics.items():
            flat[f'{domain}/{key}'] = float(value)
    avg = OrderedDict()
    for key in SUMMARY_KEYS:
        values = [m[key] for m in domain_metrics.values() if key in m]
        if values and len(values) == len(domain_metrics):
            avg[key] = round(sum(values) / len(values), 2)
            flat[f'avg/{key}'] = avg[key]
    nested['avg'] = avg
    return flat, nested


def format_domain_table(nested):
    """A table with a row per domain (mIoU, mAcc, aAcc) and the ``avg`` row last."""
    table = PrettyTable()
    table.field_names = ['Domain', *SUMMARY_KEYS]
    for domain, metrics in nested.items():
        table.add_row([domain] + [metrics.get(k, float('nan')) for k in SUMMARY_KEYS])
    return table.get_string()
