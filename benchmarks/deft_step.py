"""Step time and peak memory of DeFT stage 2 vs ordinary training of the same model.

Both are measured in the same run (each configuration in its own child process, so peak memory is
clean), and printed as ratios DeFT / baseline. The baseline is joint finetuning for the
DeepLabv3+ models and plain Rein training (frozen ViT trunk, trainable Rein layers and head) for
the Rein models, where DeFT's pathways share the frozen trunk. Targets: time <= 1.35x, peak
memory <= 1.6x, Cross-EMA update <= 2% of a DeFT step (DeepLabv3+, issue #3); peak memory <= 1.1x
of plain Rein training (Rein, issue #5).

    python benchmarks/deft_step.py [--model r50|tiny|rein-l|rein-b|rein-tiny] [--size 256]
        [--batch 2] [--steps 5] [--device cpu|cuda]

On CUDA, peak memory is torch.cuda.max_memory_allocated; on CPU it is the child's peak RSS.
"""
import argparse
import copy
import json
import os.path as osp
import subprocess
import sys
import time

from bench_utils import peak_mib, random_batch, step_parser, sync

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


MODEL_FILES = {
    'r50': 'deeplabv3plus_r50-d8.py',
    'tiny': 'deeplabv3plus_tiny_demo.py',
    'rein-l': 'rein_dinov2-l_mask2former.py',
    'rein-b': 'rein_dinov2-l_mask2former.py',
    'rein-tiny': 'rein_vit_tiny_demo.py',
}


def _model_cfg(name, segmentor, size):
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(REPO, 'configs', '_base_', 'models', MODEL_FILES[name]))
    model = copy.deepcopy(cfg.model)  # a ConfigDict: mmdet's heads read attributes
    model.pop('pretrained', None)
    model['data_preprocessor'] = None
    model['type'] = segmentor
    model['backbone'].pop('init_cfg', None)
    if name.startswith('rein'):
        model['backbone']['vit']['img_size'] = size
        if name == 'rein-b':  # ViT-B: 768 channels, 12 blocks
            model['backbone']['vit']['arch'] = 'base'
            model['backbone']['out_indices'] = (3, 5, 7, 11)
            model['backbone']['reins'].update(embed_dims=768, num_layers=12)
            model['decode_head']['in_channels'] = [768] * 4
    else:  # single-process benchmark: plain BN
        model['decode_head']['norm_cfg'] = dict(type='BN', requires_grad=True)
        model['backbone']['norm_cfg'] = dict(type='BN', requires_grad=True)
    return model


def child(args):
    import torch
    from mmseg.registry import MODELS

    import deft_mmseg  # noqa: F401
    from deft_mmseg.engine.hooks import CrossEMAHook

    torch.manual_seed(0)
    device = torch.device(args.device)
    segmentor = 'DualPathwaySegmentor' if args.mode == 'deft' else 'EncoderDecoder'
    model_cfg = _model_cfg(args.model, segmentor, args.size)
    if args.mode == 'deft' and args.checkpoint_gc_decoder:
        model_cfg['checkpoint_gc_decoder'] = True
    model = MODELS.build(model_cfg).to(device).train()
    hook = None
    if args.mode == 'deft':
        model.start_decoupled_finetuning()
        model.train()
        hook = CrossEMAHook(beta=0.9999)
        hook.bind(model)
    params = [p for p in model.parameters() if p.requires_grad]
    if args.model.startswith('rein'):  # the Rein recipe (SGD at 1e-2 diverges on random ViTs)
        opt = torch.optim.AdamW(params, lr=1e-4, weight_decay=0.05)
    else:  # DeFT's recipe
        opt = torch.optim.SGD(params, lr=0.01, momentum=0.9, weight_decay=5e-4)
    inputs, samples = random_batch(args.batch, args.size, device)

    step_times, ema_times = [], []
    for i in range(args.steps + 2):  # two warm-up steps are not timed
        sync(device)
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        losses = model.loss(inputs, samples)
        sum(v for k, v in losses.items() if 'loss' in k).backward()
        opt.step()
        sync(device)
        t1 = time.perf_counter()
        if hook is not None:
            hook.cross_ema_update()
        sync(device)
        t2 = time.perf_counter()
        if i >= 2:
            step_times.append(t2 - t0)
            ema_times.append(t2 - t1)
    print(json.dumps(dict(step=sum(step_times) / len(step_times),
                          ema=sum(ema_times) / len(ema_times), peak_mib=peak_mib(device))))


def main():
    parser = step_parser(__doc__, MODEL_FILES)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--checkpoint-gc-decoder', action='store_true',
                        help='DeFT: recompute d~1 in the backward pass (DualPathwaySegmentor '
                        'checkpoint_gc_decoder=True)')
    parser.add_argument('--mode', choices=['deft', 'joint'], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.mode:
        return child(args)
    results = {}
    for mode in ('joint', 'deft'):
        cmd = [sys.executable, __file__, '--mode', mode, '--model', args.model, '--size',
               str(args.size), '--batch', str(args.batch), '--steps', str(args.steps),
               '--device', args.device] + (['--checkpoint-gc-decoder']
                                           if args.checkpoint_gc_decoder else [])
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            sys.exit(f'{mode} run failed:\n{proc.stderr[-3000:]}')
        results[mode] = json.loads(proc.stdout.strip().splitlines()[-1])
    j, d = results['joint'], results['deft']
    rein = args.model.startswith('rein')
    base_name = 'Rein training    ' if rein else 'joint finetuning '
    print(f'model={args.model} size={args.size} batch={args.batch} steps={args.steps} '
          f'device={args.device} checkpoint_gc_decoder={args.checkpoint_gc_decoder}')
    print(f"{base_name}: step {j['step'] * 1e3:9.1f} ms   peak {j['peak_mib']:9.1f} MiB")
    print(f"DeFT stage 2     : step {d['step'] * 1e3:9.1f} ms   peak {d['peak_mib']:9.1f} MiB   "
          f"cross-EMA {d['ema'] * 1e3:.2f} ms")
    print(f"ratio time   DeFT/baseline = {d['step'] / j['step']:.3f}   (target <= 1.35)")
    print(f"ratio memory DeFT/baseline = {d['peak_mib'] / j['peak_mib']:.3f}   "
          f"(target <= {1.1 if rein else 1.6})")
    print(f"cross-EMA share of a DeFT step = {100 * d['ema'] / d['step']:.2f}%   (target <= 2%)")


if __name__ == '__main__':
    main()
