"""Slim checkpoints of VFM models (Rein, PEFT, FisherTune, frozen): everything but the pretrained
ViT trunk, which stays in the converted VFM file; and the merge back into a full checkpoint.

    python tools/slim_checkpoint.py export CONFIG CKPT OUT.pth [--backbone FILE]
    python tools/slim_checkpoint.py merge SLIM.pth OUT.pth --backbone FILE

export: tensors outside ``backbone.vit.*`` as they are, trunk tensors that training changed
(FisherTune's sparse updates as index/value pairs), and a fingerprint of the trunk file (default:
the config's ``model.backbone.init_cfg.checkpoint``). merge: the full checkpoint, bit for bit;
also completes a released Rein checkpoint (only ``backbone.reins.*`` + ``decode_head.*``).
A slim checkpoint also tests directly: ``tools/test.py CONFIG SLIM.pth --backbone FILE``.
The trunk file (``--backbone``) is the converted VFM file, or the official DINOv2 layout the Rein
release loads (``dinov2_converted.pth``), converted on the fly.
"""
import argparse
import os
import os.path as osp


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = parser.add_subparsers(dest='command', required=True)
    export = sub.add_parser('export', help='full checkpoint -> slim checkpoint')
    export.add_argument('config')
    export.add_argument('checkpoint')
    export.add_argument('out')
    export.add_argument(
        '--backbone',
        metavar='FILE',
        help="trunk file: converted VFM file, or the official DINOv2 file "
        "(default: the config's backbone init_cfg)")
    merge = sub.add_parser('merge', help='slim or released checkpoint + trunk -> full checkpoint')
    merge.add_argument('slim')
    merge.add_argument('out')
    merge.add_argument(
        '--backbone',
        metavar='FILE',
        required=True,
        help='trunk file: converted VFM file, or the official DINOv2 file')
    return parser.parse_args(argv)


def recorded_trunk_file(ckpt):
    """The trunk file named by the config a runner recorded in ``ckpt`` (``meta['cfg']``):
    ``''`` when that config loaded none (a random-init ViT, e.g. a ``--demo`` run), ``None``
    when the checkpoint records no config."""
    from deft_mmseg.utils.checkpoint_loading import recorded_config
    cfg = recorded_config(ckpt)
    if cfg is None:
        return None
    init_cfg = cfg.get('model', {}).get('backbone', {}).get('init_cfg') or {}
    return (init_cfg.get('checkpoint') or '') if isinstance(init_cfg, dict) else ''


def check_exportable(args, state, ckpt):
    """Raise a one-line error when ``args.checkpoint`` has no trunk file to be slimmed against:
    a model without a ViT trunk (ResNet, MiT, ...), or a ViT trained from random weights."""
    from deft_mmseg.apis.tool_config import load_config
    from deft_mmseg.utils.errors import CheckpointMismatchError
    if not any(k.startswith('backbone.vit.') for k in state):
        backbone = load_config(args.config).model.get('backbone', {}).get('type', 'its backbone')
        raise CheckpointMismatchError(
            f'{args.checkpoint!r} has no ViT trunk (backbone.vit.*): a slim checkpoint leaves out '
            f'the frozen trunk of a VFM model (Rein, PEFT, FisherTune, frozen configs), and this '
            f'model ({backbone} in {osp.basename(args.config)}) has none to leave out. Use the '
            f'checkpoint as it is.')
    if not args.backbone and recorded_trunk_file(ckpt) == '':
        raise CheckpointMismatchError(
            f'{args.checkpoint!r} was trained from a randomly initialized ViT (the config it '
            f'records loads no trunk file: e.g. a tools/train.py --demo run), so no trunk file '
            f'holds its trunk to be left out. Use the checkpoint as it is, or give --backbone '
            f'FILE with exactly that trunk.')


def trunk_file(args):
    if args.backbone:
        path = args.backbone
    else:
        from deft_mmseg.apis.tool_config import load_config
        init_cfg = load_config(args.config).model.get('backbone', {}).get('init_cfg') or {}
        path = init_cfg.get('checkpoint') if isinstance(init_cfg, dict) else None
        if not path:
            raise FileNotFoundError('the config names no trunk file (model.backbone.init_cfg); '
                                    'give --backbone FILE.')
    if not osp.isfile(path):
        raise FileNotFoundError(f'trunk file {path!r} does not exist: give --backbone FILE, the '
                                f'converted VFM file (tools/model_converters/vfm.py) or the '
                                f'official DINOv2 file.')
    return path


def save(obj, out):
    import torch
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    tmp = out + '.part'
    torch.save(obj, tmp)
    os.replace(tmp, out)  # never a half-written file under the final name


def load_trunk(path):
    from deft_mmseg.models.trunk_checkpoint import trunk_state
    from deft_mmseg.utils.checkpoint_loading import load_local_checkpoint
    return trunk_state(load_local_checkpoint(path, map_location='cpu'), f'trunk {path!r}')


def export(args):
    from deft_mmseg.models.trunk_checkpoint import slim_checkpoint
    from deft_mmseg.utils.checkpoint_loading import load_local_checkpoint
    ckpt = load_local_checkpoint(args.checkpoint, map_location='cpu')
    state = ckpt.get('state_dict', ckpt)
    check_exportable(args, state, ckpt)
    path = trunk_file(args)
    trunk = load_trunk(path)
    meta = dict(ckpt.get('meta') or {}, trunk_file=osp.basename(path))
    slim = slim_checkpoint(
        state,
        trunk,
        meta={
            k: v
            for k, v in meta.items() if k in ('dataset_meta', 'trunk_file', 'seed', 'iter')
        })
    save(slim, args.out)
    sparse = sum(d['index'].numel() for d in slim['trunk_deltas'].values())
    print(f'slim checkpoint: {len(slim["state_dict"])} tensors, {len(slim["trunk_deltas"])} '
          f'trunk tensors as {sparse:,} changed elements; {osp.getsize(args.out):,} bytes '
          f'(full: {osp.getsize(args.checkpoint):,}) -> {args.out}')


def merge(args):
    from deft_mmseg.models.trunk_checkpoint import fill_trunk
    from deft_mmseg.utils.checkpoint_loading import load_local_checkpoint
    path = trunk_file(args)
    trunk = load_trunk(path)
    ckpt = load_local_checkpoint(args.slim, map_location='cpu')
    filled = fill_trunk(ckpt, trunk, trunk, f'trunk {path!r}')
    save(dict(state_dict=ckpt['state_dict'], meta=ckpt.get('meta') or {}), args.out)
    print(f'merged: {filled} trunk tensors from {path} -> {args.out}')


def main(argv=None):
    args = parse_args(argv)
    # deft_mmseg (and with it the stack) after the arguments: --help answers at once
    from deft_mmseg.utils import run_with_user_errors
    run_with_user_errors(export if args.command == 'export' else merge, args)


if __name__ == '__main__':
    main()
