"""A miniature domain-generalization benchmark on CPU: every method, one pretrained tiny encoder.

    python benchmarks/mini_dg.py              # every method, seeds 0 1 2 (make demo-compare)
    python benchmarks/mini_dg.py --methods lpft deft --seeds 0 --out work_dirs/demo   # make demo
    python benchmarks/mini_dg.py --protocol sim2real --methods lpft --seeds 100 --iters 200  # smoke

Three protocols (``--protocol``, default ``streets``): ``streets``, the first miniature (below),
``sim2real`` (issue 25, docs/mini_dg_sim2real.md): a synthetic source ``sim`` and the three real
targets of ``deft_mmseg.demo.sim2real_streets.REAL_TARGETS``, an encoder pretrained on the real
family R; its values are ``PROTOCOL`` of ``benchmarks/mini_dg_sim2real.py`` (the calibration's
file) and :func:`build_sim2real_config` says how each shipped config gets them; and
``sim2real-vit``, the same data with the ViT group (``VIT_PROTOCOL``: the tiny ViT pretrained on
R, AdamW; the ResNet group's baselines and DeFT with the ViT as their encoder, Rein, FisherTune,
DeFT on Rein). Under both, ``--iters N`` is a smoke option (W and D scaled to N in all, W : D
kept; it changes the protocol hash), as is ``--data JSON`` (smaller data sizes).

The ``streets`` protocol (fixed and committed before the first comparison; see
docs/benchmarks.md):

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
import copy
import hashlib
import importlib
import json
import os
import os.path as osp
import shutil
import subprocess
import sys
import time
from collections import OrderedDict
from typing import NamedTuple, Optional, Tuple

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

PROTOCOLS = ('streets', 'sim2real', 'sim2real-vit')
DEFAULT_PROTOCOL = 'streets'
#: Table 8 under sim2real: DeFT with the paper's other update ratios beta (its config, its rows),
#: each rescaled to the protocol's D by ``mini_dg_sim2real.table8_betas``; the paper's 0.9999 row
#: is the ``deft`` row itself (1 - 4 / D). Not in METHODS: the streets protocol hashes METHODS.
SIM2REAL_TABLE8 = OrderedDict([
    ('deft-beta0.99', (0.99, (44.37, 40.79, 46.81))),
    ('deft-beta0.999', (0.999, (46.19, 42.14, 48.81))),
])
#: the rows wired under sim2real: the ResNet group of METHODS and Table 8 (the ViT group's:
#: SIM2REAL_VIT_METHODS, under sim2real-vit)
SIM2REAL_METHODS = ('joint', 'lpft', 'freeze-encoder', 'freeze-decoder', 'deft',
                    'deft-distreg') + tuple(SIM2REAL_TABLE8)
#: the methods under study (not the calibration's baselines): under sim2real they refuse the
#: protocol's full schedule until ``PROTOCOL['fixed']`` (smoke runs, ``--iters``, are allowed)
SIM2REAL_GUARDED = ('deft', 'deft-distreg') + tuple(SIM2REAL_TABLE8)
#: ``--protocol sim2real-vit``: the VFM methods' configs with the DeepLabv3+ head every method can
#: use (issue 25 item 6; Rein without its query link, which needs Mask2Former's queries)
SIM2REAL_VIT_CONFIGS = OrderedDict([
    ('rein', 'configs/rein/rein_dinov2-l_deeplabv3plus_1xb4-40k_gtav-512x512.py'),
    ('fishertune', 'configs/fishertune/fishertune_dinov2-l_deeplabv3plus_1xb4-44k_gtav-512x512.py'),
    ('deft-rein', 'configs/deft/deft-rein_dinov2-l_deeplabv3plus_1xb4-48k_gtav-512x512.py'),
])
#: the ViT group's rows: the ResNet group's baselines and DeFT with the tiny ViT in place of the
#: ResNet (the whole trunk is their encoder), then the VFM methods
SIM2REAL_VIT_METHODS = ('joint', 'lpft', 'freeze-encoder', 'freeze-decoder',
                        'deft') + tuple(SIM2REAL_VIT_CONFIGS)
SIM2REAL_VIT_GUARDED = ('deft', ) + tuple(SIM2REAL_VIT_CONFIGS)
SIM2REAL_DATA_ROOT = 'data/sim2real'
#: S's validation split: each sim2real row's source mIoU is tested on it (not a target)
SOURCE_VAL = 'sim_val'
SIM2REAL_TITLE = 'Mini DG sim2real: synthetic source -> three unseen real targets'
#: the recorded sim2real runs (each row's result.json; the final models of the picture's seed)
SIM2REAL_RECORD = osp.join(REPO, 'benchmarks', 'results', 'mini_dg_sim2real')


class Sim2RealGroup(NamedTuple):
    """What a ``--protocol`` of issue 25 is: its protocol dict (the name of the
    ``benchmarks/mini_dg_sim2real.py`` attribute), its rows, the rows that wait for the protocol
    to be fixed, the folder of its recorded runs (``--demo`` copies them), its plots' title and
    its second paired figure (method, baseline), if any."""
    protocol_attr: str
    methods: Tuple[str, ...]
    guarded: Tuple[str, ...]
    record: str
    title: str
    second_pair: Optional[Tuple[str, str]] = None


#: every per-protocol choice of the two sim2real groups, looked up by ``--protocol`` name
SIM2REAL_GROUPS = OrderedDict([
    ('sim2real',
     Sim2RealGroup('PROTOCOL', SIM2REAL_METHODS, SIM2REAL_GUARDED, SIM2REAL_RECORD,
                   SIM2REAL_TITLE)),
    ('sim2real-vit',
     Sim2RealGroup(
         'VIT_PROTOCOL',
         SIM2REAL_VIT_METHODS,
         SIM2REAL_VIT_GUARDED,
         osp.join(REPO, 'benchmarks', 'results', 'mini_dg_sim2real_vit'),
         SIM2REAL_TITLE + ' (tiny ViT)',
         second_pair=('deft-rein', 'rein'))),  # DeFT on Rein minus Rein
])
#: the protocols of issue 25: the ResNet group (``PROTOCOL``) and the ViT group (``VIT_PROTOCOL``)
SIM2REAL_PROTOCOLS = tuple(SIM2REAL_GROUPS)
#: the R-pretrained encoder the recorded runs started from (identical to the distance anchor in
#: their checkpoints), restored into data/ where missing
SIM2REAL_ENCODER_RECORD = osp.join(SIM2REAL_RECORD, 'encoder')
#: ``--demo`` under sim2real: the rows it shows
SIM2REAL_DEMO_METHODS = ('lpft', 'deft')


def beta_for(decoupled_iters):
    """The beta rule: EMA horizon 1 / (1 - beta) = decoupled_iters / 4 (0.9999 at 40K)."""
    return 1.0 - 4.0 / decoupled_iters


def method_entry(method):
    """``(config, encoder kind, label, paper mIoU or None, paper source)`` of a row: METHODS's,
    or a Table 8 row's (DeFT's config)."""
    if method in SIM2REAL_TABLE8:
        paper_beta, paper = SIM2REAL_TABLE8[method]
        config, kind = METHODS['deft'][:2]
        return (config, kind, f'DeFT, Table 8 beta {paper_beta} (rescaled to D)', paper, 'DeFT T8')
    return METHODS[method]


def sim2real_beta(method, proto=None):
    """CrossEMAHook's beta of a sim2real row: the paper's beta of a Table 8 row rescaled to D
    (``table8_betas``), else the beta rule at D."""
    s2r = _sim2real()
    if method in SIM2REAL_TABLE8:
        return s2r.table8_betas(proto)[SIM2REAL_TABLE8[method][0]]
    return beta_for(s2r.protocol(proto)['decoupled_iters'])


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


# --------------------------------------------------------------------------------------------
# the sim2real protocol (issue 25): its values live in benchmarks/mini_dg_sim2real.py (PROTOCOL)


def _sibling(name):
    """The module ``benchmarks/<name>.py`` (this script's folder put on ``sys.path``)."""
    here = osp.dirname(osp.abspath(__file__))
    if here not in sys.path:
        sys.path.insert(0, here)
    return importlib.import_module(name)


def _sim2real():
    """``benchmarks/mini_dg_sim2real.py`` as a module: the sim2real protocol, its hash and the
    R encoder the calibration uses."""
    return _sibling('mini_dg_sim2real')


def _figure():
    """``benchmarks/mini_dg_figure.py`` as a module: the picture and the re-test."""
    return _sibling('mini_dg_figure')


def sim2real_domains():
    from deft_mmseg.demo.sim2real_streets import REAL_TARGETS
    return tuple(REAL_TARGETS)


def sim2real_is_vit(proto=None) -> bool:
    """Whether the sim2real protocol ``proto`` is the ViT group's (its R pretraining's kind)."""
    return _sim2real().protocol(proto)['pretraining']['kind'] == 'vit'


def sim2real_protocol_name(proto=None) -> str:
    """``'sim2real-vit'`` or ``'sim2real'``: the ``--protocol`` that runs ``proto``."""
    return 'sim2real-vit' if sim2real_is_vit(proto) else 'sim2real'


def sim2real_base_protocol(name):
    """The protocol dict ``--protocol name`` runs: ``VIT_PROTOCOL`` or ``PROTOCOL``."""
    return getattr(_sim2real(), SIM2REAL_GROUPS[name].protocol_attr)


def sim2real_methods(proto=None):
    """The rows wired under ``proto``: :data:`SIM2REAL_VIT_METHODS` or :data:`SIM2REAL_METHODS`."""
    return SIM2REAL_GROUPS[sim2real_protocol_name(proto)].methods


def sim2real_config(method, proto=None):
    """The shipped config a sim2real row runs (the ViT group's VFM rows: the DeepLabv3+ ones)."""
    if sim2real_is_vit(proto) and method in SIM2REAL_VIT_CONFIGS:
        return SIM2REAL_VIT_CONFIGS[method]
    return method_entry(method)[0]


def check_sim2real_method(method, proto=None):
    """Raise ``ValueError`` (one line) for a method not wired under the protocol ``proto``."""
    wired = sim2real_methods(proto)
    if method not in wired:
        name = sim2real_protocol_name(proto)
        raise ValueError(f'{method} is not wired under --protocol {name}; it runs '
                         f'{", ".join(wired)}')


def sim2real_data_root(proto=None):
    """``data/sim2real/data_<settings hash>`` (the R encoder's settings hash; ``_d<data hash>``
    appended where the data sizes are not the calibration's defaults), relative to the
    repository."""
    s2r = _sim2real()
    p = s2r.protocol(proto)
    name = f'data_{s2r.settings_hash(p["settings"])}'
    if not s2r._same(p['data'], s2r.DEFAULT_DATA):
        name += f'_d{s2r.settings_hash(p["data"])}'
    return osp.join(SIM2REAL_DATA_ROOT, name)


def ensure_sim2real_data(proto=None, log=print):
    """The protocol's data on disk (``generate_sim2real_dataset``: ``sim``, ``sim_val`` in the
    GTAV layout, each real target in the Cityscapes layout), written once: a folder whose
    ``complete.json`` names these settings and sizes is reused; another is written afresh
    (into a temporary folder renamed into place, so an interrupted run leaves nothing half
    written under the name)."""
    from deft_mmseg.demo.sim2real_streets import GeneratorSettings, generate_sim2real_dataset
    s2r = _sim2real()
    p = s2r.protocol(proto)
    root = sim2real_data_root(proto)
    want = dict(settings=p['settings'], data=p['data'])

    def complete(folder):
        marker = osp.join(folder, 'complete.json')
        if not osp.exists(marker):
            return False
        with open(marker) as f:
            return json.load(f) == want

    if complete(root):
        log(f'sim2real data: {root} (cached)')
        return root
    start = time.time()
    tmp = f'{root}.tmp{os.getpid()}'
    shutil.rmtree(tmp, ignore_errors=True)
    d = p['data']
    generate_sim2real_dataset(
        tmp,
        num_source=d['num_source'],
        num_source_val=d['num_source_val'],
        num_target=d['num_target'],
        size=tuple(d['size']),
        seed=d['data_seed'],
        settings=GeneratorSettings(**_settings_overrides(p)))
    with open(osp.join(tmp, 'complete.json'), 'w') as f:
        json.dump(want, f, indent=1)
    if complete(root):  # another process finished first
        shutil.rmtree(tmp)
    else:
        shutil.rmtree(root, ignore_errors=True)  # an incomplete earlier attempt
        os.replace(tmp, root)
    log(f'sim2real data: {root} ({time.time() - start:.0f} s)')
    return root


def _settings_overrides(resolved):
    """The generator settings of a resolved protocol that differ from the defaults (what the
    calibration passes as ``--settings``: the encoder cache compares them as given)."""
    from deft_mmseg.demo.sim2real_streets import GeneratorSettings
    return _sim2real()._changed(resolved['settings'], dict(GeneratorSettings()))


def ensure_sim2real_encoder(proto=None, log=print):
    """The R-pretrained encoder of the protocol's generator settings: the calibration's own
    file (``mini_dg_sim2real.real_encoder``, ``data/sim2real/pretrained/``) with the protocol's
    pretraining overrides; where missing, the recorded runs' encoder
    (:data:`SIM2REAL_ENCODER_RECORD`) if it has that name, else pretrained."""
    s2r = _sim2real()
    changes = (s2r.PROTOCOL if proto is None else proto).get('pretraining', {})
    _, _, pretrained, meta = s2r.real_encoder(
        _settings_overrides(s2r.protocol(proto)),
        log,
        pretraining=changes,
        record_dir=SIM2REAL_ENCODER_RECORD)
    if not meta['reached']:
        raise RuntimeError(
            f'the R encoder {pretrained} reached a held-out accuracy of '
            f'{meta["held_out_pixel_accuracy"]:.3f} after {meta["steps"]} steps, below the '
            f"protocol's {meta['target_accuracy']}: its results would not be the protocol's; "
            'report it with this line')
    return pretrained


def literal_bn_problems(cfg):
    """How ``cfg`` departs from the DeFT paper's literal Alg. 1-2 BatchNorm convention (a frozen
    module only stops its gradients and stays in train mode, its BN statistics following the
    batches): a staged segmentor's ``frozen_module_mode`` other than ``'train'``, a cross EMA
    whose GC modules run in eval mode (``buffer_update`` other than ``'forward'``), a backbone
    with ``norm_eval`` or frozen stages, a norm layer without trainable affine weights. Empty if
    none."""
    model = cfg.model
    problems = []
    if model.type in ('StagedEncoderDecoder', 'DualPathwaySegmentor', 'FisherTuneEncoderDecoder'):
        # FisherTuneEncoderDecoder defaults to 'eval'; the other two to 'train'
        default = 'eval' if model.type == 'FisherTuneEncoderDecoder' else 'train'
        if model.get('frozen_module_mode', default) != 'train':
            problems.append(f'frozen_module_mode={model.get("frozen_module_mode", default)!r}')
    for hook in cfg.get('custom_hooks', []):
        if hook['type'] == 'CrossEMAHook' and hook.get('buffer_update', 'forward') != 'forward':
            problems.append(f'CrossEMAHook buffer_update={hook["buffer_update"]!r}')
    if model.backbone.get('norm_eval', False):
        problems.append('backbone norm_eval=True')
    if model.backbone.get('frozen_stages', -1) not in (-1, None):
        problems.append(f'backbone frozen_stages={model.backbone.frozen_stages}')
    for part in ('backbone', 'decode_head'):
        if not model[part].get('norm_cfg', {}).get('requires_grad', True):
            problems.append(f'{part} norm_cfg requires_grad=False')
    return problems


def build_sim2real_config(method, seed, work_dir, pretrained, proto=None, data_root=None):
    """The shipped config of ``method`` under the sim2real protocol ``proto`` (default
    ``mini_dg_sim2real.PROTOCOL``; ``VIT_PROTOCOL`` for the ViT group).

    ``make_demo_config(..., keep_protocol=False)`` (the demo's pipelines, which the calibration
    loop applies, and whole-image inference), then: the protocol's network in place of the tiny
    network of the config's family, its backbone initialized from ``pretrained`` (the R encoder
    is pretrained for that network). The ResNet group: the calibration's ResNet-18 V1c /
    DepthwiseSeparableASPPHead (the paper configs' torchvision-stem tiny network does not fit
    the R encoder). The ViT group: the tiny ViT DeepLabv3+; a ResNet config's rows get it with a
    trainable trunk (``freeze_vit=False``: the method's stages freeze or train it, the whole ViT
    is their encoder), a VFM config keeps its method's parts (Reins, ``freeze_vit``), as
    ``--demo`` sizes them. Then the source ``sim`` (GTAV layout, ``data_root/sim``) for
    training, every real target (Cityscapes layout, all its images) for test; W and D as the
    stages of the two-stage loops (W + D iterations for a one-stage row); the protocol's
    optimizer: SGD with its lr, momentum, poly power and batch and its per-stage weight decays
    on the two stage schedulers (``StageConstantParamScheduler(param_name='weight_decay')``, as
    ``_base_/schedules/two_stage_sgd_8k_40k.py`` expresses them), the decoupled one as the
    optimizer's (the one joint finetuning runs with); or AdamW (``protocol['optimizer']``) as
    the shipped VFM configs run it (``_base_/schedules/optim_adamw_peft.py``: no decay on norm
    layers, Rein's tokens and scales), one weight decay for both stages; CrossEMAHook beta =
    1 - 4 / D; ParamDistanceHook. The BatchNorm convention is the literal Alg. 1-2 one
    (:func:`literal_bn_problems`; FisherTune's segmentor, whose default is ``'eval'``, runs its
    frozen modules in train mode as every other row)."""
    from mmengine.config import Config, ConfigDict

    from deft_mmseg.demo import make_demo_config
    from deft_mmseg.demo.demo_config import CONFIG_ROOT, NETWORK_KEYS, TINY_VFM_MODELS
    check_sim2real_method(method, proto)
    s2r = _sim2real()
    p = s2r.protocol(proto)
    vit = p['pretraining']['kind'] == 'vit'
    w, d = p['warmup_iters'], p['decoupled_iters']
    source = Config.fromfile(osp.join(REPO, sim2real_config(method, proto)))
    cfg = make_demo_config(source, warmup_iters=w, iters=w + d, keep_protocol=False)
    if cfg.model.get('auxiliary_head') is not None:
        raise ValueError(f'{method}: an auxiliary head is not part of the sim2real rows')
    net = p['network']
    vfm = source.model.backbone.type == 'VFMVisionTransformer'
    if vfm:
        # the tiny network --demo gives the config (its method's parts kept) must be the
        # protocol's
        head = source.model.decode_head.type
        if not vit or TINY_VFM_MODELS.get(head) != net['model']:
            raise ValueError(f'{method}: its tiny network ({TINY_VFM_MODELS.get(head)}) is not '
                             f"the protocol's {net['model']}")
        model = cfg.model
    else:
        tiny = Config.fromfile(osp.join(CONFIG_ROOT, '_base_', 'models', net['model'])).model
        model = ConfigDict({k: v for k, v in cfg.model.items() if k not in NETWORK_KEYS})
        model.update({
            k: copy.deepcopy(v)
            for k, v in tiny.items() if k in NETWORK_KEYS and k != 'type'
        })
        if vit:
            model.backbone.freeze_vit = False
    s2r.pin_network(model, p['pretraining']['kind'])
    model.decode_head.loss_decode.avg_non_ignore = net['loss_avg_non_ignore']
    model.backbone.init_cfg = dict(type='Pretrained', checkpoint=pretrained)
    if model.type == 'FisherTuneEncoderDecoder':
        model.frozen_module_mode = 'train'  # the protocol's one convention (issue 25 item 4)
    cfg.model = model
    # data: the source for training, every real target for test (no source-val in the loop)
    root = data_root or sim2real_data_root(proto)
    cfg.train_dataloader.dataset.data_root = osp.join(root, 'sim')
    cfg.train_dataloader.batch_size = p['optim']['batch']
    for loader in (cfg.val_dataloader, cfg.test_dataloader):
        template = copy.deepcopy(next(iter(loader.datasets.values())))
        loader.datasets = ConfigDict({
            t: dict(copy.deepcopy(template), data_root=osp.join(root, t))
            for t in sim2real_domains()
        })
    # schedule: set here, not through make_demo_config (it keeps min(the config's warm-up, W))
    loop = cfg.train_cfg
    if loop.type == 'TwoStageTrainLoop':
        loop.warmup_iters, loop.decoupled_iters = w, d
    elif loop.type == 'FisherTuneTrainLoop':
        loop.warmup_iters, loop.tune_iters = w, d
        loop.estimate_iters = p['fishertune_estimate_iters']
    elif loop.type != 'IterBasedTrainLoop' or loop.max_iters != w + d:
        raise ValueError(f'{method}: unexpected train loop {loop.type} for the sim2real rows')
    two_stage = loop.type != 'IterBasedTrainLoop'
    loop.val_interval = 10 * (w + d)  # no validation during training: one test at the end
    _sim2real_optimizer(cfg, method, p, two_stage)
    hooks = [h for h in cfg.get('custom_hooks', []) if h['type'] != 'ParamDistanceHook']
    for hook in hooks:
        if hook['type'] == 'CrossEMAHook':
            hook['beta'] = sim2real_beta(method, proto)
    # uc_parts: DeFT's e1 and d2 beside the final model's e~2 and d~1 (issue 25: Fig. 3 for e1
    # and e~2); measuring changes no weight
    hooks.append(dict(type='ParamDistanceHook', interval=p['distance_interval'], uc_parts=True))
    cfg.custom_hooks = hooks
    cfg.default_hooks.logger.interval = 100
    cfg.default_hooks.checkpoint.update(interval=w + d, max_keep_ckpts=1)
    cfg.randomness = dict(seed=seed)
    cfg.work_dir = work_dir
    cfg.launcher = 'none'
    problems = literal_bn_problems(cfg)
    if problems:
        raise ValueError(f'{method}: not the literal Alg. 1-2 BatchNorm convention: {problems}')
    return cfg


def _sim2real_optimizer(cfg, method, p, two_stage):
    """The resolved protocol ``p``'s optimizer recipe into ``cfg`` (see
    :func:`build_sim2real_config`)."""
    from mmengine.config import Config, ConfigDict

    from deft_mmseg.demo.demo_config import CONFIG_ROOT
    o = p['optim']
    kind = p.get('optimizer', 'SGD')
    optimizer = cfg.optim_wrapper.optimizer
    if kind == 'AdamW':
        if o['wd_warmup'] != o['wd_decoupled']:
            raise ValueError('sim2real: per-stage weight decays under AdamW are not supported (a '
                             "stage scheduler would overwrite the norm layers' decay of 0)")
        if optimizer.type != 'AdamW':  # the ResNet group's configs: the VFM configs' recipe
            recipe = Config.fromfile(
                osp.join(CONFIG_ROOT, '_base_', 'schedules', 'optim_adamw_peft.py'))
            cfg.optim_wrapper = ConfigDict(copy.deepcopy(recipe.peft_adamw_optim_wrapper))
            optimizer = cfg.optim_wrapper.optimizer
        optimizer.update(lr=o['lr'], weight_decay=o['wd_decoupled'])
    elif optimizer.type != 'SGD':
        raise ValueError(f'{method}: the sim2real rows take SGD, the config has {optimizer.type}')
    # decoupled finetuning's base lr where it differs from the warm-up's: the decoupled stage's
    # StagePolyLR starts at factor * lr (its ``factor``); joint finetuning (one stage) runs at it
    lr_decoupled = _sim2real().decoupled_lr(o)
    if kind == 'SGD':
        optimizer.update(
            lr=o['lr'] if two_stage else lr_decoupled,
            momentum=o['momentum'],
            weight_decay=o['wd_decoupled'])
    schedulers = cfg.param_scheduler if isinstance(cfg.param_scheduler,
                                                   list) else [cfg.param_scheduler]
    kept, decays = [], []
    for sched in schedulers:
        if sched.type in ('PolyLR', 'StagePolyLR'):
            sched.power = o['power']
            if sched.get('factor', 1.0) != 1.0:
                raise ValueError(f'{method}: the sim2real rows set the stage lr themselves, '
                                 f'the config has StagePolyLR factor={sched.factor}')
            if sched.get('stage') == 'decoupled':
                sched.factor = lr_decoupled / o['lr']
        elif sched.type == 'StageConstantParamScheduler' and sched.param_name == 'weight_decay':
            decays.append(sched.stage)
            if kind == 'AdamW':
                continue  # the optimizer's one decay, per parameter group
            sched.value = o[f'wd_{sched.stage}']
        else:
            raise ValueError(f'{method}: unexpected scheduler {sched.type} for the sim2real rows')
        kept.append(sched)
    cfg.param_scheduler = kept
    expected = ['decoupled', 'warmup'] if cfg.train_cfg.type == 'TwoStageTrainLoop' else []
    if kind == 'SGD' and sorted(decays) != expected:
        raise ValueError(f'{method}: per-stage weight decays {decays} are not the two-stage '
                         "recipe's (one StageConstantParamScheduler per stage)")


def sim2real_source_val_loader(cfg):
    """The test dataloader config of ``cfg`` with S's validation split (GTAV layout, next to
    ``sim``) as its one domain, ``SOURCE_VAL``, under the targets' test pipeline."""
    loader = copy.deepcopy(cfg.test_dataloader)
    template = next(iter(loader.datasets.values()))
    source = copy.deepcopy(cfg.train_dataloader.dataset)
    source.update(
        data_root=osp.join(osp.dirname(source.data_root), SOURCE_VAL),
        pipeline=copy.deepcopy(template.pipeline))
    loader.datasets = {SOURCE_VAL: source}
    return loader


def run_one(method, seed, out, protocol_name=DEFAULT_PROTOCOL, proto=None):
    """Train ``method`` with ``seed``, test it (and DeFT's Table 7 variants) on every target
    domain, write ``result.json`` (``proto``: the sim2real protocol, default its PROTOCOL)."""
    import torch
    from mmengine.runner import Runner
    from mmseg.registry import LOOPS

    import deft_mmseg  # noqa: F401  (registers the plugin)
    from deft_mmseg.demo.pretraining import ensure_pretrained_encoder
    from deft_mmseg.models.segmentors.dual_pathway import FINAL_MODELS, DualPathwaySegmentor
    from deft_mmseg.utils.curves import load_curves
    work_dir = osp.join(out, method, f'seed{seed}')
    start = time.time()
    sim2real = protocol_name in SIM2REAL_PROTOCOLS
    if sim2real:
        s2r = _sim2real()
        pretrained = ensure_sim2real_encoder(proto)
        cfg = build_sim2real_config(method, seed, work_dir, pretrained, proto,
                                    ensure_sim2real_data(proto))
        check_encoder_fits(cfg.model.backbone, pretrained,
                           'vit' if sim2real_is_vit(proto) else 'resnet')
        domains, tag = sim2real_domains(), s2r.protocol_hash(proto)
    else:
        pretrained = ensure_pretrained_encoder(PRETRAINED_ROOT, METHODS[method][1])
        cfg = build_config(method, seed, work_dir, pretrained)
        check_encoder_fits(cfg.model.backbone, pretrained, METHODS[method][1])
        domains, tag = DOMAINS, protocol_hash()
    runner = Runner.from_cfg(cfg)
    train_start = time.time()
    runner.train()
    train_seconds = time.time() - train_start
    model = runner.model.module if hasattr(runner.model, 'module') else runner.model
    if sim2real:  # every norm of every part at the end (the curves hold L2 along the way)
        from deft_mmseg.engine.hooks import ParamDistanceHook
        hook = next(h for h in runner.hooks if isinstance(h, ParamDistanceHook))
        final_distances = hook.measure(model)
    variants = OrderedDict()
    variants['final'] = _domain_miou(runner.test(), domains)
    if isinstance(model, DualPathwaySegmentor):
        for name in TABLE7:
            model.final_model = dict(FINAL_MODELS[name])
            variants[name] = _domain_miou(runner.test(), domains)
        model.final_model = dict(FINAL_MODELS['IV'])
    if sim2real:
        # the source-val mIoU of the final model (gate (a), issue 25's 'source mIoU of every
        # row'), tested on its own so the targets' logged ``avg`` stays the targets' mean
        source_val = LOOPS.build(
            dict(
                type='MultiDomainTestLoop',
                runner=runner,
                dataloader=sim2real_source_val_loader(cfg),
                evaluator=copy.deepcopy(cfg.test_evaluator)))
        source_val_miou = float(source_val.run()[f'{SOURCE_VAL}/mIoU'])
        # the final model as plain mmseg files, for the picture and the demo's re-test
        from deft_mmseg.models.export import export_final_model
        export_final_model(cfg, model, osp.join(work_dir,
                                                _figure().FINAL_MODEL_DIR),
                           getattr(model, 'dataset_meta', None))
    curves = {}
    if sim2real or method_entry(method)[1].startswith('resnet'):
        curves = {k: v for k, v in load_curves(work_dir).items() if k.startswith('dist_l2/')}
    result = dict(
        method=method,
        seed=seed,
        protocol=tag,
        mIoU=variants,
        curves=curves,
        seconds=round(time.time() - start, 1),
        torch=torch.__version__,
        threads=torch.get_num_threads())
    if sim2real:
        from bench_utils import machine  # benchmarks/ is this script's folder
        p = s2r.protocol(proto)
        result.update(
            protocol_name=sim2real_protocol_name(proto),
            source_val_mIoU=source_val_miou,
            config=sim2real_config(method, proto),
            schedule=dict(
                warmup_iters=p['warmup_iters'],
                decoupled_iters=p['decoupled_iters'],
                beta=sim2real_beta(method, proto)),
            # runner.train(): its set-up, W + D iterations and the final validation
            train_seconds=round(train_seconds, 1),
            final_distances=final_distances,
            machine=machine())
    with open(osp.join(work_dir, 'result.json'), 'w') as f:
        json.dump(result, f, indent=1)
    return result


def add_final_distances(out, proto=None, log=print):
    """Add ``final_distances`` (every norm of every part, as :func:`run_one` now records them) to
    the sim2real results under ``out`` recorded before it was: from each run's final checkpoint
    (``iter_<W+D>.pth``, kept beside its result.json on the machine that trained it) and the
    anchor ParamDistanceHook saved in it. Each is checked against the run's recorded L2 curve.
    Returns the number of results written."""
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS

    import deft_mmseg  # noqa: F401  (registers the plugin)
    from deft_mmseg.engine.hooks import ParamDistanceHook
    from deft_mmseg.engine.hooks.param_distance_hook import CKPT_KEY
    from deft_mmseg.utils.checkpoint_loading import load_local_checkpoint
    init_default_scope('mmseg')
    written = 0
    for method, runs in load_results(out, 'sim2real', proto).items():
        for seed, result in sorted(runs.items()):
            if 'final_distances' in result:
                continue
            work_dir = osp.join(out, method, f'seed{seed}')
            sched = result['schedule']
            final_step = sched['warmup_iters'] + sched['decoupled_iters']
            ckpt = osp.join(work_dir, f'iter_{final_step}.pth')
            if not osp.exists(ckpt):
                log(f'[mini_dg] {method} seed {seed}: no final checkpoint {ckpt}; left as is')
                continue
            # the config's network (its pretrained file is not read: the checkpoint holds every
            # weight)
            cfg = build_sim2real_config(method, seed, work_dir, '', proto, data_root=out)
            model = MODELS.build(cfg.model)
            checkpoint = load_local_checkpoint(ckpt, map_location='cpu')
            model.load_state_dict(checkpoint['state_dict'])
            hook = ParamDistanceHook(uc_parts=True)
            hook.anchor = checkpoint[CKPT_KEY]
            distances = hook.measure(model)
            for part in ('encoder', 'decoder'):
                step, recorded = result['curves'][f'dist_l2/{part}'][-1]
                measured = distances[f'dist_l2/{part}']
                if step != final_step or abs(measured - recorded) > 1e-6 * max(recorded, 1e-12):
                    raise ValueError(f'{method} seed {seed}: {ckpt} gives L2 {measured:.8g} for '
                                     f'the {part}, its curve ends at {recorded:.8g} (step '
                                     f'{step}): not this run\'s final checkpoint')
            result['final_distances'] = distances
            path = osp.join(work_dir, 'result.json')
            with open(path + '.tmp', 'w') as f:
                json.dump(result, f, indent=1)
            os.replace(path + '.tmp', path)
            written += 1
            log(f'[mini_dg] {method} seed {seed}: final_distances added from {ckpt}')
    return written


def _domain_miou(flat, domains=DOMAINS):
    return OrderedDict((d, float(flat[f'{d}/mIoU'])) for d in domains)


# --------------------------------------------------------------------------------------------
# the comparison


def load_results(out, protocol_name=DEFAULT_PROTOCOL, proto=None):
    """The results under ``out`` of this protocol (its hash; under sim2real also its name and each
    method's config), by method and seed."""
    sim2real = protocol_name in SIM2REAL_PROTOCOLS
    tag = _sim2real().protocol_hash(proto) if sim2real else protocol_hash()
    results = {}
    for method in list(METHODS) + (list(SIM2REAL_TABLE8) if sim2real else []):
        for name in sorted(os.listdir(osp.join(out, method))) if osp.isdir(osp.join(
                out, method)) else []:
            path = osp.join(out, method, name, 'result.json')
            if osp.exists(path):
                with open(path) as f:
                    r = json.load(f)
                if r.get('protocol') != tag:
                    continue
                if sim2real and (r.get('protocol_name') != sim2real_protocol_name(proto)
                                 or r.get('config') != sim2real_config(method, proto)):
                    continue
                results.setdefault(method, {})[r['seed']] = r
    return results


def rows(results, domains=DOMAINS):
    """The table rows: dicts with ``key``, ``label``, ``group`` ('resnet' | 'vit'), ``mIoU``
    ({domain | 'avg': (mean, std, number of seeds)}), ``paper`` (C / B / M or None), ``source``."""
    import numpy as np
    table = []
    for method, runs in results.items():
        entry = method_entry(method)
        # a ResNet config's row under sim2real-vit runs the tiny ViT: the ViT group, and the
        # paper's figure (a ResNet's) is not its reference
        on_vit = next(iter(runs.values())).get('protocol_name') == 'sim2real-vit'
        vit_row = entry[1] == 'vit' or on_vit
        paper = entry[3] if entry[1] == 'vit' or not on_vit else None
        first = next(iter(runs.values()))['mIoU']
        for variant in ['final'] + [v for v in TABLE7 if v in first]:
            per = OrderedDict()
            for d in domains + ('avg', ):
                vals = [
                    np.mean([r['mIoU'][variant][x]
                             for x in domains]) if d == 'avg' else r['mIoU'][variant][d]
                    for r in runs.values()
                ]
                std = float(np.std(vals, ddof=1)) if len(vals) > 1 else 0.0  # sample std
                per[d] = (float(np.mean(vals)), std, len(vals))
            final = variant == 'final'
            table.append(
                dict(
                    key=method if final else f'{method}-{variant}',
                    label=entry[2] if final else f'  Table 7 {variant}: {TABLE7[variant]}',
                    group='vit' if vit_row else 'resnet',
                    mIoU=per,
                    paper=paper if final else None,
                    source=(entry[4] if paper else '-') if final else 'same checkpoints'))
    return table


def _avg_target(run, domains):
    """A run's final model's mIoU averaged over the target ``domains``."""
    import numpy as np
    return float(np.mean([run['mIoU']['final'][d] for d in domains]))


def paired_difference(results, method='deft', baseline='lpft', domains=DOMAINS):
    """Issue 25's primary figure: ``method`` minus ``baseline`` in average target mIoU, paired
    by seed (the seeds both have). Returns ``dict(seeds, diffs, mean, std, n, t, p)`` (sample
    std; ``t``, ``p``: the one-sided paired t-test of mean > 0, None below 2 seeds), or None
    where no seed has both."""
    import numpy as np
    a, b = results.get(method, {}), results.get(baseline, {})
    seeds = sorted(set(a) & set(b))
    if not seeds:
        return None
    diffs = [_avg_target(a[k], domains) - _avg_target(b[k], domains) for k in seeds]
    out = dict(
        method=method,
        baseline=baseline,
        seeds=seeds,
        diffs=diffs,
        mean=float(np.mean(diffs)),
        std=float(np.std(diffs, ddof=1)) if len(diffs) > 1 else None,
        n=len(diffs),
        t=None,
        p=None)
    if len(diffs) > 1 and out['std'] > 0:
        from scipy import stats
        test = stats.ttest_1samp(diffs, 0.0, alternative='greater')
        out.update(t=float(test.statistic), p=float(test.pvalue))
    return out


def format_paired(paired):
    """One line for the table's head."""
    if paired is None:
        return 'Paired difference: no seed has both rows yet.'
    spread = '' if paired['std'] is None else f' +- {paired["std"]:.2f} (sample std)'
    test = '' if paired['p'] is None else (f'; one-sided paired t-test t = {paired["t"]:.2f}, '
                                           f'p = {paired["p"]:.3f}')
    return (f'Paired difference {paired["method"]} - {paired["baseline"]} in average target '
            f'mIoU: {paired["mean"]:+.2f}{spread} over {paired["n"]} seed(s) '
            f'{paired["seeds"]}{test}.')


def _mean_std(values):
    """``'m ± sd (n)'`` (sample std), ``'m (1)'`` for one value."""
    import numpy as np
    if len(values) == 1:
        return f'{values[0]:.2f} (1)'
    return f'{np.mean(values):.2f} ± {np.std(values, ddof=1):.2f} ({len(values)})'


#: the parts of ``final_distances`` (ParamDistanceHook's names) and what they are
DISTANCE_PARTS = OrderedDict([('encoder', 'encoder at inference (DeFT: e~2)'),
                              ('decoder', 'decoder at inference (DeFT: d~1)'),
                              ('encoder_uc', 'e1 (DeFT, trained)'),
                              ('decoder_uc', 'd2 (DeFT, trained)')])


def format_secondary(results, domains):
    """Issue 25's secondary figures, each ``mean ± sample std (seeds)`` per row: the source-val
    mIoU, the L2 distance of every part from the start of finetuning at the end (Fig. 3: the
    final model; DeFT's trained e1 and d2 beside it), and Table 8's ordering of beta."""
    import numpy as np
    lines = [
        '| row | source-val mIoU | ' + ' | '.join(f'L2 {v}'
                                                  for v in DISTANCE_PARTS.values()) + ' |',
        '| --- | ---: |' + ' ---: |' * len(DISTANCE_PARTS)
    ]
    for method, runs in results.items():
        cells = [_mean_std([r['source_val_mIoU'] for r in runs.values()])]
        for part in DISTANCE_PARTS:
            vals = [
                r['final_distances'][f'dist_l2/{part}'] for r in runs.values()
                if f'dist_l2/{part}' in r.get('final_distances', {})
            ]
            cells.append(_mean_std(vals) if vals else '-')
        lines.append(f'| {method_entry(method)[2]} | ' + ' | '.join(cells) + ' |')
    lines.append('')
    lines.append('Distances: L2 from the weights at the start of finetuning (after the warm-up), '
                 'at the end of the run; seeds in parentheses.')
    table8 = [(SIM2REAL_TABLE8[m][0], m) for m in SIM2REAL_TABLE8] + [(0.9999, 'deft')]
    measured = [(b, m) for b, m in table8 if m in results]
    if len(measured) > 1:
        avg = {m: [_avg_target(r, domains) for r in results[m].values()] for _, m in measured}
        order = ' < '.join(f'{b}' for b, m in sorted(measured, key=lambda x: np.mean(avg[x[1]])))
        lines.append('')
        lines.append('Table 8 (average target mIoU by the paper\'s beta, rescaled to D): ' +
                     ', '.join(f'{b}: {_mean_std(avg[m])}' for b, m in measured) +
                     f'; measured order {order}; the paper\'s 0.99 < 0.999 < 0.9999.')
    return '\n'.join(lines)


def _ranks(values):
    """1 for the largest value."""
    order = sorted(range(len(values)), key=lambda i: -values[i])
    ranks = [0] * len(values)
    for r, i in enumerate(order):
        ranks[i] = r + 1
    return ranks


def format_table(table, domains=DOMAINS):
    """Markdown: mean ± std per domain and average; the measured rank (among the method rows of
    the ResNet or ViT group) beside the paper's average and rank (among the rows it reports)."""
    lines = [
        '| method | ' + ' | '.join(domains) + ' | avg | rank | paper avg (rank) | source |',
        '| --- |' + ' ---: |' * (len(domains) + 1) + ' ---: | ---: | --- |'
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
                for m, sd, n in (t['mIoU'][d] for d in domains + ('avg', ))
            ]
            paper_cell = '-'
            if t['paper']:  # a Table 8 row: the paper's value, no rank among the methods
                rank = f' ({paper[t["key"]]})' if t['key'] in paper else ''
                paper_cell = f'{sum(t["paper"]) / 3:.2f}{rank}'
            lines.append(f'| {t["label"]} | ' + ' | '.join(cells) +
                         f' | {measured.get(t["key"], "-")} | {paper_cell} | {t["source"]} |')
    n = sorted({t['mIoU']['avg'][2] for t in table})
    lines.append('')
    lines.append(f'mIoU (%), mean ± sample std over {"/".join(map(str, n))} seed(s); rank '
                 'within the ResNet and the ViT group; the paper column is the real benchmark '
                 '(GTAV -> Cityscapes / BDD100K / Mapillary), for the ordering only.')
    return '\n'.join(lines)


def plot(results,
         table,
         path,
         domains=DOMAINS,
         title='Mini DG benchmark: source GTAV-style -> three unseen demo domains'):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    import numpy as np
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(15, 5), gridspec_kw=dict(width_ratios=[2, 1]))
    width = 0.8 / (len(domains) + 1)
    x = np.arange(len(table))
    for i, d in enumerate(domains + ('avg', )):
        ax.bar(
            x + i * width, [t['mIoU'][d][0] for t in table],
            width,
            yerr=[t['mIoU'][d][1] for t in table],
            label=d,
            capsize=2)
    ax.set_xticks(x + width * len(domains) / 2)
    ax.set_xticklabels([t['key'] for t in table], rotation=40, ha='right')
    ax.set_ylabel('mIoU (%)')
    ax.set_title(title)
    ax.legend(fontsize=8, loc='upper right', ncol=4)
    ax.set_ylim(0, max(t['mIoU'][d][0] for t in table for d in domains) * 1.2)
    styles = {'joint': ':', 'lpft': '--', 'deft': '-', 'deft-distreg': '-.'}
    ordered = [m for m in styles if m in results] + sorted(m for m in results if m not in styles)
    for method in ordered:
        style = styles.get(method, (0, (5, 1, 1, 1)))  # the Table 8 rows: dash-dot-dot
        runs = results[method]
        curves = [r['curves'].get('dist_l2/encoder') for r in runs.values()]
        curves = [c for c in curves if c]
        if curves:
            steps = [s for s, _ in curves[0]]
            n = min(len(c) for c in curves)
            mean = np.mean([[v for _, v in c[:n]] for c in curves], axis=0)
            ax2.plot(steps[:n], mean, linestyle=style, label=f'{method}: encoder at inference')
    ax2.set_xlabel('iteration')
    ax2.set_ylabel('L2 distance from the pretrained weights')
    ax2.set_title('Fig. 3-style: encoder distance from initialization')
    if ax2.get_legend_handles_labels()[0]:
        ax2.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None):
    global ITERS
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--protocol',
        default=DEFAULT_PROTOCOL,
        help=f'{" or ".join(PROTOCOLS)} (default {DEFAULT_PROTOCOL}); sim2real: '
        'benchmarks/mini_dg_sim2real.py PROTOCOL')
    parser.add_argument(
        '--methods',
        nargs='+',
        choices=list(METHODS) + list(SIM2REAL_TABLE8),
        help='default: every method (streets), the ResNet rows (sim2real)')
    parser.add_argument(
        '--seeds', nargs='+', type=int, help="default 0 1 2 (streets), the protocol's (sim2real)")
    parser.add_argument(
        '--out', help='default work_dirs/mini_dg (streets), work_dirs/mini_dg_sim2real (sim2real)')
    parser.add_argument(
        '--iters',
        type=int,
        help=f'iterations per run (streets: default {ITERS}, the protocol; another value is a '
        'different protocol, for smoke tests). sim2real: a smoke option: W and D scaled to this '
        'many iterations in all, W : D kept; it changes the protocol hash')
    parser.add_argument(
        '--data',
        help='sim2real smoke option: overrides of the data sizes (JSON, e.g. '
        '\'{"num_source": 8, "num_target": 4}\'); it changes the protocol hash')
    parser.add_argument(
        '--demo',
        action='store_true',
        help='sim2real: LP-FT and DeFT from the recorded runs (benchmarks/results/'
        'mini_dg_sim2real, copied into --out where it lacks them; a seed without both rows is '
        'trained), their final models re-tested on every target against the recorded mIoU, '
        'the table, the paired difference and the picture (make demo)')
    parser.add_argument(
        '--add-final-distances',
        action='store_true',
        help='sim2real: add final_distances (L2, MARS and operator norm of e~2, d~1, e1, d2) to '
        'the results under --out recorded without them, from their final checkpoints')
    parser.add_argument('--worker', nargs=2, metavar=('METHOD', 'SEED'), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.protocol not in PROTOCOLS:
        print(
            f'error: unknown --protocol {args.protocol!r}; known: {", ".join(PROTOCOLS)}',
            file=sys.stderr)
        return 2
    if args.protocol in SIM2REAL_PROTOCOLS:
        return _main_sim2real(args)
    sim2real_only = [
        o for o, v in (('--data', args.data), ('--demo', args.demo),
                       ('--add-final-distances', args.add_final_distances)) if v
    ]
    sim2real_only += [m for m in args.methods or [] if m in SIM2REAL_TABLE8]
    if sim2real_only:
        print(
            f'error: {sim2real_only[0]} is a sim2real option (add --protocol sim2real; the '
            'streets protocol fixes its data and rows)',
            file=sys.stderr)
        return 2
    args.methods = args.methods or list(METHODS)
    args.seeds = args.seeds if args.seeds is not None else [0, 1, 2]
    ITERS = args.iters or ITERS
    args.out = osp.abspath(args.out or 'work_dirs/mini_dg')
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
    if _run_all(args, ['--iters', str(ITERS)], load_results(args.out), f'{ITERS} iterations'):
        return 1
    from bench_utils import machine  # benchmarks/ is this script's folder
    results = load_results(args.out)  # every recorded row, as under sim2real
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


def _run_all(args, worker_args, done, what):
    """Each (method, seed) of ``args`` not in ``done`` in its own process (seed-major: a complete
    table for the first seed comes first); 1 at the first failure, else 0."""
    for seed in args.seeds:
        for method in args.methods:
            if seed in done.get(method, {}):
                print(f'[mini_dg] {method} seed {seed}: done earlier (same protocol)')
                continue
            log = osp.join(args.out, method, f'seed{seed}.log')
            os.makedirs(osp.dirname(log), exist_ok=True)
            start = time.time()
            print(f'[mini_dg] {method} seed {seed}: training ({what}, log {log}) ...', flush=True)
            with open(log, 'w') as f:
                proc = subprocess.run([
                    sys.executable, __file__, '--worker', method,
                    str(seed), '--out', args.out, '--protocol', args.protocol, *worker_args
                ],
                                      stdout=f,
                                      stderr=subprocess.STDOUT)
            if proc.returncode:
                print(
                    f'error: {method} seed {seed} failed (exit {proc.returncode}); see {log}',
                    file=sys.stderr)
                return 1
            print(f'[mini_dg] {method} seed {seed}: {time.time() - start:.0f} s', flush=True)
    return 0


def _main_sim2real(args):
    """``main`` under ``--protocol sim2real`` (the ResNet group) or ``sim2real-vit``."""
    s2r = _sim2real()
    group = SIM2REAL_GROUPS[args.protocol]
    base = sim2real_base_protocol(args.protocol)
    methods = args.methods or list(sim2real_methods(base))
    for method in methods:
        try:
            check_sim2real_method(method, base)
        except ValueError as e:
            print(f'error: {e}', file=sys.stderr)
            return 2
    try:
        data = json.loads(args.data) if args.data else None
        proto = s2r.smoke_protocol(iters=args.iters, data=data, proto=base)
        resolved = s2r.protocol(proto)
    except (ValueError, TypeError) as e:  # JSON errors are ValueErrors
        print(f'error: --iters / --data: {e}', file=sys.stderr)
        return 2
    smoke = 'smoke' in proto
    if args.demo:
        problem = _demo_problem(args, resolved, smoke)
        if problem:
            print(f'error: --demo: {problem}', file=sys.stderr)
            return 2
        methods = list(SIM2REAL_DEMO_METHODS)
    guarded = [m for m in methods if m in group.guarded]
    if not resolved['fixed'] and not smoke and guarded:
        print(
            f'error: {", ".join(guarded)} under the {args.protocol} protocol before it is fixed '
            f"({group.protocol_attr}['fixed'] is False in benchmarks/mini_dg_sim2real.py): "
            'smoke runs only (--iters N)',
            file=sys.stderr)
        return 2
    args.methods = methods
    args.seeds = args.seeds if args.seeds is not None else list(resolved['seeds'])
    args.out = osp.abspath(args.out or f'work_dirs/mini_dg_{args.protocol.replace("-", "_")}')
    os.chdir(REPO)  # data and pretrained paths are relative to the repository
    if args.worker:
        run_one(args.worker[0], int(args.worker[1]), args.out, args.protocol, proto)
        return 0
    if args.add_final_distances:
        n = add_final_distances(args.out, proto)
        print(f'[mini_dg] final_distances added to {n} result(s) under {args.out}')
        return 0
    if args.demo:
        args.seeds = copy_recorded_runs(args.out, args.methods, args.seeds, proto, group.record)
    tag = s2r.protocol_hash(proto)
    w, d = resolved['warmup_iters'], resolved['decoupled_iters']
    print(f'[mini_dg] {args.protocol} protocol {tag}{" (smoke)" if smoke else ""}'
          f'{"" if resolved["fixed"] else " (not fixed yet)"}: W {w}, D {d}, '
          f'{resolved.get("optimizer", "SGD")} lr {resolved["optim"]["lr"]}, '
          f'batch {resolved["optim"]["batch"]}')
    ensure_sim2real_data(proto)
    done = load_results(args.out, 'sim2real', proto)
    if any(k not in done.get(m, {}) for k in args.seeds for m in args.methods):
        try:  # made once here, before the runs that need it (recorded runs do not)
            ensure_sim2real_encoder(proto)
        except RuntimeError as e:
            print(f'error: {e}', file=sys.stderr)
            return 1
    worker_args = (['--iters', str(args.iters)]
                   if args.iters is not None else []) + (['--data', args.data] if args.data else [])
    if _run_all(args, worker_args, done, f'W {w} + D {d} iterations'):
        return 1
    from bench_utils import machine  # benchmarks/ is this script's folder
    domains = sim2real_domains()
    # every row recorded under --out, not only this invocation's: a run of one row into a
    # record must not rewrite the record's summary as that row alone
    results = load_results(args.out, 'sim2real', proto)
    table = rows(results, domains)
    paired = paired_difference(results, domains=domains)
    text = format_paired(paired)
    if group.second_pair and set(group.second_pair) & set(results):
        second = paired_difference(results, *group.second_pair, domains=domains)
        text += '\n' + format_paired(second)
    text += '\n\n' + format_table(table, domains) + '\n\n' + format_secondary(results, domains)
    stem = f'mini_dg_{args.protocol.replace("-", "_")}'
    png = osp.join(args.out, f'{stem}.png')
    plot(results, table, png, domains, group.title)
    note = '' if resolved['fixed'] else ' (NOT FIXED: placeholder values)'
    ran_on = sorted(
        {r['machine']
         for runs in results.values()
         for r in runs.values() if r.get('machine')}) or [machine()]
    with open(osp.join(args.out, f'{stem}.md'), 'w') as f:
        f.write(text + f'\n\nRuns measured on: {"; ".join(ran_on)}; {args.protocol} protocol '
                f'{tag}{note}{"; smoke " + json.dumps(proto["smoke"]) if smoke else ""}.\n')
    with open(osp.join(args.out, f'{stem}.json'), 'w') as f:
        json.dump(
            dict(
                protocol=resolved,
                protocol_hash=tag,
                machine=machine(),
                paired_difference=paired,
                rows=table),
            f,
            indent=1)
    print('\n' + text)
    print(f'\nTable: {osp.join(args.out, stem + ".md")}\nPlot:  {png}')
    seed = picture_seed(results, args.out)
    if seed is None:
        return 0
    if args.demo:
        print(f'\nRe-test of seed {seed}\'s final models (exported files, mmseg init_model / '
              'inference_model) on every target image:')
        mismatched = retest_recorded(results, args.out, seed, proto)
        if mismatched:
            print(
                f'error: the final models of seed {seed} do not give the recorded mIoU: '
                f'{"; ".join(mismatched)}',
                file=sys.stderr)
            return 1
    figure = sim2real_picture(results, args.out, seed, proto, group.title)
    print(f'Picture: {figure}')
    return 0


# --------------------------------------------------------------------------------------------
# the sim2real demo: the recorded runs, their final models re-tested, the picture


def _demo_problem(args, resolved, smoke):
    """Why ``--demo`` cannot run with these arguments (None if it can)."""
    if args.protocol not in SIM2REAL_PROTOCOLS:
        return 'it shows the recorded sim2real runs; use --protocol sim2real or sim2real-vit'
    if smoke:
        return 'it shows the protocol\'s recorded runs; drop --iters / --data'
    if not resolved['fixed']:
        name = SIM2REAL_GROUPS[args.protocol].protocol_attr
        return (f"the {args.protocol} protocol is not fixed yet ({name}['fixed'] in "
                'benchmarks/mini_dg_sim2real.py), so there are no recorded runs to show')
    if args.methods and sorted(args.methods) != sorted(SIM2REAL_DEMO_METHODS):
        return f'it shows {" and ".join(SIM2REAL_DEMO_METHODS)}; drop --methods'
    return None


def copy_recorded_runs(out, methods, seeds, proto=None, record=SIM2REAL_RECORD, log=print):
    """Copy the recorded runs of this protocol (``record/<method>/seed<k>/``: result.json and,
    where recorded, the exported final model) into ``out`` where ``out`` has no result of that
    (method, seed); nothing in ``out`` is overwritten. Returns the seeds among ``seeds`` for
    which every method has a result now, or ``seeds[:1]`` (the run trains that one) if none."""
    recorded = load_results(record, 'sim2real', proto) if osp.isdir(record) else {}
    present = load_results(out, 'sim2real', proto)
    copied = []
    for method in methods:
        for seed in recorded.get(method, {}):
            src, dst = (osp.join(d, method, f'seed{seed}') for d in (record, out))
            if seed in present.get(method, {}) or osp.exists(osp.join(dst, 'result.json')):
                continue
            # what is recorded (a checkout's own run also holds its checkpoints and logs)
            os.makedirs(dst, exist_ok=True)
            shutil.copy2(osp.join(src, 'result.json'), dst)
            final = _figure().FINAL_MODEL_DIR
            if osp.isdir(osp.join(src, final)):
                shutil.copytree(osp.join(src, final), osp.join(dst, final), dirs_exist_ok=True)
            copied.append(f'{method} seed {seed}')
    if copied:
        log(f'[mini_dg] recorded runs copied from {record}: {", ".join(copied)}')
    done = load_results(out, 'sim2real', proto)
    both = [k for k in seeds if all(k in done.get(m, {}) for m in methods)]
    return both or list(seeds[:1])


def picture_seed(results, out, methods=SIM2REAL_DEMO_METHODS):
    """The first seed whose runs of ``methods`` all have their exported final model."""
    final = _figure().FINAL_MODEL_DIR
    seeds = sorted(set.intersection(*(set(results.get(m, {})) for m in methods)))
    for seed in seeds:
        if all(
                osp.isfile(osp.join(out, m, f'seed{seed}', final, 'final_model.pth'))
                for m in methods):
            return seed
    return None


def retest_recorded(results, out, seed, proto=None, methods=SIM2REAL_DEMO_METHODS, log=print):
    """Test the exported final models of ``seed`` on every target (``mini_dg_figure.retest``,
    the run's evaluator) and compare with the mIoU their run recorded; returns the mismatches
    (more than 0.01 apart) as text, empty if none."""
    figure = _figure()
    root = sim2real_data_root(proto)
    domains = sim2real_domains()
    mismatched = []
    for method in methods:
        work_dir = osp.join(out, method, f'seed{seed}')
        model = figure.load_final_model(work_dir)
        evaluator = build_sim2real_config(method, seed, work_dir, 'unused.pth', proto,
                                          root).test_evaluator
        got = figure.retest(model, root, domains, evaluator, model.dataset_meta['classes'])
        recorded = results[method][seed]['mIoU']['final']
        log(f'  {method}: ' + ', '.join(f'{d} {got[d]:.2f} (recorded {recorded[d]:.2f})'
                                        for d in domains))
        mismatched += [
            f'{method} {d}: {got[d]:.2f}, recorded {recorded[d]:.2f}' for d in domains
            if abs(got[d] - recorded[d]) > 0.01
        ]
    return mismatched


def sim2real_picture(results, out, seed, proto=None, title=SIM2REAL_TITLE):
    """``out/mini_dg_sim2real_predictions.png``: the first image of each target, its ground
    truth, LP-FT's and DeFT's predictions (seed ``seed``), the distance curves (mean over
    seeds)."""
    figure = _figure()
    root = sim2real_data_root(proto)
    examples = [(t, *figure.target_files(root, t)[0]) for t in sim2real_domains()]
    predictions, curves, palette = {}, {}, None
    for method in SIM2REAL_DEMO_METHODS:
        label = 'LP-FT' if method == 'lpft' else 'DeFT'
        model = figure.load_final_model(osp.join(out, method, f'seed{seed}'))
        palette = model.dataset_meta['palette']
        predictions[f'{label} (seed {seed})'] = [
            figure.predict(model, img) for _, img, _ in examples
        ]
        runs = list(results[method].values())
        parts = [('dist_l2/encoder', 'e~2' if method == 'deft' else 'encoder')]
        if method == 'deft':  # the trained e1 beside the final model's e~2 (recorded since seed 1)
            parts.append(('dist_l2/encoder_uc', 'e1'))
        for key, part in parts:
            n = sum(1 for r in runs if r.get('curves', {}).get(key))
            if n:
                curves[f'{label} {part} (mean of {n} seed(s))'] = figure.mean_curve(runs, key)
    return figure.draw(examples, predictions, curves, palette,
                       osp.join(out, 'mini_dg_sim2real_predictions.png'), title)


if __name__ == '__main__':
    sys.exit(main())
