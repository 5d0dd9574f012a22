"""Reproduce a paper table with one command: train every row's config, test it on the table's
target domains, and print the table with our numbers beside the paper's.

    python tools/reproduce.py --list
    python tools/reproduce.py deft/table4 [--rows ID ...] [--work-dir work_dirs/reproduce]
        [--gpus N | --launcher slurm --partition P [--gpus N]] [--dry-run]
        [--demo [ITERS]] [--cfg-options k=v ...]

Run it again after a stop: finished rows are reused and a stopped training continues with
``--resume``. The report is ``<work-dir>/<table>.md`` and ``.json`` (docs/reproduce.md).
"""
import argparse
import os.path as osp
import signal
import sys

# the stack (torch, mmengine, mmseg, deft_mmseg) is imported after the arguments are parsed, so
# that --help and a mistyped option answer at once

#: ``--demo`` without a number: iterations per training of a demo table (CPU, minutes per table)
DEMO_TABLE_ITERS = 300


def _demo_iters(text):
    value = int(text)
    if value < 2:
        raise argparse.ArgumentTypeError(f'--demo ITERS must be at least 2, got {value}')
    return value


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Run every row of a paper table and print it beside the paper\'s numbers.')
    parser.add_argument('table', nargs='?', help='the table, e.g. deft/table4 (--list shows all)')
    parser.add_argument('--list', action='store_true', help='list the tables and exit')
    parser.add_argument(
        '--rows',
        nargs='+',
        metavar='ID',
        help='run only these rows of the table (--list shows the ids); the '
        'report covers these rows')
    parser.add_argument(
        '--work-dir',
        help='where the trainings, tests and reports go (default '
        'work_dirs/reproduce, or work_dirs/reproduce_demo with --demo)')
    parser.add_argument(
        '--gpus',
        type=int,
        help='GPUs per training and test: through '
        'tools/dist_train.sh / dist_test.sh, or GPUS of the slurm scripts (there '
        'the recipe\'s count by default)')
    parser.add_argument(
        '--launcher',
        choices=['none', 'slurm'],
        default='none',
        help='slurm: run each stage through tools/slurm_train.sh / slurm_test.sh')
    parser.add_argument('--partition', help='slurm partition (with --launcher slurm)')
    parser.add_argument(
        '--dry-run',
        action='store_true',
        help='print every command (as they would run now) and exit')
    parser.add_argument(
        '--demo',
        nargs='?',
        const=DEMO_TABLE_ITERS,
        type=_demo_iters,
        metavar='ITERS',
        help='run the table on the embedded demo data with tiny '
        f'networks ({DEMO_TABLE_ITERS} iterations per training, or ITERS): '
        'checks the pipeline on a CPU; the numbers are the demo\'s')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        default=[],
        metavar='KEY=VALUE',
        help='options for every training and test (part of the config hash)')
    parser.add_argument(
        '--progress-interval',
        type=float,
        default=30.0,
        metavar='SEC',
        help='seconds between two progress lines (default 30)')
    return parser.parse_args(argv)


def list_tables():
    from deft_mmseg.reproduce import load_paper_tables
    from deft_mmseg.reproduce.runs import config_recipe
    tables = load_paper_tables()
    width = max(map(len, tables))
    for name, table in tables.items():
        recipes = sorted({str(config_recipe(r.config)) for r in table.rows})
        trainings = len({r.config for r in table.rows})
        print(f'{name:<{width}}  {table.paper_name} paper, {table.table}: {table.title}')
        print(f'{"":<{width}}  {len(table.rows)} row(s), {trainings} training(s) of '
              f'{"; ".join(recipes)}; rows: {", ".join(r.id for r in table.rows)}')


def build_options(args):
    from deft_mmseg.reproduce import RunOptions
    from deft_mmseg.utils.errors import ReproduceError
    if args.launcher == 'slurm' and not args.partition:
        raise ReproduceError('--launcher slurm needs --partition PARTITION (the slurm partition '
                             'to submit to).')
    if args.partition and args.launcher != 'slurm':
        raise ReproduceError('--partition is for --launcher slurm.')
    if args.gpus is not None and args.gpus < 1:
        raise ReproduceError(f'--gpus must be at least 1, got {args.gpus}.')
    work_root = args.work_dir or osp.join('work_dirs',
                                          'reproduce' if args.demo is None else 'reproduce_demo')
    return RunOptions(
        work_root=osp.abspath(work_root),
        demo_iters=args.demo,
        gpus=args.gpus,
        launcher=args.launcher,
        partition=args.partition,
        cfg_options=tuple(args.cfg_options),
        python=sys.executable)


def _stop(signum, frame):
    """SIGTERM (a scheduler's time limit, ``timeout``) stops a table as Ctrl-C does: the running
    tool is interrupted, the report written, and the next call continues."""
    raise KeyboardInterrupt


def main(argv=None):
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _stop)
    from deft_mmseg.reproduce import get_table, reproduce_table
    from deft_mmseg.utils import run_with_user_errors
    from deft_mmseg.utils.errors import ReproduceError
    if args.list:
        run_with_user_errors(list_tables)
        return 0
    if not args.table:
        run_with_user_errors(
            _raise,
            ReproduceError(
                'name a paper table, e.g. deft/table4 (tools/reproduce.py --list shows them).'))
    table = run_with_user_errors(get_table, args.table)
    options = run_with_user_errors(build_options, args)
    try:
        report = run_with_user_errors(reproduce_table, table, args.rows, options, args.dry_run,
                                      args.progress_interval)
    except KeyboardInterrupt:
        return 130
    if report is None:
        return 0
    return 0 if report['finished_rows'] == report['total_rows'] else 1


def _raise(exc):
    raise exc


if __name__ == '__main__':
    sys.exit(main())
