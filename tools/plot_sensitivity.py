"""Plot the VFM parameter sensitivity FisherTune estimated (FisherTune paper, Fig. 6).

    python tools/plot_sensitivity.py work_dirs/fishertune/fishertune_sensitivity.pth \
        --out sensitivity.png [--scores fisher delta_fisher drf] [--formula printed]

Reads the sensitivity file a FisherTune run writes to its work dir (or the small
fishertune_sensitivity_summary.json next to it), prints the mean score per block of the Q, K, V
and FFN weights and draws them as a PNG: one panel per score (F, Delta F, DR-FIM), bars ordered
Q blocks 0..L-1, K, V, FFN.
"""
import argparse


def run(args):
    from deft_mmseg.engine.fishertune_artifact import load_summary
    from deft_mmseg.models.fishertune.sensitivity_plot import plot_sensitivity, summary_table
    summary = load_summary(args.sensitivity, tuple(args.scores), args.formula)
    for score in args.scores:
        print(summary_table(summary, score))
    return plot_sensitivity(summary, args.out, tuple(args.scores))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('sensitivity', help='fishertune_sensitivity.pth (or its summary .json)')
    parser.add_argument('--out', default='sensitivity.png', help='PNG to write')
    parser.add_argument(
        '--scores',
        nargs='+',
        default=['fisher', 'delta_fisher', 'drf'],
        choices=['fisher', 'delta_fisher', 'drf'])
    parser.add_argument(
        '--formula',
        default='printed',
        choices=['printed', 'substituted'],
        help='Eq. 15 form for variational estimates')
    args = parser.parse_args(argv)
    # deft_mmseg (and with it the stack) after the arguments: --help answers at once
    from deft_mmseg.utils.user_errors import run_with_user_errors
    print(run_with_user_errors(run, args))


if __name__ == '__main__':
    main()
