"""Convert SYNTHIA-RAND-CITYSCAPES labels to train ids: GT/LABELS/<stem>_labelTrainIds.png.

    python tools/dataset_converters/synthia.py data/synthia [--nproc 8]
"""
import argparse
import sys

from deft_mmseg.datasets.converters import convert_synthia_labels
from deft_mmseg.utils.errors import ConversionError


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('root', help='SYNTHIA root holding RGB/ and GT/LABELS/')
    parser.add_argument('--nproc', type=int, default=1)
    args = parser.parse_args(argv)
    try:
        result = convert_synthia_labels(args.root, nproc=args.nproc)
    except ConversionError as e:
        sys.exit(f'error: {e}')
    print(f"converted {result['converted']} label maps in {args.root}/GT/LABELS")


if __name__ == '__main__':
    main()
