"""Read the scalar logs of mmengine runs and plot curves of several runs overlaid."""
import glob
import json
import os
import os.path as osp
import re

from .errors import CurveError

DEFAULT_PATTERNS = (r'^dist_', r'^target/', r'loss', r'avg/mIoU')


def find_scalar_files(run):
    """``scalars.json`` files of a run: the file itself, or ``<work_dir>/*/vis_data/`` inside."""
    if osp.isfile(run):
        return [run]
    files = sorted(
        glob.glob(osp.join(run, '*', 'vis_data', 'scalars.json')) +
        glob.glob(osp.join(run, 'vis_data', 'scalars.json')))
    if not files:
        raise CurveError(f'no vis_data/scalars.json under {run!r}: pass a work dir of a run that '
                         f'used LocalVisBackend (the default of these configs) or the file.')
    return files


def load_curves(run):
    """``{key: [(step, value), ...]}`` from a run (several timestamps of a resumed run merge;
    a later value for the same step wins)."""
    curves = {}
    for path in find_scalar_files(run):
        with open(path) as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                record = json.loads(line)
                step = record.get('step', record.get('iter'))
                for key, value in record.items():
                    if key in ('step', 'iter', 'epoch') or not isinstance(value, (int, float)):
                        continue
                    curves.setdefault(key, {})[step] = float(value)
    return {k: sorted(v.items()) for k, v in curves.items()}


def select_keys(all_keys, keys=None, patterns=DEFAULT_PATTERNS):
    if keys:
        missing = [k for k in keys if k not in all_keys]
        if missing:
            raise CurveError(f'keys {missing} are in no run; available: {sorted(all_keys)}')
        return list(keys)
    return sorted(k for k in all_keys if any(re.search(p, k) for p in patterns))


def plot_runs(runs, out_dir, keys=None, labels=None):
    """One PNG per key under ``out_dir`` with a line per run; returns the written paths."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    labels = labels or [osp.basename(osp.normpath(r)) for r in runs]
    if len(labels) != len(runs):
        raise CurveError(f'{len(labels)} labels for {len(runs)} runs')
    data = [load_curves(r) for r in runs]
    selected = select_keys(set().union(*(d.keys() for d in data)), keys)
    if not selected:
        raise CurveError('none of the default curves (distances, target loss, losses, avg/mIoU) '
                         'is in these runs; name keys with --keys')
    os.makedirs(out_dir, exist_ok=True)
    written = []
    for key in selected:
        fig, ax = plt.subplots(figsize=(6, 4))
        for label, curves in zip(labels, data):
            if key in curves:
                steps, values = zip(*curves[key])
                ax.plot(steps, values, label=label, marker='o' if len(steps) < 30 else None)
        ax.set_xlabel('iteration')
        ax.set_ylabel(key)
        ax.set_title(key)
        ax.grid(alpha=0.3)
        ax.legend()
        path = osp.join(out_dir, re.sub(r'[^\w.-]+', '_', key) + '.png')
        fig.tight_layout()
        fig.savefig(path, dpi=100)
        plt.close(fig)
        written.append(path)
    return written
