"""A miniature domain-generalization benchmark on CPU: every method, one pretrained tiny encoder.

    python benchmarks/mini_dg.py              # every method, seeds 0 1 2 (make demo-compare)
    python benchmarks/mini_dg.py --methods lpft deft --seeds 0 --out work_dirs/demo   # make demo

Protocol (fixed and committed before the first comparison; see docs/benchmarks.md):

- data: the demo generator at a larger size (``data/mini_dg``: 400 GTAV-layout source images,
  50 per target domain ``demo_real`` / ``demo_fog`` / ``demo_night``, 128x64);
- encoders: the tiny ResNet-18 and tiny ViT pretrained on the synthetic many-style corpus
  (``deft_mmseg/demo/pretraining.py``), loaded with ``init_cfg=dict(type='Pretrained', ...)``;
  the same file for every method and seed (seeds vary decoder initialization, data order and
  augmentation);
- one schedule for every method: ``ITERS`` iterations of batch 4; two-stage methods spend the
  first sixth of them on the warm-up (the DeFT paper's 8K of 48K), FisherTune estimates
  sensitivity on ``ESTIMATE_ITERS`` batches after it; every other setting is the method's shipped
  config, turned into its tiny network by ``make_demo_config`` (the same path as ``--demo``);
- beta rule for short runs: the EMA horizon 1 / (1 - beta) stays a quarter of decoupled
  finetuning, as beta = 0.9999 is for 40K decoupled iterations: beta = 1 - 4 / decoupled_iters
  (``deft_mmseg.demo.demo_config.scaled_ema_beta``'s rule at 0.9999, written here in the form the
  protocol was fixed with: the other form differs in the last bits and would change the hash);
- DeFT's Table 7 variants I-III are the same checkpoints evaluated with another ``final_model``.

Each (method, seed) runs in its own process and writes ``OUT/<method>/seed<k>/result.json``;
finished runs of the same protocol are reused, so an interrupted comparison resumes. The summary
(``OUT/mini_dg.md``, ``OUT/mini_dg.json``, ``OUT/mini_dg.png``) is written from all results found.
"""
import argparse
import hashlib
import json
import os
import os.path as osp
import subprocess
import sys
import time
from collections import OrderedDict

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
DOMAINS = ('demo_real', 'demo_fog', 'demo_night')
ITERS = 1200
WARMUP_FRACTION = 6  # warm-up = ITERS // 6 (8K of 48K in the DeFT paper)
ESTIMATE_ITERS = 50
DISTANCE_INTERVAL = 50
DATA = dict(root='data/mini_dg', num_source=400, num_target=50, seed=0)
PRETRAINED_ROOT = 'data/demo'

# name -> (config, encoder kind, label, the paper's C / B / M on the real benchmark, where from)
METHODS = OrderedDict([
    ('joint', ('configs/baselines/deeplabv3plus_r50-d16_1xb4-40k_gtav-768x768_noaux-aug.py',
               'resnet-torchvision', 'Joint finetuning, no warm-up', (40.77, 37.87,
                                                                      43.39), 'DeFT T6 r3')),
    ('lpft', ('configs/baselines/lpft_deeplabv3plus_r50-d16_1xb4-48k_gtav-768x768.py',
              'resnet-torchvision', 'Joint finetuning after warm-up (LP-FT)', (42.32, 40.33,
                                                                               44.88), 'DeFT T3')),
    ('freeze-encoder', ('configs/baselines/'
                        'freeze-encoder_deeplabv3plus_r50-d16_1xb4-48k_gtav-768x768.py',
                        'resnet-torchvision', 'Freezing encoder', (41.88, 36.85,
                                                                   44.59), 'DeFT T1')),
    ('freeze-decoder', ('configs/baselines/'
                        'freeze-decoder_deeplabv3plus_r50-d16_1xb4-48k_gtav-768x768.py',
                        'resnet-torchvision', 'Freezing decoder', (42.52, 38.75,
                                                                   45.03), 'DeFT T1')),
    ('deft', ('configs/deft/deft_deeplabv3plus_r50-d16_1xb4-48k_gtav-768x768.py',
              'resnet-torchvision', 'DeFT (IV: d~1 o e~2)', (50.06, 43.17, 50.51), 'DeFT T1/T3')),
    ('deft-distreg', ('configs/deft/deft-distreg_deeplabv3plus_r50-d16_1xb4-48k_gtav-768x768.py',
                      'resnet-torchvision', 'DeFT + distance regularization', (51.09, 43.46,
                                                                               51.58), 'DeFT T3')),
    ('vit-frozen', ('configs/baselines/vfm/frozen_dinov2-l_mask2former_1xb4-40k_gtav-512x512.py',
                    'vit', 'ViT frozen', (63.3, 56.1, 63.9), 'Rein T2')),
    ('vit-full', ('configs/baselines/vfm/full_dinov2-l_mask2former_1xb4-40k_gtav-512x512.py', 'vit',
                  'ViT full finetuning', (63.7, 57.4, 64.2), 'Rein T2')),
    ('rein', ('configs/rein/rein_dinov2-l_mask2former_1xb4-40k_gtav-512x512.py', 'vit', 'Rein',
              (66.4, 60.4, 66.1), 'Rein T2')),
    ('fishertune', ('configs/fishertune/fishertune_dinov2-l_mask2former_1xb4-44k_gtav-512x512.py',
                    'vit', 'FisherTune', (68.2, 63.3, 68.0), 'FisherTune T1')),
    ('deft-rein', ('configs/deft/deft-rein_dinov2-l_mask2former_1xb4-48k_gtav-512x512.py', 'vit',
                   'DeFT on Rein', None, '-')),
])
#: DeFT rows evaluated again with the other final models of Table 7 (same checkpoints)
TABLE7 = OrderedDict([('I', 'e1 + d2 (UC)'), ('II', 'e1 + d~1 (f1)'), ('III', 'e~2 + d2 (f2)')])


def beta_for(decoupled_iters):
    """The beta rule: EMA horizon 1 / (1 - beta) = decoupled_iters / 4 (0.9999 at 40K)."""
    return 1.0 - 4.0 / decoupled_iters


def protocol() -> dict:
    """Everything a result depends on; its hash tags every result file."""
    warmup = ITERS // WARMUP_FRACTION
    return dict(
        iters=ITERS,
        warmup_iters=warmup,
        estimate_iters=ESTIMATE_ITERS,
        beta=beta_for(ITERS - warmup),
        data=DATA,
        distance_interval=DISTANCE_INTERVAL,
        methods={
            k: [v[0], v[1]]
            for k, v in METHODS.items()
        },
        version=1)


def protocol_hash() -> str:
    """12 hex digits of the protocol's sha1 (docs/benchmarks.md names the hash of each result)."""
    return hashlib.sha1(json.dumps(protocol(), sort_keys=True).encode()).hexdigest()[:12]


# --------------------------------------------------------------------------------------------
# one run (in its own process)


def check_encoder_fits(backbone_cfg, pretrained, kind):
    """Refuse a pretrained encoder file that does not fit the config's tiny backbone: mmengine's
    ``Pretrained`` init loads with ``strict=False``, and the two tiny ResNets share every key but
    the stem's, so a wrong file would leave a random stem without a word."""
    import copy

    from mmseg.registry import MODELS

    from deft_mmseg.models.pretrained_parts import check_part_fits, read_part
    cfg = copy.deepcopy(backbone_cfg)
    cfg.pop('init_cfg', None)
    backbone = MODELS.build(cfg)
    check_part_fits(
        backbone,
        read_part(pretrained, ''),
        pretrained,
        f'the {kind} demo encoder',
        under='vit.' if kind == 'vit' else '')


def build_config(method, seed, work_dir, pretrained):
    """The shipped config of ``method`` at the protocol's tiny size and schedule."""
    from mmengine.config import Config

    from deft_mmseg.demo import make_demo_config
    config, kind = METHODS[method][:2]
    proto = protocol()
    # keep_protocol=False: the demo data's own pipelines and whole-image inference, with which this
    # protocol was fixed (``--demo`` now keeps each config's own, scaled)
    cfg = make_demo_config(
        Config.fromfile(osp.join(REPO, config)),
        warmup_iters=proto['warmup_iters'],
        iters=ITERS,
        demo_root=DATA['root'],
        keep_protocol=False)
    cfg.model.backbone.init_cfg = dict(type='Pretrained', checkpoint=pretrained)
    loop = cfg.train_cfg
    if 'estimate_iters' in loop:
        loop.estimate_iters = ESTIMATE_ITERS
    loop.val_interval = 10 * ITERS  # no validation during training: one test at the end
    hooks = [h for h in cfg.get('custom_hooks', []) if h['type'] != 'ParamDistanceHook']
    for hook in hooks:
        if hook['type'] == 'CrossEMAHook':
            hook['beta'] = proto['beta']
    if kind.startswith('resnet'):
        hooks.append(dict(type='ParamDistanceHook', interval=DISTANCE_INTERVAL))
    cfg.custom_hooks = hooks
    cfg.default_hooks.logger.interval = 100
    cfg.default_hooks.checkpoint.update(interval=ITERS, max_keep_ckpts=1)
    cfg.randomness = dict(seed=seed)
    cfg.work_dir = work_dir
    cfg.launcher = 'none'
    return cfg


def run_one(method, seed, out):
    """Train ``method`` with ``seed``, test it (and DeFT's Table 7 variants) on every target
    domain, write ``result.json``."""
    import torch
    from mmengine.runner import Runner

    import deft_mmseg  # noqa: F401  (registers the plugin)
    from deft_mmseg.demo.pretraining import ensure_pretrained_encoder
    from deft_mmseg.models.segmentors.dual_pathway import FINAL_MODELS, DualPathwaySegmentor
    from deft_mmseg.utils.curves import load_curves
    work_dir = osp.join(out, method, f'seed{seed}')
    start = time.time()
    pretrained = ensure_pretrained_encoder(PRETRAINED_ROOT, METHODS[method][1])
    cfg = build_config(method, seed, work_dir, pretrained)
    check_encoder_fits(cfg.model.backbone, pretrained, METHODS[method][1])
    runner = Runner.from_cfg(cfg)
    runner.train()
    model = runner.model.module if hasattr(runner.model, 'module') else runner.model
    variants = OrderedDict()
    variants['final'] = _domain_miou(runner.test())
    if isinstance(model, DualPathwaySegmentor):
        for name in TABLE7:
            model.final_model = dict(FINAL_MODELS[name])
            variants[name] = _domain_miou(runner.test())
        model.final_model = dict(FINAL_MODELS['IV'])
    curves = {}
    if METHODS[method][1].startswith('resnet'):
        curves = {k: v for k, v in load_curves(work_dir).items() if k.startswith('dist_l2/')}
    result = dict(
        method=method,
        seed=seed,
        protocol=protocol_hash(),
        mIoU=variants,
        curves=curves,
        seconds=round(time.time() - start, 1),
        torch=torch.__version__,
        threads=torch.get_num_threads())
    with open(osp.join(work_dir, 'result.json'), 'w') as f:
        json.dump(result, f, indent=1)
    return result


def _domain_miou(flat):
    return OrderedDict((d, float(flat[f'{d}/mIoU'])) for d in DOMAINS)


# --------------------------------------------------------------------------------------------
# the comparison


def load_results(out):
    results = {}
    for method in METHODS:
        for name in sorted(os.listdir(osp.join(out, method))) if osp.isdir(osp.join(
                out, method)) else []:
            path = osp.join(out, method, name, 'result.json')
            if osp.exists(path):
                with open(path) as f:
                    r = json.load(f)
                if r.get('protocol') == protocol_hash():
                    results.setdefault(method, {})[r['seed']] = r
    return results


def rows(results):
    """The table rows: dicts with ``key``, ``label``, ``group`` ('resnet' | 'vit'), ``mIoU``
    ({domain | 'avg': (mean, std, number of seeds)}), ``paper`` (C / B / M or None), ``source``."""
    import numpy as np
    table = []
    for method, runs in results.items():
        first = next(iter(runs.values()))['mIoU']
        for variant in ['final'] + [v for v in TABLE7 if v in first]:
            per = OrderedDict()
            for d in DOMAINS + ('avg', ):
                vals = [
                    np.mean([r['mIoU'][variant][x]
                             for x in DOMAINS]) if d == 'avg' else r['mIoU'][variant][d]
                    for r in runs.values()
                ]
                std = float(np.std(vals, ddof=1)) if len(vals) > 1 else 0.0  # sample std
                per[d] = (float(np.mean(vals)), std, len(vals))
            final = variant == 'final'
            table.append(
                dict(
                    key=method if final else f'{method}-{variant}',
                    label=METHODS[method][2]
                    if final else f'  Table 7 {variant}: {TABLE7[variant]}',
                    group='vit' if METHODS[method][1] == 'vit' else 'resnet',
                    mIoU=per,
                    paper=METHODS[method][3] if final else None,
                    source=METHODS[method][4] if final else 'same checkpoints'))
    return table


def _ranks(values):
    """1 for the largest value."""
    order = sorted(range(len(values)), key=lambda i: -values[i])
    ranks = [0] * len(values)
    for r, i in enumerate(order):
        ranks[i] = r + 1
    return ranks


def format_table(table):
    """Markdown: mean ± std per domain and average; the measured rank (among the method rows of
    the ResNet or ViT group) beside the paper's average and rank (among the rows it reports)."""
    lines = [
        '| method | ' + ' | '.join(DOMAINS) + ' | avg | rank | paper avg (rank) | source |',
        '| --- |' + ' ---: |' * (len(DOMAINS) + 1) + ' ---: | ---: | --- |'
    ]
    for group in ('resnet', 'vit'):
        members = [t for t in table if t['group'] == group]
        methods = [t for t in members if t['key'] in METHODS]
        measured = dict(
            zip([t['key'] for t in methods], _ranks([t['mIoU']['avg'][0] for t in methods])))
        reported = [t for t in methods if t['paper']]
        paper = dict(
            zip([t['key'] for t in reported], _ranks([sum(t['paper']) / 3 for t in reported])))
        for t in members:
            cells = [
                f'{m:.2f} ± {sd:.2f}' if n > 1 else f'{m:.2f}'
                for m, sd, n in (t['mIoU'][d] for d in DOMAINS + ('avg', ))
            ]
            paper_cell = (f'{sum(t["paper"]) / 3:.2f} ({paper[t["key"]]})' if t['paper'] else '-')
            lines.append(f'| {t["label"]} | ' + ' | '.join(cells) +
                         f' | {measured.get(t["key"], "-")} | {paper_cell} | {t["source"]} |')
    n = sorted({t['mIoU']['avg'][2] for t in table})
    lines.append('')
    lines.append(f'mIoU (%), mean ± sample std over {"/".join(map(str, n))} seed(s); rank '
                 'within the ResNet and the ViT group; the paper column is the real benchmark '
                 '(GTAV -> Cityscapes / BDD100K / Mapillary), for the ordering only.')
    return '\n'.join(lines)


def plot(results, table, path):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    import numpy as np
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(15, 5), gridspec_kw=dict(width_ratios=[2, 1]))
    width = 0.8 / (len(DOMAINS) + 1)
    x = np.arange(len(table))
    for i, d in enumerate(DOMAINS + ('avg', )):
        ax.bar(
            x + i * width, [t['mIoU'][d][0] for t in table],
            width,
            yerr=[t['mIoU'][d][1] for t in table],
            label=d,
            capsize=2)
    ax.set_xticks(x + width * len(DOMAINS) / 2)
    ax.set_xticklabels([t['key'] for t in table], rotation=40, ha='right')
    ax.set_ylabel('mIoU (%)')
    ax.set_title('Mini DG benchmark: source GTAV-style -> three unseen demo domains')
    ax.legend(fontsize=8, loc='upper right', ncol=4)
    ax.set_ylim(0, max(t['mIoU'][d][0] for t in table for d in DOMAINS) * 1.2)
    for method, style in (('joint', ':'), ('lpft', '--'), ('deft', '-'), ('deft-distreg', '-.')):
        runs = results.get(method, {})
        curves = [r['curves'].get('dist_l2/encoder') for r in runs.values()]
        curves = [c for c in curves if c]
        if curves:
            steps = [s for s, _ in curves[0]]
            n = min(len(c) for c in curves)
            mean = np.mean([[v for _, v in c[:n]] for c in curves], axis=0)
            ax2.plot(steps[:n], mean, style, label=f'{method}: encoder at inference')
    ax2.set_xlabel('iteration')
    ax2.set_ylabel('L2 distance from the pretrained weights')
    ax2.set_title('Fig. 3-style: encoder distance from initialization')
    ax2.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None):
    global ITERS
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--methods', nargs='+', choices=list(METHODS), default=list(METHODS))
    parser.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2])
    parser.add_argument('--out', default='work_dirs/mini_dg')
    parser.add_argument(
        '--iters',
        type=int,
        default=ITERS,
        help=f'iterations per run (default {ITERS}, the protocol; another value '
        'is a different protocol, for smoke tests)')
    parser.add_argument('--worker', nargs=2, metavar=('METHOD', 'SEED'), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    ITERS = args.iters
    args.out = osp.abspath(args.out)
    os.chdir(REPO)  # data and pretrained paths are relative to the repository
    if args.worker:
        run_one(args.worker[0], int(args.worker[1]), args.out)
        return 0
    subprocess.run([
        sys.executable, 'tools/make_demo_data.py', DATA['root'], '--num-source',
        str(DATA['num_source']), '--num-target',
        str(DATA['num_target']), '--seed',
        str(DATA['seed'])
    ],
                   check=True)
    kinds = sorted({METHODS[m][1] for m in args.methods})
    subprocess.run(
        [sys.executable, 'tools/pretrain_demo_encoder.py', PRETRAINED_ROOT, '--kinds', *kinds],
        check=True)
    done = load_results(args.out)
    for seed in args.seeds:  # seed-major: a complete table for the first seed comes first
        for method in args.methods:
            if seed in done.get(method, {}):
                print(f'[mini_dg] {method} seed {seed}: done earlier (same protocol)')
                continue
            log = osp.join(args.out, method, f'seed{seed}.log')
            os.makedirs(osp.dirname(log), exist_ok=True)
            start = time.time()
            print(
                f'[mini_dg] {method} seed {seed}: training ({ITERS} iterations, log {log}) ...',
                flush=True)
            with open(log, 'w') as f:
                proc = subprocess.run([
                    sys.executable, __file__, '--worker', method,
                    str(seed), '--out', args.out, '--iters',
                    str(ITERS)
                ],
                                      stdout=f,
                                      stderr=subprocess.STDOUT)
            if proc.returncode:
                print(
                    f'error: {method} seed {seed} failed (exit {proc.returncode}); see {log}',
                    file=sys.stderr)
                return 1
            print(f'[mini_dg] {method} seed {seed}: {time.time() - start:.0f} s', flush=True)
    from bench_utils import machine  # benchmarks/ is this script's folder
    results = {m: r for m, r in load_results(args.out).items() if m in args.methods}
    table = rows(results)
    text = format_table(table)
    png = osp.join(args.out, 'mini_dg.png')
    plot(results, table, png)
    with open(osp.join(args.out, 'mini_dg.md'), 'w') as f:
        f.write(text + f'\n\nMachine: {machine()}; protocol {protocol_hash()}.\n')
    with open(osp.join(args.out, 'mini_dg.json'), 'w') as f:
        json.dump(
            dict(protocol=protocol(), protocol_hash=protocol_hash(), machine=machine(), rows=table),
            f,
            indent=1)
    print('\n' + text)
    print(f'\nTable: {osp.join(args.out, "mini_dg.md")}\nPlot:  {png}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
