"""Each config family at its real sizes: a few training iterations and one test per target domain.

For one config per family (network, head, inference mode, protocol), on generated frames of each
dataset's real size (``deft_mmseg.testing.full_size.REAL_FRAME_SIZES``) passed through the config's
own pipelines, data preprocessor and ``test_cfg``, with the config's network at its real width
(random weights: ``--network real``) or the tiny full-size network (``--network tiny``, for a CPU):

- ``--iters`` training iterations at the config's batch size and crop with its optimizer
  (mean time of the iterations after the first, peak memory);
- one ``test_step`` on a frame of each target domain (time, peak memory, and the check that the
  prediction has the frame's size).

    python benchmarks/full_size_paths.py [--network real|tiny] [--device cuda] [--iters 4]
        [--families deft-r50 rein-dinov2 ...] [--json OUT.json]

Without the GPU build of mmcv's ops the pixel decoder's deformable attention runs mmcv's PyTorch
implementation (``--pytorch-deform-attn``), which is slower and uses more memory than the kernel.
"""
import argparse
import copy
import json
import os.path as osp
import tempfile
import time

from bench_utils import machine, peak_mib, sync

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
FAMILIES = {
    'deft-r50': 'deft/deft_deeplabv3plus_r50-d16_1xb4-48k_gtav-768x768.py',
    'deft-mitb5': 'deft/deft_segformer_mit-b5_1xb4-48k_gtav-768x768.py',
    'deft-m2f-r50': 'deft/deft_mask2former_r50_1xb4-48k_gtav-768x768.py',
    'rein-dinov2': 'rein/rein_dinov2-l_mask2former_1xb4-40k_gtav-512x512.py',
    'rein-dinov2-acdc1024': 'rein/rein_dinov2-l_mask2former_4xb2-40k_cityscapes-acdc-1024x1024.py',
    'rein-clip': 'rein/rein_clip-l_mask2former_1xb4-40k_gtav-512x512.py',
    'rein-sam': 'rein/rein_sam-h_mask2former_1xb4-40k_gtav-512x512.py',
    'fishertune-eva02': 'fishertune/fishertune_eva02-l_mask2former_1xb4-44k_gtav-512x512.py',
    'vltseg-eva-clip': 'vltseg/vltseg_eva-clip-l_mask2former_8xb2-5k_gtav-512x512.py',
    'deft-rein': 'deft/deft-rein_dinov2-l_mask2former_1xb4-48k_gtav-512x512.py',
}


def real_model_config(cfg):
    """The config's model with random weights (no checkpoint read) and plain BN (one process)."""
    model = copy.deepcopy(cfg.model)
    model.pop('pretrained', None)

    def strip(node):
        if isinstance(node, dict):
            node.pop('init_cfg', None)
            if node.get('type') == 'SyncBN':
                node['type'] = 'BN'
            for value in node.values():
                strip(value)
        elif isinstance(node, list):
            for value in node:
                strip(value)

    strip(model)
    return model


def run_family(name, config, args, device, folder):
    import torch
    from mmengine.config import Config
    from mmengine.dataset import pseudo_collate
    from mmengine.optim import build_optim_wrapper
    from mmseg.registry import MODELS

    from deft_mmseg.testing.full_size import (domain_frame_size, domain_test_pipelines,
                                              full_size_model_config, run_pipeline,
                                              source_frame_size, write_frame)
    cfg = Config.fromfile(osp.join(REPO, 'configs', config))
    model_cfg = real_model_config(cfg) if args.network == 'real' else full_size_model_config(cfg)
    torch.manual_seed(0)
    model = MODELS.build(model_cfg).to(device)
    if args.network == 'real':
        model.init_weights()
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    optim = build_optim_wrapper(model, cfg.optim_wrapper)
    batch = cfg.train_dataloader.batch_size
    frame = write_frame(folder, source_frame_size(cfg))
    row = dict(
        family=name,
        config=config,
        batch=batch,
        crop=list(cfg.model.data_preprocessor.size),
        params_total=total,
        params_trainable=trainable)
    if device.type == 'cuda':
        torch.cuda.reset_peak_memory_stats()
    times = []
    model.train()
    for i in range(args.iters):
        data = pseudo_collate(
            [run_pipeline(cfg.train_dataloader.dataset.pipeline, *frame) for _ in range(batch)])
        sync(device)
        start = time.perf_counter()
        model.train_step(data, optim)
        sync(device)
        times.append(time.perf_counter() - start)
    row['train_s_per_iter'] = sum(times[1:]) / max(1, len(times) - 1)
    row['train_first_iter_s'] = times[0]
    row['train_peak_mib'] = peak_mib(device)
    model.eval()
    row['test'] = {}
    for domain, pipeline in domain_test_pipelines(cfg).items():
        w, h = domain_frame_size(domain, cfg.test_dataloader.datasets[domain])
        sample = run_pipeline(pipeline, *write_frame(folder, (w, h)))
        if device.type == 'cuda':
            torch.cuda.reset_peak_memory_stats()
        sync(device)
        start = time.perf_counter()
        with torch.no_grad():
            (pred, ) = model.test_step(pseudo_collate([sample]))
        sync(device)
        shape = tuple(pred.pred_sem_seg.data.shape[-2:])
        row['test'][domain] = dict(
            frame=[w, h],
            input=list(sample['inputs'].shape[-2:]),
            seconds=time.perf_counter() - start,
            peak_mib=peak_mib(device),
            ok=shape == (h, w))
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--network', choices=['real', 'tiny'], default='real')
    parser.add_argument('--device', default='cuda')
    parser.add_argument('--iters', type=int, default=4)
    parser.add_argument('--families', nargs='+', choices=sorted(FAMILIES), default=list(FAMILIES))
    parser.add_argument(
        '--pytorch-deform-attn',
        action='store_true',
        help='run deformable attention with mmcv\'s PyTorch implementation '
        '(an mmcv built without its CUDA ops)')
    parser.add_argument('--json', help='write the figures to this JSON file')
    args = parser.parse_args(argv)
    import torch
    from mmengine.registry import init_default_scope

    import deft_mmseg  # noqa: F401
    init_default_scope('mmseg')
    from mmengine.logging import MMLogger
    MMLogger.get_instance('mmengine').setLevel('WARNING')  # init_weights' per-parameter lines
    if args.pytorch_deform_attn:
        import mmcv.ops.multi_scale_deform_attn as msda
        msda.IS_CUDA_AVAILABLE = False
    device = torch.device(args.device)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for name in args.families:
            try:
                row = run_family(name, FAMILIES[name], args, device, folder)
            except Exception as exc:  # report the family as failed, go on with the others
                row = dict(family=name, config=FAMILIES[name], error=f'{type(exc).__name__}: {exc}')
            rows.append(row)
            print(json.dumps(row), flush=True)
            if device.type == 'cuda':
                torch.cuda.empty_cache()
    gpu = torch.cuda.get_device_name(device) if device.type == 'cuda' else ''
    result = dict(
        machine=f'{machine()}; {gpu}'.rstrip('; '),
        network=args.network,
        iters=args.iters,
        pytorch_deform_attn=args.pytorch_deform_attn,
        rows=rows)
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(result, f, indent=1)
    print(f'machine: {result["machine"]}')
    for row in rows:
        if 'error' in row:
            print(f'{row["family"]:22s} FAILED {row["error"][:200]}')
            continue
        tests = ', '.join(f'{d} {t["input"][1]}x{t["input"][0]} {t["seconds"]:.2f}s '
                          f'{t["peak_mib"]:.0f}MiB{"" if t["ok"] else " WRONG SIZE"}'
                          for d, t in row['test'].items())
        print(f'{row["family"]:22s} train b{row["batch"]} {row["train_s_per_iter"]:.3f}s/it '
              f'{row["train_peak_mib"]:.0f}MiB | test {tests}')


if __name__ == '__main__':
    main()
