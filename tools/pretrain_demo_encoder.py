"""Pretrain the demo's tiny encoders on the synthetic many-style corpus (cached; deterministic).

    python tools/pretrain_demo_encoder.py data/demo [--kinds resnet vit] [--force]

Writes data/demo/pretrained/tiny_resnet18_synthstyles.pth and tiny_vit_synthstyles.pth (about
1 minute each on 2 CPU cores), loaded by configs with
``backbone.init_cfg=dict(type='Pretrained', checkpoint=...)``. The recipe is in
deft_mmseg/demo/pretraining.py and docs/benchmarks.md; a file made with the current recipe is
reused.
"""
import argparse
import os
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('root', nargs='?', default='data/demo')
    parser.add_argument(
        '--kinds',
        nargs='+',
        metavar='KIND',
        help='encoders to pretrain (deft_mmseg.demo.pretraining.RECIPES; '
        'default: all)')
    parser.add_argument('--force', action='store_true', help='pretrain again even if cached')
    args = parser.parse_args(argv)
    # deft_mmseg (and with it torch) after the arguments: --help answers at once
    from deft_mmseg.demo.pretraining import (RECIPES, ensure_pretrained_encoder,
                                             pretrained_encoder_path)
    unknown = sorted(set(args.kinds or ()) - set(RECIPES))
    if unknown:
        parser.error(f'--kinds {" ".join(unknown)}: choose from {", ".join(sorted(RECIPES))}')
    for kind in args.kinds or sorted(RECIPES):
        path = pretrained_encoder_path(args.root, kind)
        if args.force and os.path.exists(path):
            os.remove(path)
        ensure_pretrained_encoder(args.root, kind)
    return 0


if __name__ == '__main__':
    sys.exit(main())
