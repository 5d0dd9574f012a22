"""Check every sample of every dataloader of a config before a long run.

    python tools/check_dataset.py CONFIG [--workers N] [--cfg-options k=v ...] [--demo]

For the training source and each validation/test domain: every image decodes, every label map is
a single-channel image of its image's size, and its ids are class ids or the ignore index. Prints
a progress bar per dataset, a table of samples and bad samples per dataset and the first bad files
of each; exits 0 when everything is good and 2 otherwise.
"""
import argparse
import sys

from mmengine.config import DictAction
from mmengine.registry import init_default_scope

import deft_mmseg  # noqa: F401  (registers the plugin's datasets and transforms)
from deft_mmseg.apis.tool_config import add_demo_argument, load_config
from deft_mmseg.datasets.sample_check import check_dataset, dataset_cfgs_of
from deft_mmseg.utils import run_with_user_errors


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Check every sample of a config\'s datasets')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--workers', type=int, default=0,
                        help='processes that load samples in parallel (default: this one)')
    parser.add_argument('--max-listed', type=int, default=20,
                        help='bad samples listed per dataset (all are counted)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings in the config, key=value')
    add_demo_argument(parser, with_iters=False)
    return parser.parse_args(argv)


def run(args):
    cfg = load_config(args.config, args.demo)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    reports = [check_dataset(name, ds_cfg, args.workers, args.max_listed)
               for name, ds_cfg in dataset_cfgs_of(cfg)]
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
        print(f'error: {bad} of {total} samples are bad (listed above); fix or remove them '
              f'before training.', file=sys.stderr)
        return 2
    print('all samples are good')
    return 0


def main(argv=None):
    sys.exit(run_with_user_errors(run, parse_args(argv)))


if __name__ == '__main__':
    main()
