"""Step time and peak memory of FisherTune against full finetuning of the same ViT + Mask2Former.

Three configurations, each in its own child process (clean peak memory), measured in one run:
``full`` (plain ``EncoderDecoder``, every VFM weight trainable, the baseline), ``tune`` (a
FisherTune tuning step at delta = 5 %: masked gradients plus the restore after the optimizer
step) and ``estimate`` (one iteration of the variational DR-FIM estimation: SGVB steps on x and x',
antithetic pairs). Printed as ratios against ``full``. Issue #6 sets no target; docs/fishertune.md
gives the memory cost per element.

    python benchmarks/fishertune_step.py [--model vit-tiny|vit-b|vit-l] [--size 256]
        [--batch 2] [--steps 5] [--device cpu|cuda]
"""
import argparse
import copy
import json
import os.path as osp
import subprocess
import sys
import time

from bench_utils import peak_mib, random_batch, sync

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
MODES = ('full', 'tune', 'estimate')


def _model_cfg(name, size, mode):
    from mmengine.config import Config
    tiny = name == 'vit-tiny'
    path = osp.join(REPO, 'configs', '_base_', 'models',
                    'fishertune_vit_tiny_demo.py' if tiny else 'fishertune_dinov2-l_mask2former.py')
    model = copy.deepcopy(Config.fromfile(path).model)
    model['data_preprocessor'] = None
    model['backbone'].pop('init_cfg', None)
    if not tiny:
        model['backbone']['vit']['img_size'] = size
    if name == 'vit-b':
        model['backbone']['vit']['arch'] = 'base'
        model['backbone']['out_indices'] = (3, 5, 7, 11)
        model['decode_head']['in_channels'] = [768] * 4
    if mode == 'full':
        model['type'] = 'EncoderDecoder'
        model.pop('fishertune')
    else:
        model['fishertune']['score'] = 'random'  # the cost does not depend on the scores
        model['fishertune']['delta_min'] = 0.05
    return model


def child(args):
    import torch
    from mmseg.registry import MODELS

    import deft_mmseg  # noqa: F401

    torch.manual_seed(0)
    device = torch.device(args.device)
    model = MODELS.build(_model_cfg(args.model, args.size, args.mode)).to(device).train()
    inputs, samples = random_batch(args.batch, args.size, device)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad],
                            lr=1e-4,
                            weight_decay=0.05)
    if args.mode == 'tune':
        model.end_warmup()
        model.start_tuning(None, [opt])
        model.set_tune_step(1, 1)
    times = []
    for i in range(args.steps + 2):  # two warm-up steps are not timed
        sync(device)
        t0 = time.perf_counter()
        if args.mode == 'estimate':
            model.estimator.log_interval = 10**9
            model.estimate_sensitivity(lambda: (inputs, samples), 1, log=lambda _: None)
        else:
            opt.zero_grad(set_to_none=True)
            losses = model.loss(inputs, samples)
            sum(v for k, v in losses.items() if 'loss' in k).backward()
            opt.step()
        sync(device)
        if i >= 2:
            times.append(time.perf_counter() - t0)
    selected = model.sparse_mask.num_selected() if args.mode == 'tune' else None
    print(
        json.dumps(
            dict(step=sum(times) / len(times), peak_mib=peak_mib(device), selected=selected)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--model', choices=['vit-tiny', 'vit-b', 'vit-l'], default='vit-tiny')
    parser.add_argument('--size', type=int, default=256)
    parser.add_argument('--batch', type=int, default=2)
    parser.add_argument('--steps', type=int, default=5)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--mode', choices=MODES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.mode:
        return child(args)
    results = {}
    for mode in MODES:
        cmd = [
            sys.executable, __file__, '--mode', mode, '--model', args.model, '--size',
            str(args.size), '--batch',
            str(args.batch), '--steps',
            str(args.steps), '--device', args.device
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            sys.exit(f'{mode} run failed:\n{proc.stderr[-3000:]}')
        results[mode] = json.loads(proc.stdout.strip().splitlines()[-1])
    full = results['full']
    print(f'model={args.model} size={args.size} batch={args.batch} steps={args.steps} '
          f'device={args.device}')
    labels = dict(full='full finetuning  ', tune='FisherTune tuning', estimate='DR-FIM estimate ')
    for mode in MODES:
        r = results[mode]
        extra = f"   selected {r['selected']:,}" if r['selected'] is not None else ''
        print(f"{labels[mode]}: step {r['step'] * 1e3:9.1f} ms   peak {r['peak_mib']:9.1f} MiB"
              f'   ratio time {r["step"] / full["step"]:.3f}   ratio memory '
              f'{r["peak_mib"] / full["peak_mib"]:.3f}{extra}')


if __name__ == '__main__':
    main()
