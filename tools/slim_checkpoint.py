"""Slim checkpoints of VFM models (Rein, PEFT, FisherTune, frozen): everything but the pretrained
ViT trunk, which stays in the converted VFM file; and the merge back into a full checkpoint.

    python tools/slim_checkpoint.py export CONFIG CKPT OUT.pth [--backbone FILE]
    python tools/slim_checkpoint.py merge SLIM.pth OUT.pth --backbone FILE

export: tensors outside ``backbone.vit.*`` as they are, trunk tensors that training changed
(FisherTune's sparse updates as index/value pairs), and a fingerprint of the trunk file (default:
the config's ``model.backbone.init_cfg.checkpoint``). merge: the full checkpoint, bit for bit;
also completes a released Rein checkpoint (only ``backbone.reins.*`` + ``decode_head.*``).
A slim checkpoint also tests directly: ``tools/test.py CONFIG SLIM.pth --backbone FILE``.
"""
import argparse
import os
import os.path as osp

import torch

import deft_mmseg  # noqa: F401  (registers the plugin, installs the safe checkpoint loader)
from deft_mmseg.apis.tool_config import load_config
from deft_mmseg.models.trunk_checkpoint import fill_trunk, slim_checkpoint, trunk_state
from deft_mmseg.utils import run_with_user_errors
from deft_mmseg.utils.checkpoint_loading import load_local_checkpoint
from deft_mmseg.utils.errors import CheckpointMismatchError


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = parser.add_subparsers(dest='command', required=True)
    export = sub.add_parser('export', help='full checkpoint -> slim checkpoint')
    export.add_argument('config')
    export.add_argument('checkpoint')
    export.add_argument('out')
    export.add_argument('--backbone', metavar='FILE',
                        help="converted VFM file (default: the config's backbone init_cfg)")
    merge = sub.add_parser('merge', help='slim or released checkpoint + trunk -> full checkpoint')
    merge.add_argument('slim')
    merge.add_argument('out')
    merge.add_argument('--backbone', metavar='FILE', required=True, help='converted VFM file')
    return parser.parse_args(argv)


def trunk_file(args):
    if args.backbone:
        path = args.backbone
    else:
        init_cfg = load_config(args.config).model.get('backbone', {}).get('init_cfg') or {}
        path = init_cfg.get('checkpoint') if isinstance(init_cfg, dict) else None
        if not path:
            raise FileNotFoundError('the config names no trunk file (model.backbone.init_cfg); '
                                    'give --backbone FILE.')
    if not osp.isfile(path):
        raise FileNotFoundError(f'trunk file {path!r} does not exist: give --backbone FILE, the '
                                f'converted VFM file (tools/model_converters/vfm.py).')
    return path


def save(obj, out):
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    tmp = out + '.part'
    torch.save(obj, tmp)
    os.replace(tmp, out)  # never a half-written file under the final name


def main(argv=None):
    args = parse_args(argv)
    path = trunk_file(args)
    trunk = trunk_state(load_local_checkpoint(path, map_location='cpu'), f'trunk {path!r}')
    if args.command == 'export':
        ckpt = load_local_checkpoint(args.checkpoint, map_location='cpu')
        state = ckpt.get('state_dict', ckpt)
        if not any(k.startswith('backbone.vit.') for k in state):
            raise CheckpointMismatchError(f'{args.checkpoint!r} has no backbone.vit.* weights: '
                                          f'it is not a full VFM model checkpoint.')
        meta = dict(ckpt.get('meta') or {}, trunk_file=osp.basename(path))
        slim = slim_checkpoint(state, trunk, meta={k: v for k, v in meta.items()
                                                   if k in ('dataset_meta', 'trunk_file',
                                                            'seed', 'iter')})
        save(slim, args.out)
        sparse = sum(d['index'].numel() for d in slim['trunk_deltas'].values())
        print(f'slim checkpoint: {len(slim["state_dict"])} tensors, {len(slim["trunk_deltas"])} '
              f'trunk tensors as {sparse:,} changed elements; {osp.getsize(args.out):,} bytes '
              f'(full: {osp.getsize(args.checkpoint):,}) -> {args.out}')
    else:
        ckpt = load_local_checkpoint(args.slim, map_location='cpu')
        filled = fill_trunk(ckpt, trunk, trunk, f'trunk {path!r}')
        save(dict(state_dict=ckpt['state_dict'], meta=ckpt.get('meta') or {}), args.out)
        print(f'merged: {filled} trunk tensors from {path} -> {args.out}')


if __name__ == '__main__':
    run_with_user_errors(main)
