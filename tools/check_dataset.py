"""Check every sample of every dataloader of a config before a long run.

    python tools/check_dataset.py CONFIG [--workers N] [--cfg-options k=v ...] [--demo]

For the training source and each validation/test domain: every image decodes, every label map is
a single-channel image of its image's size, and its ids are class ids or the ignore index. Prints
a progress bar per dataset, a table of samples and bad samples per dataset and the first bad files
of each; exits 0 when everything is good and 2 otherwise.
"""
import argparse
import sys

# the stack (mmengine, mmseg, deft_mmseg) is imported after the arguments are parsed, so that
# --help and a mistyped option answer at once (tool_arguments.py)
from tool_arguments import add_cfg_options, add_demo_argument, demo_argv, demo_iters


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Check every sample of a config\'s datasets')
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--workers',
        type=int,
        default=0,
        help='processes that load samples in parallel (default: this one)')
    parser.add_argument(
        '--max-listed',
        type=int,
        default=20,
        help='bad samples listed per dataset (all are counted)')
    add_cfg_options(parser)
    add_demo_argument(parser, with_iters=False)
    return parser.parse_args(demo_argv(argv))


def run(args):
    from mmengine.registry import init_default_scope

    from deft_mmseg.apis.tool_config import load_config  # imports deft_mmseg: registers it
    from deft_mmseg.datasets.sample_check import check_dataset, dataset_cfgs_of
    cfg = load_config(args.config, demo_iters(args.demo))
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    reports = [
        check_dataset(name, ds_cfg, args.workers, args.max_listed)
        for name, ds_cfg in dataset_cfgs_of(cfg)
    ]
    width = max([len(r['name']) for r in reports] + [7])
    print(f'\n{"dataset":<{width}}  {"type":<22}{"samples":>9}{"bad":>7}')
    for r in reports:
        print(f'{r["name"]:<{width}}  {r["type"]:<22}{r["samples"]:>9}{r["bad"]:>7}')
    bad = sum(r['bad'] for r in reports)
    for r in reports:
        for err in r['errors']:
            print(f'{r["name"]}: {err}')
        if r['bad'] > len(r['errors']):
            print(f'{r["name"]}: ... and {r["bad"] - len(r["errors"])} more')
    if bad:
        total = sum(r['samples'] for r in reports)
        print(
            f'error: {bad} of {total} samples are bad (listed above); fix or remove them '
            f'before training.',
            file=sys.stderr)
        return 2
    print('all samples are good')
    return 0


def main(argv=None):
    args = parse_args(argv)
    from deft_mmseg.utils import run_with_user_errors  # imports deft_mmseg
    sys.exit(run_with_user_errors(run, args))


if __name__ == '__main__':
    main()
