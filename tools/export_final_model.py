"""Export a DeFT checkpoint's final model (d~1 o e~2 by default) to a plain mmseg EncoderDecoder.

    python tools/export_final_model.py CONFIG CHECKPOINT OUT_DIR [--final-model IV]

Writes OUT_DIR/final_model.pth and OUT_DIR/final_model_config.py, which vanilla mmseg loads
without deft_mmseg (e.g. mmseg.apis.init_model(config, checkpoint)).
"""
import argparse

# the stack (mmengine, mmseg, deft_mmseg) is imported after the arguments are parsed, so that
# --help and a mistyped option answer at once (tool_arguments.py)
from tool_arguments import add_demo_argument, demo_argv, demo_iters


def export(args):
    from mmengine.registry import init_default_scope
    from mmengine.runner import load_checkpoint
    from mmseg.registry import MODELS

    from deft_mmseg.apis.tool_config import load_config  # imports deft_mmseg: registers it
    from deft_mmseg.engine.hooks.checkpoint_match_hook import check_checkpoint_matches
    from deft_mmseg.models.export import export_final_model
    from deft_mmseg.models.segmentors.two_stage import TwoStageSegmentor
    cfg = load_config(args.config, demo_iters(args.demo), demo_data=False)
    init_default_scope(cfg.get('default_scope', 'mmseg'))  # as mmseg's tools: mmseg's registries
    model_cfg = dict(cfg.model)
    model_cfg.pop('pretrained', None)
    model_cfg['backbone'] = {k: v for k, v in model_cfg['backbone'].items() if k != 'init_cfg'}
    if args.final_model:
        if model_cfg.get('type') != 'DualPathwaySegmentor':
            raise SystemExit('error: --final-model applies to DualPathwaySegmentor configs only')
        model_cfg['final_model'] = args.final_model
    model = MODELS.build(model_cfg)
    from deft_mmseg.utils.checkpoint_loading import load_local_checkpoint
    ckpt = load_local_checkpoint(args.checkpoint, map_location='cpu')
    check_checkpoint_matches(model, ckpt.get('state_dict', ckpt), args.checkpoint)
    load_checkpoint(model, args.checkpoint, map_location='cpu', strict=True)
    meta = ckpt.get('meta', {}).get('dataset_meta')
    cfg_path, ckpt_path = export_final_model(cfg, model.eval(), args.out_dir, meta)
    what = model.describe_final_model() if isinstance(model, TwoStageSegmentor) else 'model'
    print(f'exported {what} as a plain EncoderDecoder:\n  config:     {cfg_path}\n'
          f'  checkpoint: {ckpt_path}')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('out_dir')
    parser.add_argument(
        '--final-model',
        choices=['I', 'II', 'III', 'IV'],
        help='encoder/decoder combination of Table 7 (default: the config\'s)')
    add_demo_argument(parser, with_iters=False)
    args = parser.parse_args(demo_argv(argv))
    from deft_mmseg.utils import run_with_user_errors  # imports deft_mmseg
    run_with_user_errors(export, args)


if __name__ == '__main__':
    main()
