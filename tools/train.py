"""Train a segmentor (same arguments as mmseg's tools/train.py), with deft_mmseg registered.

    python tools/train.py CONFIG [--work-dir DIR] [--resume | --overwrite] [--amp]
        [--cfg-options k=v ...]

One run per work dir (a lock ``WORK_DIR/.train.lock`` that ends with the process). Ctrl-C or
SIGTERM: the iteration finishes, a checkpoint is saved, the ``--resume`` command is printed and the
exit status is 128 + signal. docs/checkpoints.md lists every guarantee.
"""
import argparse
import logging
import os
import os.path as osp
from typing import List

# the stack (torch, mmengine, mmseg, deft_mmseg) is imported after the arguments are parsed, so
# that --help and a mistyped option answer at once (tool_arguments.py)
from tool_arguments import add_cfg_options, add_demo_argument, demo_iters


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a segmentor')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        action='store_true',
        default=False,
        help='resume from the latest checkpoint in the work_dir automatically')
    parser.add_argument(
        '--amp',
        action='store_true',
        default=False,
        help='enable automatic-mixed-precision training (float16 on GPUs, '
        'bfloat16 autocast on CPU-only machines)')
    parser.add_argument(
        '--overwrite',
        action='store_true',
        default=False,
        help='start a new run in a work dir that already holds one (its '
        'checkpoints of the same names are overwritten)')
    parser.add_argument(
        '--backbone',
        metavar='FILE',
        help='converted VFM file completing checkpoints that lack the ViT trunk '
        '(released PEFT checkpoints, slim exports); adds a FrozenTrunkHook')
    add_cfg_options(parser)
    add_demo_argument(parser)
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def build_cfg(args):
    # imports deft_mmseg: registers it
    from deft_mmseg.apis.tool_config import drop_disabled_hooks, load_config
    from deft_mmseg.engine.hooks.frozen_trunk_hook import use_trunk_file
    from deft_mmseg.engine.work_dir import refuse_to_overwrite
    from deft_mmseg.engine.work_dir_lock import lock_work_dir
    from deft_mmseg.utils.config_keys import check_config_keys
    cfg = load_config(args.config, demo_iters(args.demo))
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    drop_disabled_hooks(cfg)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    if args.amp:
        set_amp(cfg)
    check_config_keys(cfg, list(args.cfg_options or {}))
    if args.backbone:  # load_from / --resume with a checkpoint that lacks the ViT trunk
        use_trunk_file(cfg, args.backbone)
    if launching_process():  # before anything is read or written in the work dir
        lock_work_dir(cfg.work_dir)
    cfg.resume = args.resume
    if args.resume:
        resolve_resume(cfg)
        keep_resumed_seed(cfg)
    elif not args.overwrite and osp.isdir(cfg.work_dir):
        refuse_to_overwrite(cfg.work_dir)
    return cfg


def launching_process() -> bool:
    """Whether this is rank 0 of the run (the one process that locks the work dir)."""
    return os.environ.get('RANK', os.environ.get('SLURM_PROCID', '0')) == '0'


def set_amp(cfg):
    """``--amp``: mmengine's float16 ``AmpOptimWrapper`` on a GPU; on a CPU-only machine (where
    mmengine's wrapper refuses to run) bfloat16 autocast (``CPUBF16OptimWrapper``)."""
    import torch
    from mmengine.logging import print_log

    from deft_mmseg.engine.cpu_amp import cpu_has_bf16_instructions
    from deft_mmseg.utils.errors import ConfigKeyError
    wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
    if wrapper == 'AmpOptimWrapper' and not torch.cuda.is_available():
        wrapper = cfg.optim_wrapper.type = 'OptimWrapper'  # the config's float16 AMP needs a GPU
        cfg.optim_wrapper.pop('loss_scale', None)
    if wrapper in ('AmpOptimWrapper', 'CPUBF16OptimWrapper'):
        print_log(
            'AMP training is already enabled in your config.',
            logger='current',
            level=logging.WARNING)
        return
    if wrapper != 'OptimWrapper':
        raise ConfigKeyError(f'--amp replaces optim_wrapper type OptimWrapper, but this config '
                             f'uses {wrapper}; set its mixed precision in the config instead.')
    if torch.cuda.is_available():
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.loss_scale = 'dynamic'
    else:
        cfg.optim_wrapper.type = 'CPUBF16OptimWrapper'
        print_log(
            '--amp without a GPU: bfloat16 autocast on the CPU (CPUBF16OptimWrapper).',
            logger='current')
        if not cpu_has_bf16_instructions():
            print_log(
                '--amp: this CPU has no bfloat16 instructions (avx512_bf16/amx_bf16); '
                'bfloat16 is emulated and slower than float32 here (2.8x-13x measured, '
                'docs/checkpoints.md). Drop --amp unless you need it for memory.',
                logger='current',
                level=logging.WARNING)


def resolve_resume(cfg):
    """``--resume`` without ``load_from``: the checkpoint ``last_checkpoint`` names, or the newest
    complete one when that file is gone; a new run when the work dir holds none."""
    from mmengine.logging import print_log

    from deft_mmseg.engine.work_dir import checkpoint_to_resume
    if cfg.get('load_from'):
        return
    ckpt, note = checkpoint_to_resume(cfg.work_dir)
    if ckpt is None and osp.isfile(osp.join(cfg.work_dir, 'last_checkpoint')):
        from deft_mmseg.utils.errors import WorkDirError
        raise WorkDirError(f'--resume: {note}. Start over with --overwrite (the run\'s files '
                           f'are kept, its checkpoints of the same names replaced) or give '
                           f'another --work-dir.')
    if ckpt is None:
        print_log(f'--resume: {note}; starting a new run.', logger='current', level=logging.WARNING)
        cfg.resume = False
        return
    if note:
        print_log(f'--resume: {note}.', logger='current', level=logging.WARNING)
    refuse_full_disk(cfg.work_dir, ckpt)
    cfg.load_from = ckpt  # mmengine then resumes from exactly this file


def refuse_full_disk(work_dir: str, ckpt: str) -> None:
    """Raise :class:`WorkDirError` when the work dir's disk cannot hold one more checkpoint of
    the size of ``ckpt``: the resumed run would fail at its first save, after its logs had already
    failed to write ('--- Logging error ---' tracebacks)."""
    import shutil

    from deft_mmseg.utils.errors import WorkDirError
    free, needed = shutil.disk_usage(work_dir).free, os.path.getsize(ckpt)
    if free < needed:
        raise WorkDirError(f'--resume: the disk of {work_dir!r} has {free / 2**20:.1f} MiB free, '
                           f'less than one checkpoint of this run ({osp.basename(ckpt)}: '
                           f'{needed / 2**20:.1f} MiB); the next save would fail. Free space '
                           f'there (or move the run to another --work-dir) and resume again.')


def keep_resumed_seed(cfg):
    """Without a fixed ``randomness.seed`` mmengine draws a new one, builds the dataloaders with
    it and only then reads the checkpoint's: the resumed data order would differ. Take the
    checkpoint's seed before anything is built (ExactResumeHook then restores the streams)."""
    from deft_mmseg.utils.checkpoint_loading import read_checkpoint_meta
    if (cfg.get('randomness') or {}).get('seed') is not None:
        return
    ckpt = cfg.get('load_from')
    if ckpt and osp.isfile(ckpt):
        seed = read_checkpoint_meta(ckpt).get('seed')
        if seed is not None:
            cfg.randomness = dict(cfg.get('randomness') or {}, seed=seed)


def preflight(cfg):
    """Fail fast, with a message, on missing data paths (before any model is built)."""
    from deft_mmseg.datasets.checks import check_dataset_cfg, domain_dataset_cfgs
    check_dataset_cfg(cfg.train_dataloader.get('dataset'), 'train_dataloader.dataset')
    for name, ds in domain_dataset_cfgs(cfg.get('val_dataloader') or {}).items():
        check_dataset_cfg(ds, f'val_dataloader.datasets.{name}')


def build_runner(args):
    from deft_mmseg.utils import run_with_user_errors  # isort: skip  (first: imports deft_mmseg)
    from deft_mmseg.utils.distributed import prepare_cpu_distributed  # isort: skip
    from mmengine.runner import Runner  # isort: skip
    cfg = run_with_user_errors(build_cfg, args)
    run_with_user_errors(preflight, cfg)
    prepare_cpu_distributed(cfg)
    return run_with_user_errors(Runner.from_cfg, cfg)


def resume_command(argv: List[str], work_dir: str) -> str:
    """The command line that continues this run, from the directory it was started in: its own
    arguments with ``--resume`` (and the work dir it used), without ``--overwrite``."""
    import shlex
    args = [a for a in argv if a not in ('--overwrite', '--resume')]
    if '--work-dir' not in args and not any(a.startswith('--work-dir=') for a in args):
        args[1:1] = ['--work-dir', work_dir]
    args.insert(1, '--resume')
    script = osp.relpath(__file__)  # as the user can type it from where the run was started
    return shlex.join(
        ['python', script if not script.startswith('..') else osp.abspath(__file__), *args])


def report_stop(stop, argv: List[str], work_dir: str) -> None:
    """What a stopped run prints (stderr): where it stopped, its checkpoint, the command that
    continues it; then exit status 128 + signal, no traceback."""
    import sys
    saved = (f'checkpoint {stop.checkpoint} saved'
             if stop.checkpoint else 'no checkpoint (the config has no CheckpointHook)')
    print(f'{stop}; {saved}. Continue with:\n  {resume_command(argv, work_dir)}', file=sys.stderr)
    sys.exit(stop.exit_status)


def main(argv=None):
    import sys
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        runner = build_runner(parse_args(argv))
    except KeyboardInterrupt:
        print('interrupted before training started; nothing was trained.', file=sys.stderr)
        sys.exit(130)
    from deft_mmseg.engine.hooks.stop_signal_hook import restore_signal_handlers
    from deft_mmseg.engine.work_dir_lock import unlock_work_dir
    from deft_mmseg.utils import run_with_user_errors
    from deft_mmseg.utils.errors import TrainingStopped
    try:
        run_with_user_errors(runner.train)
    except TrainingStopped as stop:
        report_stop(stop, argv, runner.work_dir)
    except KeyboardInterrupt:  # a second Ctrl-C: stop at once, without the traceback
        print(
            'interrupted (second signal): stopped at once; --resume continues from the last '
            'checkpoint.',
            file=sys.stderr)
        sys.exit(130)
    finally:
        restore_signal_handlers()
        unlock_work_dir(runner.work_dir)


if __name__ == '__main__':
    main()
