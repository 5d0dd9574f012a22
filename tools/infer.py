"""Segment an image, a folder of images or a video with a trained model; write label maps and
painted overlays.

    python tools/infer.py CONFIG CHECKPOINT INPUT --out DIR [--palette NAME] [--opacity 0.5]
        [--batch-size 4] [--device cpu] [--domain NAME] [--cfg-options k=v ...]

DIR/pred/<name>.png: the predicted train ids (uint8, one value per class index); DIR/vis/<name>.png:
the image with the prediction painted over it. A video gives DIR/pred/frame_000000.png ... and
DIR/<video name>_overlay.mp4. Runs mmseg's own ``MMSegInferencer`` on the model of CONFIG (for
DeFT, the final model d̃1∘ẽ2), so it works as well on an exported plain-mmseg model.

The images are prepared by the config's ``test_pipeline`` (mmseg's inferencer reads
``test_dataloader.dataset.pipeline``). A multi-domain config may test some domains with their own
pipeline (e.g. the Rein protocol resizes BDD100K to 1280x720, Cityscapes to 1024x512);
``--domain NAME`` takes that domain's pipeline, so that images of that domain are segmented as
``tools/test.py`` segments them.
"""
import argparse
import os
import os.path as osp

# the stack (mmengine, mmseg, deft_mmseg, OpenCV) is imported after the arguments are parsed, so
# that --help and a mistyped option answer at once (tool_arguments.py)
from tool_arguments import add_cfg_options, add_demo_argument, demo_argv, demo_iters


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Segment images, a folder or a video')
    parser.add_argument('config', help='config file of the model')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        'input', help='an image, a folder of images (searched recursively) or a '
        'video')
    parser.add_argument('--out', required=True, help='output folder (pred/, vis/)')
    parser.add_argument(
        '--palette',
        default=None,
        help="colour palette by dataset name (e.g. 'cityscapes'); default: the "
        "checkpoint's dataset")
    parser.add_argument(
        '--opacity', type=float, default=0.5, help='opacity of the painted prediction, in (0, 1]')
    parser.add_argument('--batch-size', type=int, default=1)
    parser.add_argument('--device', default='cpu', help="e.g. 'cpu', 'cuda:0'")
    parser.add_argument(
        '--domain',
        help="the config's test domain (a key of test_dataloader.datasets) whose test pipeline "
        "prepares the images, as tools/test.py does for that domain; default: the config's "
        'test_pipeline')
    add_cfg_options(parser, 'override config settings, as for tools/train.py')
    add_demo_argument(parser, with_iters=False)
    return parser.parse_args(demo_argv(argv))


def build_inferencer(args):
    from mmseg.apis import MMSegInferencer

    from deft_mmseg.apis.tool_config import load_config
    from deft_mmseg.utils.warning_filters import hidden_log_records
    cfg = load_config(args.config, demo_iters(args.demo), demo_data=False)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if args.domain is not None:
        use_domain_pipeline(cfg, args.domain)
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint {args.checkpoint!r} does not exist.')
    # the inferencer paints in memory and this tool writes the files: no visualizer backends
    # (without a save_dir each would warn that it cannot be added)
    cfg.visualizer = dict(cfg.visualizer, vis_backends=None)
    # mmengine's inferencer looks up its collate function in the "function" registry of the
    # config's scope, which mmseg does not have; it then takes mmengine's (pseudo_collate, the
    # right one) and logs a warning saying the look-up failed (mmengine 0.10.7,
    # infer/infer.py, _init_collate)
    with hidden_log_records('Failed to search registry with scope "mmseg" in the "function"'):
        inferencer = MMSegInferencer(
            model=cfg, weights=args.checkpoint, palette=args.palette, device=args.device)
    inferencer.show_progress = False  # one bar over all inputs below
    return inferencer


def use_domain_pipeline(cfg, domain):
    """Set the inferencer's pipeline (``test_dataloader.dataset.pipeline``) to the test pipeline
    of the multi-domain config's ``domain``; a config without that domain is a ``ConfigError``
    naming the ones it has."""
    import copy

    from deft_mmseg.utils.errors import ConfigError
    datasets = cfg.test_dataloader.get('datasets') or {}
    if domain not in datasets or 'pipeline' not in datasets[domain]:
        known = ', '.join(datasets) if datasets else 'none: it has a single test dataset'
        raise ConfigError(f'--domain {domain}: not a test domain of {cfg.filename} (its '
                          f'test_dataloader.datasets: {known})')
    cfg.test_dataloader.dataset = dict(
        cfg.test_dataloader.get('dataset') or {},
        pipeline=copy.deepcopy(datasets[domain]['pipeline']))


def frames_of(path):
    """``(kind, [(name, path or BGR array), ...] or VideoFrames, count)``, checked."""
    from deft_mmseg.apis.inference_inputs import VideoFrames, input_kind, list_images
    kind = input_kind(path)
    if kind == 'video':
        video = VideoFrames(path)
        return kind, video, video.num_frames
    images = list_images(path)
    return kind, images, len(images)


def chunks(items, size):
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def infer(args):
    """Segment ``args.input``; every input check before anything is written."""
    import cv2
    import numpy as np
    from mmengine.registry import init_default_scope
    from mmengine.utils import ProgressBar

    from deft_mmseg.utils.errors import InferenceInputError
    if not 0 < args.opacity <= 1:
        raise InferenceInputError(f'--opacity {args.opacity}: give a value in (0, 1].')
    init_default_scope('mmseg')
    kind, frames, count = frames_of(args.input)  # every input check before anything is written
    inferencer = build_inferencer(args)
    pred_dir, vis_dir = osp.join(args.out, 'pred'), osp.join(args.out, 'vis')
    os.makedirs(pred_dir, exist_ok=True)
    writer = None
    if kind == 'video':
        stem = osp.splitext(osp.basename(args.input))[0]
        video_out = osp.join(args.out, f'{stem}_overlay.mp4')
        writer = cv2.VideoWriter(video_out, cv2.VideoWriter_fourcc(*'mp4v'), frames.fps,
                                 frames.size)
    else:
        os.makedirs(vis_dir, exist_ok=True)
    bar = ProgressBar(count) if count else None
    written = 0
    for batch in chunks(frames, args.batch_size):
        names = [name for name, _ in batch]
        result = inferencer([item for _, item in batch],
                            return_vis=True,
                            opacity=args.opacity,
                            batch_size=args.batch_size)
        # MMSegInferencer unwraps the lists of a one-image call
        preds, visuals = result['predictions'], result['visualization']
        preds = preds if isinstance(preds, list) else [preds]
        visuals = visuals if isinstance(visuals, list) else [visuals]
        for name, pred, vis in zip(names, preds, visuals, strict=True):
            path = osp.join(pred_dir, name + '.png')
            os.makedirs(osp.dirname(path), exist_ok=True)
            cv2.imwrite(path, np.asarray(pred, dtype=np.uint8))
            overlay = np.ascontiguousarray(vis[..., ::-1])  # the visualizer paints RGB
            if writer is not None:
                writer.write(overlay)
            else:
                path = osp.join(vis_dir, name + '.png')
                os.makedirs(osp.dirname(path), exist_ok=True)
                cv2.imwrite(path, overlay)
            written += 1
            if bar is not None:
                bar.update()
    if writer is not None:
        writer.release()
    where = video_out if writer is not None else vis_dir
    print(f'\nsegmented {written} {"frames" if kind == "video" else "images"}: label maps in '
          f'{pred_dir}, overlays in {where}')


def main(argv=None):
    args = parse_args(argv)
    from deft_mmseg.utils import run_with_user_errors  # imports deft_mmseg
    run_with_user_errors(infer, args)


if __name__ == '__main__':
    main()
