"""Draw FisherTune's parameter sensitivity per block and Q/K/V/FFN group (FisherTune paper, Fig. 6),
from the summary ``deft_mmseg.engine.fishertune_artifact.load_summary`` reads."""

TITLES = {'fisher': 'F (FIM)', 'delta_fisher': 'Delta F (cross-domain change)', 'drf': 'DR-FIM'}
GROUP_LABELS = {'q': 'Q', 'k': 'K', 'v': 'V', 'ffn': 'FFN', 'proj': 'proj'}


def summary_table(summary, score):
    """Text table: one row per group, one column per block."""
    blocks = summary['num_blocks']
    lines = [
        f'{TITLES.get(score, score)} ({summary.get("method", "")} estimate), mean per '
        f'element', 'group ' + ' '.join(f'{b:>9d}' for b in range(blocks))
    ]
    for group, values in summary[score].items():
        lines.append(f'{group:<5} ' + ' '.join(f'{v:9.2e}' for v in values))
    return '\n'.join(lines)


def plot_sensitivity(summary, out, scores=('fisher', 'delta_fisher', 'drf')):
    """One panel per score: bars over [Q blocks 0..L-1, K blocks, V blocks, FFN blocks] (the
    arrangement of Fig. 6), coloured by group. Writes ``out`` (PNG) and returns it."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    blocks = summary['num_blocks']
    groups = list(summary[scores[0]])
    fig, axes = plt.subplots(
        len(scores),
        1,
        squeeze=False,
        figsize=(max(8.0, 0.12 * blocks * len(groups)), 2.6 * len(scores)))
    colors = plt.rcParams['axes.prop_cycle'].by_key()['color']
    for ax, score in zip(axes[:, 0], scores):
        for g, group in enumerate(groups):
            xs = [g * (blocks + 1) + b for b in range(blocks)]
            ax.bar(
                xs,
                summary[score][group],
                color=colors[g % len(colors)],
                width=0.85,
                label=GROUP_LABELS.get(group, group))
        values = [v for group in groups for v in summary[score][group]]
        positive = [abs(v) for v in values if v != 0]
        if positive and max(positive) / min(positive) > 1e3:
            ax.set_yscale('symlog', linthresh=min(positive))
        ax.set_xticks([g * (blocks + 1) + (blocks - 1) / 2 for g in range(len(groups))])
        ax.set_xticklabels([f'{GROUP_LABELS.get(g, g)} (blocks 0-{blocks - 1})' for g in groups])
        ax.set_title(f"{TITLES.get(score, score)}, {summary.get('method', '')} estimate")
        ax.set_ylabel('mean sensitivity')
    axes[0, 0].legend(ncol=len(groups), fontsize='small')
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out
