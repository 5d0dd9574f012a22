"""Peak memory of FisherTune's DR-FIM estimation against the size of the model.

Builds the model of a FisherTune config (random weights) with its ViT at a given width, and runs
the estimation stage exactly as ``FisherTuneTrainLoop`` calls it
(``FisherTuneEncoderDecoder.estimate_sensitivity``) on ``--iters`` random batches at the config's
crop and batch size, in a child process (a clean peak). Reported:

- the model's parameter bytes and its number of candidate elements n (the Q/K/V/FFN weights of
  the config's groups);
- the peak host RSS of the process, and on CUDA ``torch.cuda.max_memory_allocated``, each as a
  ratio to the parameter bytes;
- the estimator's own bytes per candidate element: (peak of the estimation - peak of the
  estimator's unit of work, one sample's forward and backward) / n. This is the figure that
  scales to the large VFMs (docs/fishertune.md, "Memory of the estimation").

With ``--iters 4`` (the default) the run has the structure of a full one: two chains of two steps
each (from the second step on, Adam's moments exist while a step runs), the first chain's result
waiting while the second runs.

    python benchmarks/fishertune_memory.py [--config CONFIG] [--width tiny|base|large|huge]
        [--device cpu|cuda] [--iters 4] [--crop N] [--batch N] [--json out.json]
"""
import argparse
import copy
import json
import os.path as osp
import resource
import subprocess
import sys
import time

from bench_utils import machine, random_batch, sync

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEFAULT_CONFIG = osp.join(REPO, 'configs', 'fishertune',
                          'fishertune_eva02-l_mask2former_1xb4-44k_gtav-512x512.py')
#: mmpretrain arch of each width, per ViT class (ViTSAM has no tiny arch: given as a dict)
WIDTHS = {
    'mmpretrain.VisionTransformer':
    dict(tiny='deit-tiny', base='base', large='large', huge='huge'),
    'mmpretrain.ViTEVA02':
    dict(tiny='tiny', base='base', large='large'),
    'mmpretrain.ViTSAM':
    dict(
        tiny=dict(
            embed_dims=192,
            num_layers=12,
            num_heads=3,
            feedforward_channels=768,
            global_attn_indexes=[2, 5, 8, 11]),
        base='base',
        large='large',
        huge='huge'),
}


def fail(message):
    """A one-line error (no traceback), exit status 2, as the tools do."""
    print(f'error: {message}', file=sys.stderr)
    sys.exit(2)


def _arch_settings(vit_type, arch):
    """(embed_dims, num_layers) of an mmpretrain arch name or dict."""
    if isinstance(arch, dict):
        return arch['embed_dims'], arch['num_layers']
    from mmpretrain.registry import MODELS as PRETRAIN_MODELS
    zoo = PRETRAIN_MODELS.get(vit_type.split('.', 1)[1]).arch_zoo
    return zoo[arch]['embed_dims'], zoo[arch]['num_layers']


def model_and_data_cfg(config, width, crop=None, batch=None):
    """The config's model with its ViT at ``width`` (random weights, no data preprocessor), and
    the crop and batch size of the config (unless given)."""
    from mmengine.config import Config
    try:
        cfg = Config.fromfile(config)
    except Exception as exc:  # noqa: BLE001 - any unreadable config gets its one line
        fail(f'config {config} cannot be read ({type(exc).__name__}: '
             f'{str(exc).splitlines()[0] if str(exc) else ""}).')
    model = copy.deepcopy(cfg.get('model') or {})
    if model.get('type') != 'FisherTuneEncoderDecoder':
        fail(f'{config} is not a FisherTune config (model.type is {model.get("type")!r}); pick '
             f'one of configs/fishertune/.')
    model['data_preprocessor'] = None
    model['backbone'].pop('init_cfg', None)
    vit = model['backbone']['vit']
    widths = WIDTHS.get(vit['type'])
    if widths is None or width not in widths:
        fail(f"no {width!r} width for {vit['type']}; use one of {sorted(widths or {})}.")
    _, old_depth = _arch_settings(vit['type'], vit['arch'])
    vit['arch'] = widths[width]
    dims, depth = _arch_settings(vit['type'], vit['arch'])
    if crop is None:
        crop = cfg.get('crop_size', (512, 512))[0]
    if batch is None:
        batch = cfg.train_dataloader.batch_size
    vit['img_size'] = crop
    # the config's feature taps at the same relative depths
    model['backbone']['out_indices'] = tuple(
        round((i + 1) * depth / old_depth) - 1 for i in model['backbone']['out_indices'])
    model['decode_head']['in_channels'] = [dims] * len(model['backbone']['out_indices'])
    return model, crop, batch


def _rss_now():
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * resource.getpagesize()


def _rss_peak():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def child(args):
    import torch
    from mmseg.registry import MODELS

    import deft_mmseg  # noqa: F401
    from deft_mmseg.models.fishertune import DRFIMEstimator

    device = torch.device(args.device)
    cfg, crop, batch = model_and_data_cfg(args.config, args.width, args.crop, args.batch)
    torch.manual_seed(0)
    model = MODELS.build(cfg).to(device)
    inputs, samples = random_batch(
        batch, crop, device, num_classes=cfg['decode_head'].get('num_classes', 19))
    param_bytes = sum(p.numel() * p.element_size() for p in model.parameters())
    rss_model = _rss_now()
    # the estimator's unit of work: one sample's loss, forward and backward (to the input, so no
    # parameter gradient is kept): the activation peak any estimator pays
    model.eval()
    with model.full_loss_mode():
        x = inputs[:1].clone().requires_grad_(True)
        torch.autograd.grad(DRFIMEstimator._loss(model, x, samples[:1]), x)
    del x
    sync(device)
    rss_unit = _rss_peak()
    cuda = {}
    if device.type == 'cuda':
        cuda['unit_peak'] = torch.cuda.max_memory_allocated()
        torch.cuda.reset_peak_memory_stats()
        cuda['before'] = torch.cuda.memory_allocated()
    model.estimator.log_interval = 1
    start = time.perf_counter()
    model.estimate_sensitivity(
        lambda: (inputs, samples),
        args.iters,
        log=lambda msg: print(msg, file=sys.stderr, flush=True))
    sync(device)
    seconds = time.perf_counter() - start
    n = model.num_candidates
    out = dict(
        config=osp.basename(args.config),
        width=args.width,
        vit=cfg['backbone']['vit'],
        crop=crop,
        batch=batch,
        iters=args.iters,
        device=args.device,
        machine=machine(),
        param_bytes=param_bytes,
        candidates=n,
        rss_model=rss_model,
        rss_unit_peak=rss_unit,
        rss_peak=_rss_peak(),
        seconds=seconds)
    out['rss_ratio'] = out['rss_peak'] / param_bytes
    out['rss_bytes_per_candidate'] = (out['rss_peak'] - rss_unit) / n
    if cuda:
        cuda['peak'] = torch.cuda.max_memory_allocated()
        out['cuda'] = cuda
        out['cuda_ratio'] = cuda['peak'] / param_bytes
        out['cuda_bytes_per_candidate'] = (cuda['peak'] -
                                           max(cuda['unit_peak'], cuda['before'])) / n
    print(json.dumps(out, default=str))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config', default=DEFAULT_CONFIG, help='a FisherTune config')
    parser.add_argument('--width', choices=['tiny', 'base', 'large', 'huge'], default='base')
    parser.add_argument('--device', choices=['cpu', 'cuda'], default='cpu')
    parser.add_argument('--iters', type=int, default=4, help='estimation batches')
    parser.add_argument('--crop', type=int, help="default: the config's crop")
    parser.add_argument('--batch', type=int, help="default: the config's batch size")
    parser.add_argument('--json', help='also write the figures to this file')
    parser.add_argument('--child', action='store_true', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not osp.isfile(args.config):
        fail(f'config {args.config} does not exist.')
    if args.child:
        return child(args)
    if args.device == 'cuda':
        import torch
        if not torch.cuda.is_available():
            fail('--device cuda, but torch sees no CUDA device; use --device cpu.')
    if args.iters < 1:
        fail(f'--iters {args.iters}: estimate on at least 1 batch (4: the structure of a full '
             f'run).')
    # the config is checked here, so that a wrong one gives its one-line error, not the child's
    model_and_data_cfg(args.config, args.width, args.crop, args.batch)
    proc = subprocess.run(
        [sys.executable, __file__, '--child'] + sys.argv[1:], stdout=subprocess.PIPE, text=True)
    if proc.returncode == 2:
        sys.exit(2)  # the child printed its one-line error
    if proc.returncode != 0:
        fail(f'the measuring process failed (exit status {proc.returncode}; -9 is the kernel '
             f'killing it for memory).')
    r = json.loads(proc.stdout.strip().splitlines()[-1])
    gib = 2**30
    print(f"{r['config']}, ViT width {r['width']}, crop {r['crop']}, batch {r['batch']}, "
          f"{r['iters']} estimation batches, {r['device']} ({r['machine']})")
    print(f"parameters {r['param_bytes'] / gib:.3f} GiB, candidate elements {r['candidates']:,}")
    print(f"host RSS: model {r['rss_model'] / gib:.2f} GiB, one sample's forward/backward peak "
          f"{r['rss_unit_peak'] / gib:.2f} GiB, estimation peak {r['rss_peak'] / gib:.2f} GiB "
          f"= {r['rss_ratio']:.1f} x parameter bytes; estimator "
          f"{r['rss_bytes_per_candidate']:.1f} B per candidate element")
    if 'cuda' in r:
        print(f"CUDA max allocated: {r['cuda']['peak'] / gib:.2f} GiB = {r['cuda_ratio']:.1f} x "
              f"parameter bytes; estimator {r['cuda_bytes_per_candidate']:.1f} B per candidate "
              f'element')
    print(f"estimation took {r['seconds']:.0f} s")
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(r, f, indent=1)


if __name__ == '__main__':
    main()
