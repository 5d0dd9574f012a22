"""Step time and peak memory of DeFT stage 2 vs ordinary training of the same model.

Both are measured in the same run (each configuration in its own child process, so peak memory is
clean), and printed as ratios DeFT / baseline. The baseline is joint finetuning for the
DeepLabv3+ models and plain Rein training (frozen ViT trunk, trainable Rein layers and head) for
the Rein models, where DeFT's pathways share the frozen trunk. It also times the parts of each
step alone and prints the floor a DeFT step cannot beat: f1 (e1 forward and backward, d~1 forward
and input-gradient backward) + f2 (e~2 forward without a graph, d2 forward and backward) + the
optimizer step. Targets: DeFT within 1.05x of its floor, peak memory <= 1.6x of joint finetuning,
cross-EMA update <= 2% of a DeFT step (DeepLabv3+); peak memory <= 1.1x of plain Rein training.

    python benchmarks/deft_step.py [--model r50|r50-robustnet|tiny|mitb5|rein-l|rein-b|rein-tiny] [--size 256]
        [--batch 2] [--steps 5] [--device cpu|cuda] [--json OUT.json]

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
    # the network of the DeFT paper configs (RobustNet's DeepLabv3+, output stride 16)
    'r50-robustnet': 'deeplabv3plus_r50-d16_robustnet.py',
    'tiny': 'deeplabv3plus_tiny_demo.py',
    'mitb5': 'segformer_mit-b5.py',
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
    else:  # single-process benchmark: plain BN instead of SyncBN (MiT keeps its LayerNorm)
        model['decode_head']['norm_cfg'] = dict(type='BN', requires_grad=True)
        if 'ResNet' in model['backbone']['type']:
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
        model.end_warmup()
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
    parts = (deft_parts if args.mode == 'deft' else joint_parts)(model, opt, inputs, samples,
                                                                 args.steps, device)
    print(
        json.dumps(
            dict(
                step=sum(step_times) / len(step_times),
                ema=sum(ema_times) / len(ema_times),
                peak_mib=peak_mib(device),
                parts=parts)))


def _total(losses):
    return sum(v for k, v in losses.items() if 'loss' in k)


def _detached(feats):
    """Features cut from the encoder's graph, as leaves that collect input gradients."""
    if isinstance(feats, (list, tuple)):
        return type(feats)(_detached(f) for f in feats)
    return feats.detach().requires_grad_(feats.is_floating_point())


def _time(fn, steps, device):
    """Mean seconds of ``fn()`` over ``steps`` calls after two untimed ones."""
    times = []
    for i in range(steps + 2):
        sync(device)
        t0 = time.perf_counter()
        fn()
        sync(device)
        if i >= 2:
            times.append(time.perf_counter() - t0)
    return sum(times) / len(times)


def joint_parts(model, opt, inputs, samples, steps, device):
    """Joint finetuning's step in parts: the decoder's forward and backward on detached features
    (weight and input gradients), the encoder's (= the whole forward/backward minus the
    decoder's), the optimizer step."""
    feats = model.extract_feat(inputs)
    fixed = _detached(feats)
    del feats

    def whole():
        _total(model.decode_head.loss(model.extract_feat(inputs), samples, model.train_cfg)) \
            .backward()

    def decoder():
        _total(model.decode_head.loss(fixed, samples, model.train_cfg)).backward()

    t_whole, t_dec = _time(whole, steps, device), _time(decoder, steps, device)
    return dict(decoder=t_dec, encoder=t_whole - t_dec, optimizer=_time(opt.step, steps, device))


def deft_parts(model, opt, inputs, samples, steps, device):
    """The floor of a DeFT stage-2 step, each part timed alone: f1 = e1 forward and backward with
    d~1's forward and input-gradient backward; f2 = e~2's forward without a graph, d2's forward and
    backward; the optimizer step (e1 and d2, as joint finetuning's)."""
    import torch
    p1, p2 = model.pathway1, model.pathway2
    with torch.no_grad():
        fixed = _detached(p2.extract_feat(inputs))

    def f1():
        _total(model._gc_decoder_loss(p1.extract_feat(inputs), samples)).backward()

    def e2():
        with torch.no_grad():
            p2.extract_feat(inputs)

    def d2():
        _total(p2.decode_head.loss(fixed, samples, model.train_cfg)).backward()

    return dict(
        f1=_time(f1, steps, device),
        e2_forward=_time(e2, steps, device),
        d2=_time(d2, steps, device),
        optimizer=_time(opt.step, steps, device))


def main():
    parser = step_parser(__doc__, MODEL_FILES)
    parser.add_argument('--device', default='cpu')
    parser.add_argument(
        '--checkpoint-gc-decoder',
        action='store_true',
        help='DeFT: recompute d~1 in the backward pass (DualPathwaySegmentor '
        'checkpoint_gc_decoder=True)')
    parser.add_argument('--json', help='also write the figures to this JSON file')
    parser.add_argument('--mode', choices=['deft', 'joint'], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.mode:
        return child(args)
    results = {}
    for mode in ('joint', 'deft'):
        cmd = [
            sys.executable, __file__, '--mode', mode, '--model', args.model, '--size',
            str(args.size), '--batch',
            str(args.batch), '--steps',
            str(args.steps), '--device', args.device
        ] + (['--checkpoint-gc-decoder'] if args.checkpoint_gc_decoder else [])
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            sys.exit(f'{mode} run failed:\n{proc.stderr[-3000:]}')
        results[mode] = json.loads(proc.stdout.strip().splitlines()[-1])
    j, d = results['joint'], results['deft']
    jp, dp = j['parts'], d['parts']
    floor = dp['f1'] + dp['e2_forward'] + dp['d2'] + dp['optimizer']
    rein = args.model.startswith('rein')
    base_name = 'Rein training    ' if rein else 'joint finetuning '
    print(f'model={args.model} size={args.size} batch={args.batch} steps={args.steps} '
          f'device={args.device} checkpoint_gc_decoder={args.checkpoint_gc_decoder}')
    print(f"{base_name}: step {j['step'] * 1e3:9.1f} ms   peak {j['peak_mib']:9.1f} MiB   "
          f"(encoder fwd+bwd {jp['encoder'] * 1e3:.1f}, decoder fwd+bwd {jp['decoder'] * 1e3:.1f}, "
          f"optimizer {jp['optimizer'] * 1e3:.1f} ms)")
    print(f"DeFT stage 2     : step {d['step'] * 1e3:9.1f} ms   peak {d['peak_mib']:9.1f} MiB   "
          f"cross-EMA {d['ema'] * 1e3:.2f} ms")
    print(f"DeFT floor       : step {floor * 1e3:9.1f} ms   = f1 {dp['f1'] * 1e3:.1f} (e1 fwd+bwd, "
          f"d~1 fwd + input-grad bwd) + f2 {(dp['e2_forward'] + dp['d2']) * 1e3:.1f} (e~2 fwd "
          f"without graph {dp['e2_forward'] * 1e3:.1f}, d2 fwd+bwd {dp['d2'] * 1e3:.1f}) + "
          f"optimizer {dp['optimizer'] * 1e3:.1f}")
    print(f"ratio time   DeFT/baseline = {d['step'] / j['step']:.3f}   "
          f"floor/baseline = {floor / j['step']:.3f}")
    print(f"ratio time   DeFT/floor    = {d['step'] / floor:.3f}   (target <= 1.05)")
    print(f"ratio memory DeFT/baseline = {d['peak_mib'] / j['peak_mib']:.3f}   "
          f"(target <= {1.1 if rein else 1.6})")
    print(f"cross-EMA share of a DeFT step = {100 * d['ema'] / d['step']:.2f}%   (target <= 2%)")
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(args=vars(args), joint=j, deft=d, floor=floor), f, indent=1)


if __name__ == '__main__':
    main()
