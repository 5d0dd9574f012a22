"""Per-stage learning rate and weight decay, resolved from TwoStageTrainLoop's warmup_iters."""
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import PARAM_SCHEDULERS

from deft_mmseg.engine.two_stage_train_loop import resolve_stage_schedulers
from deft_mmseg.utils.errors import TwoStageConfigError
from repo_paths import config_path

W, T = 4, 10  # warm-up iterations, total iterations


def _values():
    schedule = Config.fromfile(config_path('_base_', 'schedules', 'deft_sgd_8k_40k.py'))
    cfgs = resolve_stage_schedulers(schedule.param_scheduler, W, T)
    assert [(c['begin'], c['end']) for c in cfgs] == [(0, W), (W, T)] * 2
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))],
                          lr=0.01,
                          momentum=0.9,
                          weight_decay=5e-4)
    scheds = [PARAM_SCHEDULERS.build(dict(c, optimizer=opt)) for c in cfgs]
    lrs, wds = [], []
    for _ in range(T):  # what IterBasedTrainLoop + ParamSchedulerHook do
        lrs.append(opt.param_groups[0]['lr'])
        wds.append(opt.param_groups[0]['weight_decay'])
        opt.step()
        for s in scheds:
            s.step()
    return lrs, wds


def test_poly_restarts_at_the_decoupled_stage_and_weight_decay_switches():
    lrs, wds = _values()

    def poly(k, n):  # mmengine PolyLR's values: (1 - k / (n - 1)) ** 0.9
        return 0.01 * (1 - k / (n - 1))**0.9

    expected = [poly(k, W) for k in range(W)] + [poly(k, T - W) for k in range(T - W)]
    assert lrs == pytest.approx(expected, rel=1e-12)
    assert lrs[W] == 0.01 and lrs[W - 1] == 0.0
    assert wds == [5e-3] * W + [5e-4] * (T - W)


def test_stage_resolution_errors_and_no_warmup():
    with pytest.raises(TwoStageConfigError, match="unknown stage 'stage2'"):
        resolve_stage_schedulers([dict(type='StagePolyLR', stage='stage2')], W, T)
    with pytest.raises(TwoStageConfigError, match='either stage= or begin/end'):
        resolve_stage_schedulers([dict(type='StagePolyLR', stage='warmup', begin=0)], W, T)
    cfgs = resolve_stage_schedulers(
        [dict(type='StagePolyLR', stage='warmup'),
         dict(type='StagePolyLR', stage='decoupled')], 0, T)
    assert cfgs == [dict(type='StagePolyLR', begin=0, end=T, by_epoch=False)]
