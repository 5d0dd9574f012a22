"""Map Mapillary Vistas v1.2 labels to the 19 Cityscapes train ids (optionally resizing).

    python tools/dataset_converters/mapillary.py data/mapillary --split validation \
        [--short-side 1024 | --scale 0.5] [--labels-dir validation/v1.2/labels] [--nproc 8]

--scale 0.5 writes the half-resolution copy the Rein release evaluates on (validation/images_half,
validation/labels_cs19_half; configs/_base_/datasets/protocol_rein_gtav_to_cbm.py reads it).
"""
import argparse
import sys

from deft_mmseg.datasets.converters import convert_mapillary_labels
from deft_mmseg.utils.errors import ConversionError


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('root', help='Mapillary Vistas root holding <split>/images/')
    parser.add_argument('--split', default='validation')
    parser.add_argument('--labels-dir', help='label folder relative to root (default: found)')
    parser.add_argument('--short-side', type=int, help='resize so the shorter side has N pixels')
    parser.add_argument(
        '--scale',
        type=float,
        help='resize both sides by this factor (0.5: the Rein release\'s copy)')
    parser.add_argument('--nproc', type=int, default=1)
    args = parser.parse_args(argv)
    try:
        result = convert_mapillary_labels(
            args.root,
            split=args.split,
            labels_dir=args.labels_dir,
            short_side=args.short_side,
            nproc=args.nproc,
            scale=args.scale)
    except ConversionError as e:
        sys.exit(f'error: {e}')
    print(f"converted {result['converted']} label maps; use in MapillaryCS19Dataset: "
          f"data_prefix=dict(img_path='{result['img_path']}', "
          f"seg_map_path='{result['seg_map_path']}')")


if __name__ == '__main__':
    main()
