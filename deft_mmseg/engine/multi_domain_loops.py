"""Validation/test loops that evaluate several target domains in one run.

mmengine's ``ValLoop``/``TestLoop`` take one dataloader and one evaluator, and ``ConcatDataset``
refuses datasets with differing metainfo; tagging samples by path inside one metric is only correct
at batch size 1. These loops instead build one dataloader and one evaluator *per domain* from a
shared dataloader config::

    val_dataloader = dict(
        batch_size=1, num_workers=2, persistent_workers=True,
        sampler=dict(type='DefaultSampler', shuffle=False),
        datasets=dict(cityscapes=dict(type='CityscapesDataset', ...),
                      bdd100k=dict(type='BDD100KDataset', ...)))
    val_evaluator = dict(type='DGIoUMetric', iou_metrics=['mIoU'])
    val_cfg = dict(type='MultiDomainValLoop')

Metrics are logged as ``<domain>/mIoU`` (and mAcc, aAcc) plus ``avg/<metric>``, the unweighted mean
over domains, so ``CheckpointHook(save_best='avg/mIoU')`` works. A table (a row per domain and a last
``avg`` row) is printed; validation writes ``multi_domain_results.json`` to the work dir (the
latest validation of the training run), a test writes ``test_results.json`` to its own folder
``WORK_DIR/<timestamp>/`` (one per test: a later test never overwrites an earlier one's). With
``format_only`` metrics (test-server files) nothing is scored: no table, no results file. A plain
``dataset=`` dataloader config is accepted too (one domain, named by ``domain_name`` or the type).
"""
import copy
import json
import os.path as osp
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Union

import torch
from mmengine.dist import is_main_process
from mmengine.evaluator import Evaluator
from mmengine.logging import print_log
from mmengine.runner import Runner, TestLoop, ValLoop
from mmengine.runner.amp import autocast
from mmseg.registry import LOOPS
from torch.utils.data import DataLoader

from ..datasets.checks import check_dataset_cfg, check_num_classes, domain_dataset_cfgs
from ..datasets.dg_base import guard_sample_errors
from ..evaluation.multi_domain_summary import format_domain_table, summarize_domains
from ..utils.errors import DatasetConfigError
from ..utils.mmengine_compat import image_save_dirs, parse_losses, update_losses
from ..utils.model_wrappers import unwrap_model

RESULTS_FILE = 'multi_domain_results.json'
#: the test loop's own file, so a test in a training run's work dir keeps its validation results
TEST_RESULTS_FILE = 'test_results.json'


class _MultiDomainMixin:
    """Builds and runs one (dataloader, evaluator) pair per domain."""

    def _build_domains(self, runner: Runner, dataloader: Union[DataLoader, Dict],
                       evaluator: Union[Evaluator, Dict, List], per_class: bool, results_file: str,
                       where: str) -> None:
        self._runner = runner
        self.per_class = per_class
        self.results_file = results_file
        if not isinstance(dataloader, dict):
            raise DatasetConfigError(
                f'{where}: {type(self).__name__} needs a dataloader config dict with `datasets` '
                f'(domain name -> dataset config) or `dataset`.')
        if dataloader.get('datasets') is not None and not dataloader['datasets']:
            raise DatasetConfigError(f'{where}.datasets is empty: name at least one domain.')
        datasets = domain_dataset_cfgs(dataloader)
        if not datasets:
            raise DatasetConfigError(
                f'{where} has neither `datasets` (domain name -> dataset config) nor `dataset`.')
        dl_cfg = {
            k: copy.deepcopy(v)
            for k, v in dataloader.items() if k not in ('datasets', 'dataset', 'domain_name')
        }
        if isinstance(evaluator, dict) and evaluator.get('type') in ('IoUMetric', 'DGIoUMetric'):
            evaluator = dict(evaluator, type='DGIoUMetric', per_class=per_class)
        self.domains = OrderedDict()
        for domain, ds_cfg in datasets.items():
            check_dataset_cfg(ds_cfg, f'{where}.datasets.{domain}')
            try:
                loader = runner.build_dataloader(dict(dl_cfg, dataset=ds_cfg), seed=runner.seed)
                empty = len(loader.dataset) == 0
            except ValueError as e:  # mmengine cannot serialize an empty data list
                if 'at least one array' not in str(e):
                    raise
                empty = True
            if empty:
                prefix = ds_cfg.get('data_prefix') or {}
                folder = osp.join(ds_cfg.get('data_root') or '', prefix.get('img_path', ''))
                raise DatasetConfigError(
                    f'{where}.datasets.{domain}: no images under {folder!r}' +
                    (f" listed in {ds_cfg['ann_file']!r}" if ds_cfg.get('ann_file') else '') +
                    f'. Put the images there or remove the domain from {where}.datasets.')
            guard_sample_errors(loader.dataset)
            domain_eval_cfg = copy.deepcopy(evaluator)
            if isinstance(domain_eval_cfg, dict) and domain_eval_cfg.get('output_dir'):
                domain_eval_cfg['output_dir'] = osp.join(domain_eval_cfg['output_dir'], domain)
            domain_eval = runner.build_evaluator(domain_eval_cfg)
            domain_eval.dataset_meta = loader.dataset.metainfo
            self.domains[domain] = (loader, domain_eval)
        # mmengine API compatibility: `runner.val_loop.dataloader` / `.evaluator` exist
        self.dataloader, self.evaluator = next(iter(self.domains.values()))
        runner.visualizer.dataset_meta = self.dataloader.dataset.metainfo

    def _check_model(self) -> None:
        model = unwrap_model(self.runner.model)
        for domain, (loader, _) in self.domains.items():
            check_num_classes(model, loader.dataset.metainfo, f'domain {domain!r}')

    def _format_only(self) -> bool:
        """Every domain's metric only writes files (``format_only``): there is nothing to score."""
        metrics = [
            m for _, evaluator in self.domains.values() for m in getattr(evaluator, 'metrics', [])
        ]
        return bool(metrics) and all(getattr(m, 'format_only', False) for m in metrics)

    def _run_domains(self, stage: str) -> Dict[str, float]:
        self._check_model()
        per_domain = OrderedDict()
        for domain, (loader, evaluator) in self.domains.items():
            self.runner.visualizer.dataset_meta = loader.dataset.metainfo
            with image_save_dirs(self.runner.visualizer, domain):  # --show-dir per domain
                for idx, data_batch in enumerate(loader):
                    self.run_iter(idx, data_batch, evaluator)
            metrics = evaluator.evaluate(len(loader.dataset))
            per_domain[domain] = metrics
        if self._format_only():  # no table of nan, no results file of empty dicts
            print_log(
                f'Multi-domain {stage}: format_only, no metrics computed '
                f'({len(per_domain)} domains).',
                logger='current')
            return OrderedDict()
        flat, nested = summarize_domains(per_domain)
        self._report(nested, stage)
        return flat

    def _report(self, nested: Dict[str, Dict[str, float]], stage: str) -> None:
        where = f' at iteration {self.runner.iter}' if stage == 'val' else ''
        print_log(
            f'Multi-domain {stage} results{where}:\n' + format_domain_table(nested),
            logger='current')
        if is_main_process():
            # a test's results go to its own folder (WORK_DIR/<timestamp>/, next to its log)
            folder = self.runner.log_dir if stage == 'test' else self.runner.work_dir
            path = osp.join(folder, self.results_file)
            with open(path, 'w') as f:
                json.dump(nested, f, indent=2)
            print_log(f'Multi-domain results written to {path}', logger='current')


@LOOPS.register_module()
class MultiDomainValLoop(_MultiDomainMixin, ValLoop):
    """Validation on several target domains; see the module docstring for the config.

    Args:
        runner (Runner): the runner.
        dataloader (dict): shared dataloader settings plus ``datasets`` (domain -> dataset cfg).
        evaluator (dict | list): evaluator config, instantiated once per domain (``IoUMetric`` is
            upgraded to :class:`DGIoUMetric`).
        fp16 (bool): fp16 validation. Default False.
        per_class (bool): also report per-class IoU/Acc per domain. Default False.
        results_file (str): file name written in the work dir. Default
            ``multi_domain_results.json``.
    """

    def __init__(self,
                 runner: Runner,
                 dataloader: Union[DataLoader, Dict],
                 evaluator: Union[Evaluator, Dict, List],
                 fp16: bool = False,
                 per_class: bool = False,
                 results_file: str = RESULTS_FILE) -> None:
        self._build_domains(runner, dataloader, evaluator, per_class, results_file,
                            'val_dataloader')
        self.fp16 = fp16
        self.val_loss = dict()

    def run(self) -> Dict[str, float]:
        self.runner.call_hook('before_val')
        self.runner.call_hook('before_val_epoch')
        self.runner.model.eval()
        self.val_loss.clear()
        metrics = self._run_domains('val')
        if self.val_loss:
            metrics.update(parse_losses(self.val_loss, 'val'))
        self.runner.call_hook('after_val_epoch', metrics=metrics)
        self.runner.call_hook('after_val')
        return metrics

    @torch.no_grad()
    def run_iter(self,
                 idx: int,
                 data_batch: Sequence[dict],
                 evaluator: Optional[Evaluator] = None) -> None:
        evaluator = evaluator or self.evaluator
        self.runner.call_hook('before_val_iter', batch_idx=idx, data_batch=data_batch)
        with autocast(enabled=self.fp16):
            outputs = self.runner.model.val_step(data_batch)
        outputs, self.val_loss = update_losses(outputs, self.val_loss)
        evaluator.process(data_samples=outputs, data_batch=data_batch)
        self.runner.call_hook(
            'after_val_iter', batch_idx=idx, data_batch=data_batch, outputs=outputs)


@LOOPS.register_module()
class MultiDomainTestLoop(_MultiDomainMixin, TestLoop):
    """Test on several target domains; same arguments as :class:`MultiDomainValLoop`, but the
    results go to ``test_results.json`` in the test's own folder ``WORK_DIR/<timestamp>/``
    (never over a training run's validation results, nor over an earlier test's)."""

    def __init__(self,
                 runner: Runner,
                 dataloader: Union[DataLoader, Dict],
                 evaluator: Union[Evaluator, Dict, List],
                 fp16: bool = False,
                 per_class: bool = False,
                 results_file: str = TEST_RESULTS_FILE) -> None:
        self._build_domains(runner, dataloader, evaluator, per_class, results_file,
                            'test_dataloader')
        self.fp16 = fp16
        self.test_loss = dict()

    def run(self) -> Dict[str, float]:
        self.runner.call_hook('before_test')
        self.runner.call_hook('before_test_epoch')
        self.runner.model.eval()
        self.test_loss.clear()
        metrics = self._run_domains('test')
        if self.test_loss:
            metrics.update(parse_losses(self.test_loss, 'test'))
        self.runner.call_hook('after_test_epoch', metrics=metrics)
        self.runner.call_hook('after_test')
        return metrics

    @torch.no_grad()
    def run_iter(self,
                 idx: int,
                 data_batch: Sequence[dict],
                 evaluator: Optional[Evaluator] = None) -> None:
        evaluator = evaluator or self.evaluator
        self.runner.call_hook('before_test_iter', batch_idx=idx, data_batch=data_batch)
        with autocast(enabled=self.fp16):
            outputs = self.runner.model.test_step(data_batch)
        outputs, self.test_loss = update_losses(outputs, self.test_loss)
        evaluator.process(data_samples=outputs, data_batch=data_batch)
        self.runner.call_hook(
            'after_test_iter', batch_idx=idx, data_batch=data_batch, outputs=outputs)
