"""Convert an official DINOv2 checkpoint for VFMVisionTransformer (Rein / VFM configs).

    python tools/model_converters/dinov2.py dinov2_vitl14_pretrain.pth \
        checkpoints/dinov2_vitl_converted.pth [--patch-size 16]
"""
import argparse
import os
import os.path as osp
import sys

import torch

from deft_mmseg.engine.checkpoint_loading import load_local_checkpoint
from deft_mmseg.models.converters import convert_dinov2
from deft_mmseg.models.converters.dinov2 import ConversionKeyError


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='official DINOv2 .pth')
    parser.add_argument('dst', help='output .pth (state_dict with vit.* keys)')
    parser.add_argument('--patch-size', type=int, default=16,
                        help='resize the patch embedding to this size (the Rein release uses 16)')
    args = parser.parse_args(argv)
    try:
        state = convert_dinov2(load_local_checkpoint(args.src, map_location='cpu'),
                               patch_size=args.patch_size)
    except (ConversionKeyError, FileNotFoundError) as e:
        sys.exit(f'error: {e}')
    os.makedirs(osp.dirname(osp.abspath(args.dst)), exist_ok=True)
    torch.save(dict(state_dict=state), args.dst)
    print(f'wrote {len(state)} tensors to {args.dst}')


if __name__ == '__main__':
    main()
