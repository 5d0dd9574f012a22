"""Convert a shachoi/RobustNet DeepLabv3+ ResNet checkpoint for this project's RobustNet-layout
configs (mmseg ``ResNet`` + ``DeepLabV3PlusHead``, e.g. ``configs/_base_/models/
deeplabv3plus_r50-d16_robustnet.py``).

    python tools/model_converters/robustnet.py r50os16_gtav_base.pth \
        checkpoints/robustnet_r50os16_gtav_base_converted.pth
    python tools/model_converters/robustnet.py --trunk resnet101-imagenet.pth \
        pretrain/robustnet_resnet101-imagenet_converted.pth

The output holds ``backbone.*`` and ``decode_head.*`` (``load_from=`` or ``tools/test.py``); the
auxiliary ``dsn`` head is dropped (the DeFT paper trains without it). ``--trunk``: RobustNet's
ImageNet ResNet-101 (its ``./pretrained/resnet101-imagenet.pth``, three-conv stem) for the
backbone's ``init_cfg`` of the R101 config.
"""
import argparse
import os
import os.path as osp
import sys
from typing import List, Optional

import torch

from deft_mmseg.models.converters import convert_robustnet, convert_robustnet_trunk
from deft_mmseg.models.converters.robustnet import dropped_keys
from deft_mmseg.utils.checkpoint_loading import load_local_checkpoint
from deft_mmseg.utils.errors import CheckpointSecurityError, ConversionKeyError


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help="RobustNet checkpoint (its train.py's .pth)")
    parser.add_argument('dst', help='output .pth (state_dict with backbone.* / decode_head.*)')
    parser.add_argument(
        '--trunk', action='store_true', help="the source is RobustNet's ImageNet ResNet3X3 trunk")
    args = parser.parse_args(argv)
    try:
        if not osp.isfile(args.src):
            raise FileNotFoundError(f'{args.src!r} does not exist')
        checkpoint = load_local_checkpoint(args.src, map_location='cpu')
        state = (convert_robustnet_trunk if args.trunk else convert_robustnet)(checkpoint)
    except (ConversionKeyError, FileNotFoundError, CheckpointSecurityError) as e:
        print(f'error: {e}', file=sys.stderr)  # exit status 2, as the other tools
        sys.exit(2)
    if osp.exists(args.dst):
        print(
            f'error: {args.dst!r} exists; give another output path (nothing is overwritten)',
            file=sys.stderr)
        sys.exit(2)
    os.makedirs(osp.dirname(osp.abspath(args.dst)), exist_ok=True)
    torch.save(dict(state_dict=state), args.dst)
    dropped = [] if args.trunk else dropped_keys(checkpoint)
    print(f'wrote {len(state)} tensors to {args.dst}' +
          (f' ({len(dropped)} auxiliary-head tensors dsn.* left out)' if dropped else ''))


if __name__ == '__main__':
    main()
