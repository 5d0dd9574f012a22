"""Plot training curves of several runs overlaid (DeFT paper, Fig. 1, 3 and 9).

    python tools/plot_curves.py work_dirs/lpft_diag work_dirs/deft_diag --out plots \
        [--keys dist_l2/encoder target/loss_ce] [--labels joint DeFT]

Reads each run's vis_data/scalars.json (LocalVisBackend) and writes one PNG per key with a line
per run. By default it plots the distances from initialization (ParamDistanceHook), the target
loss (TargetLossHook), the training losses and avg/mIoU.
"""
import argparse


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('runs', nargs='+', help='work dirs (or scalars.json files)')
    parser.add_argument('--out', default='plots', help='output folder for the PNGs')
    parser.add_argument('--keys', nargs='+', help='scalar names to plot')
    parser.add_argument('--labels', nargs='+', help='legend label per run')
    args = parser.parse_args(argv)
    # deft_mmseg (and with it the stack) after the arguments: --help answers at once
    from deft_mmseg.utils.curves import plot_runs
    from deft_mmseg.utils.user_errors import run_with_user_errors
    written = run_with_user_errors(plot_runs, args.runs, args.out, args.keys, args.labels)
    print('\n'.join(written))


if __name__ == '__main__':
    main()
