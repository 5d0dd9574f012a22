"""Convert GTAV label PNGs (Cityscapes label ids) to train ids: labels/<stem>_labelTrainIds.png.

    python tools/dataset_converters/gtav.py data/gtav [--split-mat data/gtav/split.mat] [--nproc 8]
"""
import argparse
import sys

from deft_mmseg.datasets.converters import convert_gtav_labels
from deft_mmseg.utils.errors import ConversionError


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('root', help='GTAV root holding images/ and labels/')
    parser.add_argument(
        '--split-mat', help="the release's split.mat: also write train/val/test.txt")
    parser.add_argument('--nproc', type=int, default=1)
    args = parser.parse_args(argv)
    try:
        result = convert_gtav_labels(args.root, nproc=args.nproc, split_mat=args.split_mat)
    except ConversionError as e:
        sys.exit(f'error: {e}')
    print(f"converted {result['converted']} label maps in {args.root}/labels")
    if result['size_mismatch']:
        print(f"warning: {len(result['size_mismatch'])} image/label pairs differ in size: "
              f"{', '.join(result['size_mismatch'][:20])}")


if __name__ == '__main__':
    main()
