"""Convert an official VFM checkpoint for VFMVisionTransformer (Rein / VFM configs).

    python tools/model_converters/vfm.py dinov2 dinov2_vitl14_pretrain.pth \
        checkpoints/dinov2_vitl_converted.pth [--patch-size 16]
    python tools/model_converters/vfm.py clip ViT-L-14.pt checkpoints/clip_vitl14_converted.pth
    python tools/model_converters/vfm.py eva02 eva02_L_pt_m38m_p14.pt \
        checkpoints/eva02_L_converted.pth --patch-size 16
    python tools/model_converters/vfm.py sam sam_vit_h_4b8939.pth checkpoints/sam_vit_h_converted.pth
    python tools/model_converters/vfm.py vltseg-eva-clip EVA02_CLIP_L_psz14_s4B.pt \
        checkpoints/vltseg_eva-clip-l14_converted.pth
    python tools/model_converters/vfm.py vltseg-clip ViT-L-14.pt \
        checkpoints/vltseg_clip-l14_converted.pth

dinov2: facebookresearch/dinov2 ViT-S/B/L releases and MAE (``--patch-size 16`` resizes the 14x14
patch embedding as the Rein release does). clip: OpenAI CLIP ViT image encoders (a TorchScript
``.pt`` archive or a plain state dict). eva02: baaivision EVA02 releases. sam: Segment Anything
(image encoder only). eva-clip: the image tower of an EVA02-CLIP release (``visual.*``).
vltseg-eva-clip / vltseg-clip: one file for the VLTSeg configs (image tower under
``backbone.vit.``, text tower under ``decode_head.text_encoder.``, the image projection under
``decode_head.pixel_text_proj.``).
"""
import argparse
import os
import os.path as osp
import sys

import torch

from deft_mmseg.models.converters import CONVERTERS, RESIZABLE
from deft_mmseg.utils.checkpoint_loading import load_local_checkpoint
from deft_mmseg.utils.errors import ConversionKeyError


def _load(path):
    try:  # OpenAI CLIP releases are TorchScript archives
        return torch.jit.load(path, map_location='cpu').state_dict()
    except (RuntimeError, ValueError):
        return load_local_checkpoint(path, map_location='cpu')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('model', choices=sorted(CONVERTERS))
    parser.add_argument('src', help='official checkpoint')
    parser.add_argument('dst', help='output .pth (state_dict with vit.* keys)')
    parser.add_argument(
        '--patch-size',
        type=int,
        help='dinov2 / eva02 / eva-clip: resize the patch embedding (the Rein release: 16)')
    args = parser.parse_args(argv)
    kwargs = {'patch_size': args.patch_size} if args.model in RESIZABLE else {}
    try:
        if not osp.isfile(args.src):
            raise FileNotFoundError(f'{args.src!r} does not exist')
        state = CONVERTERS[args.model](_load(args.src), **kwargs)
    except (ConversionKeyError, FileNotFoundError) as e:
        print(f'error: {e}', file=sys.stderr)  # exit status 2, as the other tools
        sys.exit(2)
    os.makedirs(osp.dirname(osp.abspath(args.dst)), exist_ok=True)
    torch.save(dict(state_dict=state), args.dst)
    print(f'wrote {len(state)} tensors to {args.dst}')


if __name__ == '__main__':
    main()
