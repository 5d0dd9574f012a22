"""Test a checkpoint on every target domain of a config (same arguments as mmseg's tools/test.py).

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out DIR] [--show-dir DIR]
        [--per-class] [--cfg-options k=v ...]

Prints a table with a row per domain (mIoU, mAcc, aAcc) and an ``avg`` row. Each test is a run of
its own in the work dir: ``WORK_DIR/<timestamp>/`` holds its log, its config and its
``test_results.json``; nothing of an earlier test or of a training run in the same work dir (its
dumped config, ``multi_domain_results.json``) is overwritten. ``--format-only`` computes no
metrics and writes no results file.
"""
import argparse
import os
import os.path as osp

# the stack (mmengine, mmseg, deft_mmseg) is imported after the arguments are parsed, so that
# --help and a mistyped option answer at once (tool_arguments.py)
from tool_arguments import add_cfg_options, add_demo_argument, demo_argv, demo_iters


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test (and eval) a segmentor on each domain')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the directory to save the metric results')
    parser.add_argument(
        '--out',
        type=str,
        help='directory to save the predicted label maps (one folder per domain)')
    parser.add_argument(
        '--format-only',
        action='store_true',
        help='write test-server files instead of computing metrics: Cityscapes '
        'label-id PNGs per domain under --out, and <domain>.zip; no labels read')
    parser.add_argument('--show', action='store_true', help='show prediction results')
    parser.add_argument(
        '--show-dir',
        help='directory where painted images will be saved (every '
        'image, unless default_hooks.visualization.interval is set)')
    parser.add_argument('--wait-time', type=float, default=2, help='the interval of show (s)')
    parser.add_argument(
        '--per-class', action='store_true', help='also report per-class IoU/Acc for every domain')
    parser.add_argument(
        '--backbone',
        metavar='FILE',
        help='converted VFM file completing checkpoints that lack the ViT trunk '
        '(released PEFT checkpoints, slim exports); adds a FrozenTrunkHook')
    add_cfg_options(parser)
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--tta', action='store_true', help='test time augmentation')
    add_demo_argument(parser, with_iters=False)
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(demo_argv(argv))
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def trigger_visualization_hook(cfg, args):
    default_hooks = cfg.default_hooks
    if 'visualization' in default_hooks:
        hook = default_hooks['visualization']
        hook['draw'] = True
        if args.show:
            hook['show'] = True
            hook['wait_time'] = args.wait_time
        if args.show_dir:
            cfg.visualizer['save_dir'] = args.show_dir
            hook.setdefault('interval', 1)  # paint every test image unless the config says
    else:
        raise RuntimeError('VisualizationHook must be included in default_hooks; see '
                           'configs/_base_/default_runtime.py.')
    return cfg


def build_cfg(args):
    # imports deft_mmseg: registers it
    from deft_mmseg.apis.tool_config import drop_disabled_hooks, load_config
    from deft_mmseg.datasets.checks import check_dataset_cfg, domain_dataset_cfgs
    from deft_mmseg.engine.hooks.frozen_trunk_hook import use_trunk_file
    from deft_mmseg.evaluation.submission import prepare_submission
    from deft_mmseg.utils.config_keys import check_config_keys
    from deft_mmseg.utils.errors import DatasetConfigError
    cfg = load_config(args.config, demo_iters(args.demo))
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    drop_disabled_hooks(cfg)
    check_config_keys(cfg, list(args.cfg_options or {}))
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint {args.checkpoint!r} does not exist.')
    cfg.load_from = args.checkpoint
    if args.backbone:
        use_trunk_file(cfg, args.backbone)
    if args.show or args.show_dir:
        cfg = trigger_visualization_hook(cfg, args)
    if args.tta:
        if 'tta_pipeline' not in cfg:
            raise DatasetConfigError('--tta needs `tta_pipeline` in the config (mmseg\'s '
                                     'multi-scale/flip test pipeline); this config has none.')
        for ds in domain_dataset_cfgs(cfg.test_dataloader).values():
            ds.pipeline = cfg.tta_pipeline
        cfg.tta_model.module = cfg.model
        cfg.model = cfg.tta_model
    if args.format_only:
        prepare_submission(cfg, args.out)
    elif args.out is not None:
        cfg.test_evaluator['output_dir'] = args.out
        cfg.test_evaluator['keep_results'] = True
    if args.per_class:
        cfg.test_cfg['per_class'] = True
    for name, ds in domain_dataset_cfgs(cfg.test_dataloader).items():
        check_dataset_cfg(ds, f'test_dataloader.datasets.{name}')
    return cfg


def main(argv=None):
    args = parse_args(argv)
    from deft_mmseg.engine.test_runner import PerRunTestRunner
    from deft_mmseg.evaluation.submission import zip_submission
    from deft_mmseg.utils import run_with_user_errors  # imports deft_mmseg
    from deft_mmseg.utils.distributed import prepare_cpu_distributed
    cfg = run_with_user_errors(build_cfg, args)
    prepare_cpu_distributed(cfg)
    # mmengine's Runner, but this test's config goes into its own WORK_DIR/<timestamp>/
    runner = run_with_user_errors(PerRunTestRunner.from_cfg, cfg)
    run_with_user_errors(runner.test)
    if args.format_only:
        for zip_path in zip_submission(cfg, args.out):
            print(f'submission: {zip_path}')


if __name__ == '__main__':
    main()
