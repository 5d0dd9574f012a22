"""Which trainings and tests a paper table needs, where they live, and how far each has got.

A training is keyed by what it trains: its config as the tools load it (``--demo ITERS``
and ``--cfg-options`` applied), hashed. Its folder is ``<root>/<config name>-<hash>/``, so
every table that has the same row (the DeFT R50 row is in Tables 1-4, 6, 7 and 8) reuses one
training, and a changed config starts a new folder beside the old run instead of continuing or
overwriting it. Inside: ``train/`` (the work dir of tools/train.py), one ``test*/`` folder per
set of test options (tools/test.py's work dir, ``test_results.json``), ``logs/`` (the tools'
output) and ``reproduce.json`` (config, hash, commands).
"""
import argparse
import copy
import glob
import hashlib
import json
import os
import os.path as osp
import re
import shlex
import shutil
import sys
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from ..utils.errors import ReproduceError
from ..utils.package_configs import tools_root
from .tables import PaperTable, TableRow

#: tools/test.py writes it when every domain is tested, in WORK_DIR/<timestamp>/ (one folder per
#: test; deft_mmseg.engine.multi_domain_loops); releases before that wrote it in WORK_DIR
TEST_RESULTS_FILE = 'test_results.json'
RECORD_FILE = 'reproduce.json'
#: ``{N}xb{B}-{iters}k`` of mmseg's config names: GPUs, images per GPU, iterations (docs/configs.md)
RECIPE_PATTERN = re.compile(r'_(\d+)xb(\d+)-(\d+)k_')
STAGED_LOOP_KEYS = ('decoupled_iters', 'tune_iters')


@dataclass(frozen=True)
class RunOptions:
    """How the rows run: ``work_root`` holds every training and test; ``demo_iters`` runs them as
    ``--demo ITERS``; ``gpus`` through tools/dist_*.sh (or ``GPUS`` of the slurm scripts);
    ``launcher`` ``'none'`` or ``'slurm'`` (with ``partition``); ``cfg_options`` go to every
    training and test as given (``key=value`` strings)."""
    work_root: str
    demo_iters: Optional[int] = None
    gpus: Optional[int] = None
    launcher: str = 'none'
    partition: Optional[str] = None
    cfg_options: Tuple[str, ...] = ()
    python: str = sys.executable


@dataclass
class Recipe:
    """GPUs x images per GPU and iterations of a config, read from its name."""
    gpus: int
    batch_per_gpu: int
    kiters: int

    def __str__(self):
        return f'{self.gpus} GPU{"s" if self.gpus > 1 else ""} x {self.batch_per_gpu}, ' \
               f'{self.kiters}k iterations'


def config_recipe(config: str) -> Optional[Recipe]:
    match = RECIPE_PATTERN.search(osp.basename(config))
    return Recipe(*map(int, match.groups())) if match else None


def parse_cfg_options(options: Sequence[str]) -> Dict:
    """``key=value`` strings as tools/train.py's ``--cfg-options`` reads them (mmengine's
    ``DictAction``), for the hash."""
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    try:
        return parser.parse_args(['--cfg-options', *options]).cfg_options if options else {}
    except SystemExit:
        raise ReproduceError(f'--cfg-options {" ".join(options)}: each must be key=value.') \
            from None


def total_iters(train_cfg: dict) -> int:
    """The iteration of the last checkpoint of a run (both stages of a two-stage loop)."""
    if train_cfg.get('max_iters'):
        return int(train_cfg['max_iters'])
    stage2 = next((train_cfg[k] for k in STAGED_LOOP_KEYS if train_cfg.get(k)), None)
    if 'warmup_iters' in train_cfg and stage2:
        return int(train_cfg['warmup_iters']) + int(stage2)
    raise ReproduceError(f'train_cfg {dict(train_cfg)} has no max_iters (nor warmup_iters + '
                         f'decoupled_iters / tune_iters): cannot tell when the run ends.')


def _canonical(obj):
    """A JSON-serialisable form of config values that does not depend on the process."""
    return getattr(obj, '__qualname__', None) or f'{type(obj).__name__}:{obj}'


def config_hash(cfg_dict: dict) -> str:
    text = json.dumps(cfg_dict, sort_keys=True, default=_canonical)
    return hashlib.sha256(text.encode()).hexdigest()[:10]


@dataclass
class LoadedConfig:
    """A config as tools/train.py runs it (``--demo`` and ``--cfg-options`` applied) and what the
    planner needs of it: its hash, its last iteration and its target domains in order (of the
    full config, and of the demo run when there is one)."""
    hash: str
    total_iters: int
    domains: List[str]
    run_domains: List[str]


_CONFIG_CACHE: Dict[Tuple, LoadedConfig] = {}


def load_row_config(config_path: str, options: RunOptions) -> LoadedConfig:
    key = (config_path, options.demo_iters, options.cfg_options)
    if key in _CONFIG_CACHE:
        return _CONFIG_CACHE[key]
    from ..apis.tool_config import load_config
    from ..datasets.checks import domain_dataset_cfgs
    from ..demo.demo_config import demo_run_config
    if not osp.isfile(config_path):
        raise ReproduceError(f'config {config_path} does not exist (the paper table names it; '
                             f'is this installation of deft_mmseg complete?).')
    cfg = load_config(config_path)
    domains = list(domain_dataset_cfgs(cfg.test_dataloader))
    if options.demo_iters is not None:
        cfg = demo_run_config(copy.deepcopy(cfg), options.demo_iters)
    cfg.merge_from_dict(parse_cfg_options(options.cfg_options))
    loaded = LoadedConfig(
        hash=config_hash(cfg.to_dict()),
        total_iters=total_iters(cfg.train_cfg),
        domains=domains,
        run_domains=list(domain_dataset_cfgs(cfg.test_dataloader)))
    _CONFIG_CACHE[key] = loaded
    return loaded


def _slug(options: Dict[str, str]) -> str:
    parts = [f'{k}-{v}' for k, v in sorted(options.items())]
    return re.sub(r'[^A-Za-z0-9._-]+', '_', '_'.join(parts))


@dataclass
class Stage:
    """One tool call of a row: ``kind`` ``'train'`` or ``'test'``, its command (argv), the
    environment it adds, the log file of its output, and ``done``."""
    kind: str
    argv: List[str]
    env: Dict[str, str]
    log: str
    done: bool


@dataclass
class RowPlan:
    """What one table row runs and where its results are."""
    table: PaperTable
    row: TableRow
    options: RunOptions
    loaded: LoadedConfig
    run_dir: str
    test_dir: str
    recipe: Optional[Recipe] = None
    earlier_runs: List[str] = field(default_factory=list)

    @property
    def train_dir(self) -> str:
        return osp.join(self.run_dir, 'train')

    @property
    def final_checkpoint(self) -> str:
        return osp.join(self.train_dir, f'iter_{self.loaded.total_iters}.pth')

    def results_file(self) -> Optional[str]:
        """The ``test_results.json`` of the newest finished test of this row, if any."""
        found = glob.glob(osp.join(self.test_dir, '*', TEST_RESULTS_FILE)) + glob.glob(
            osp.join(self.test_dir, TEST_RESULTS_FILE))
        return max(found, key=osp.getmtime) if found else None

    @property
    def test_cfg_options(self) -> List[str]:
        return list(
            self.options.cfg_options) + [f'{k}={v}' for k, v in self.row.test_cfg_options.items()]

    def iterations_done(self) -> int:
        """The iteration of the newest checkpoint of the training (0 without one)."""
        from ..engine.work_dir import run_checkpoints
        ckpts = run_checkpoints(self.train_dir)
        return int(re.findall(r'\d+', osp.basename(ckpts[0]))[0]) if ckpts else 0

    def trained(self) -> bool:
        """The last checkpoint exists and is complete (a kill while saving leaves a file that
        does not load)."""
        if not osp.isfile(self.final_checkpoint):
            return False
        from ..utils.checkpoint_loading import read_checkpoint_meta
        try:
            meta = read_checkpoint_meta(self.final_checkpoint)
        except Exception:  # noqa: BLE001  (cut short: not finished)
            return False
        return meta.get('iter', self.loaded.total_iters) == self.loaded.total_iters

    def tested(self) -> bool:
        return self.results_file() is not None

    def results(self) -> Optional[dict]:
        path = self.results_file()
        if path is None:
            return None
        with open(path) as f:
            return json.load(f)

    def status(self) -> str:
        """``done``, ``trained`` (test to run), ``training`` (a stopped or running training;
        ``--resume`` continues it) or ``not started``."""
        if self.tested():
            return 'done'
        if self.trained():
            return 'trained'
        if osp.isdir(self.train_dir):
            return 'training'
        return 'not started'

    def stages(self, resume: Optional[bool] = None) -> List[Stage]:
        """The train and test calls of this row as they would run now (``resume=False``: as
        they run from scratch)."""
        logs = osp.join(self.run_dir, 'logs')
        return [
            Stage('train', self.train_argv(resume), self.launcher_env(),
                  osp.join(logs, 'train.log'), self.trained()),
            Stage('test', self.test_argv(), self.launcher_env(),
                  osp.join(logs, f'{osp.basename(self.test_dir)}.log'), self.tested())
        ]

    # --- commands ---------------------------------------------------------------------------
    def _tool(self, name: str) -> str:
        return osp.realpath(osp.join(tools_root(), name))

    def _launch(self, kind: str, args: List[str]) -> List[str]:
        """``python tools/{train,test}.py ARGS``, or the same through dist_*.sh / slurm_*.sh
        (mmseg's argument order: PARTITION JOB_NAME CONFIG [CHECKPOINT] GPUS ...)."""
        opts = self.options
        head, rest = args[:2 if kind == 'test' else 1], args[2 if kind == 'test' else 1:]
        if opts.launcher == 'slurm':
            job = f'{self.row.id}-{kind}'
            return ['bash', self._tool(f'slurm_{kind}.sh'), opts.partition, job, *head, *rest]
        if opts.gpus is not None:
            return ['bash', self._tool(f'dist_{kind}.sh'), *head, str(opts.gpus), *rest]
        return [opts.python, self._tool(f'{kind}.py'), *head, *rest]

    def launcher_env(self) -> Dict[str, str]:
        env = {'PYTHON': self.options.python}  # dist_*.sh / slurm_*.sh run the tools with it
        if self.options.launcher == 'slurm':  # the recipe's GPUs, one for a demo
            recipe_gpus = self.recipe.gpus if self.recipe and self.options.demo_iters is None \
                else 1
            env['GPUS'] = str(self.options.gpus or recipe_gpus)
        return env

    def train_argv(self, resume: Optional[bool] = None) -> List[str]:
        """The training command; ``resume`` None: with ``--resume`` when the work dir exists
        (tools/train.py continues a stopped run, or starts one when it holds no checkpoint)."""
        args = [osp.realpath(self.row.config_path), '--work-dir', self.train_dir]
        if resume or (resume is None and osp.isdir(self.train_dir)):
            args.append('--resume')
        if self.options.cfg_options:
            args += ['--cfg-options', *self.options.cfg_options]
        if self.options.demo_iters is not None:
            args += ['--demo', str(self.options.demo_iters)]
        return self._launch('train', args)

    def test_argv(self) -> List[str]:
        args = [
            osp.realpath(self.row.config_path), self.final_checkpoint, '--work-dir', self.test_dir
        ]
        if self.test_cfg_options:
            args += ['--cfg-options', *self.test_cfg_options]
        if self.options.demo_iters is not None:
            args.append('--demo')
        return self._launch('test', args)

    def recipe_note(self) -> Optional[str]:
        """A line when the run's total batch is not the recipe's (GPUs x images per GPU)."""
        if self.recipe is None or self.options.demo_iters is not None:
            return None
        gpus = self.options.gpus or (self.recipe.gpus if self.options.launcher == 'slurm' else 1)
        if gpus == self.recipe.gpus:
            return None
        b = self.recipe.batch_per_gpu
        return (f'note: {self.row.config} is the recipe for {self.recipe.gpus} GPU(s) x {b} '
                f'images (batch {self.recipe.gpus * b}); this run uses {gpus} x {b} = {gpus * b}'
                f' (--gpus {self.recipe.gpus} for the recipe).')


def plan_rows(table: PaperTable, rows: List[TableRow], options: RunOptions) -> List[RowPlan]:
    """The plan of each row: its config loaded and hashed, its folders."""
    plans = []
    for row in rows:
        loaded = load_row_config(row.config_path, options)
        missing = [c.domain for c in table.domain_columns if c.domain not in loaded.domains]
        if missing:
            raise ReproduceError(f'{table.name}, row {row.id}: {row.config} tests no domain '
                                 f'{missing} (its domains: {loaded.domains}).')
        stem = osp.splitext(osp.basename(row.config))[0]
        run_dir = osp.join(options.work_root, f'{stem}-{loaded.hash}')
        test_name = 'test' + (f'_{_slug(row.test_cfg_options)}' if row.test_cfg_options else '')
        earlier = sorted(
            d for d in glob.glob(osp.join(options.work_root, f'{stem}-*'))
            if osp.isdir(d) and d != run_dir and re.fullmatch(r'[0-9a-f]{10}',
                                                              d.rsplit('-', 1)[-1]))
        plans.append(
            RowPlan(table, row, options, loaded, run_dir, osp.join(run_dir, test_name),
                    config_recipe(row.config), earlier))
    return plans


def display_command(argv: List[str], env: Optional[Dict[str, str]] = None) -> str:
    """A command as a user types it: paths under the current directory relative, the
    interpreter as ``python`` when that is the one ``python`` starts."""
    cwd = os.getcwd()
    shown = []
    for i, arg in enumerate(argv):
        if i == 0 and arg == sys.executable and shutil.which('python') and \
                osp.realpath(shutil.which('python')) == osp.realpath(sys.executable):
            arg = 'python'
        elif osp.isabs(arg) and (arg + '/').startswith(cwd + '/'):
            arg = osp.relpath(arg, cwd)
        shown.append(arg)
    prefix = ''.join(f'{k}={v} ' for k, v in (env or {}).items() if k == 'GPUS')
    return prefix + shlex.join(shown)


def write_record(plan: RowPlan, stages: List[Stage]) -> None:
    """``reproduce.json`` of a training's folder: config, hash, commands (merged, per test)."""
    path = osp.join(plan.run_dir, RECORD_FILE)
    record = {}
    if osp.isfile(path):
        with open(path) as f:
            record = json.load(f)
    record.update(
        config=plan.row.config,
        config_hash=plan.loaded.hash,
        demo_iters=plan.options.demo_iters,
        cfg_options=list(plan.options.cfg_options),
        total_iters=plan.loaded.total_iters)
    record.setdefault('commands', {})
    for stage in stages:
        key = 'train' if stage.kind == 'train' else osp.basename(plan.test_dir)
        record['commands'][key] = display_command(stage.argv, stage.env)
    os.makedirs(plan.run_dir, exist_ok=True)
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(record, f, indent=2)
    os.replace(tmp, path)
