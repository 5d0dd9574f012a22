"""The two-stage loop and the DeFT hooks driven by a real mmengine Runner (``RunnerTestCase``: it
clears mmengine's named singletons between runs) on toy segmentation data, against values written
out here: the stage switch, Eq. 2 of the cross EMA, the distance of Fig. 3, and a checkpoint."""
import copy
import os.path as osp

import torch
from mmengine.hooks import Hook
from mmengine.testing import RunnerTestCase

from deft_mmseg.testing import ToySegDataset  # noqa: F401  (registers the toy dataset)
from deft_mmseg.utils.checkpoint_loading import load_local_checkpoint
from deft_mmseg.utils.curves import load_curves
from deft_helpers import tiny_model_cfg


class _Probe(Hook):
    """Records, around every iteration: the stage flag, GC/UC parameters (after all other hooks
    of the iteration ran: lowest priority)."""

    priority = 'LOWEST'

    def __init__(self):
        self.records = []

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        model = runner.model
        self.records.append(
            dict(
                iter=runner.iter,
                decoupled=not model.in_warmup,
                before={
                    n: p.detach().clone()
                    for n, p in model.named_parameters()
                }))

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        self.records[-1]['after'] = {
            n: p.detach().clone()
            for n, p in runner.model.named_parameters()
        }


class TwoStageRunnerTest(RunnerTestCase):

    def setUp(self):
        super().setUp()
        cfg = copy.deepcopy(self.iter_based_cfg)
        model = tiny_model_cfg('DualPathwaySegmentor')
        model['data_preprocessor'] = dict(
            type='SegDataPreProcessor',
            mean=[128.0] * 3,
            std=[64.0] * 3,
            size=(32, 32),
            pad_val=0,
            seg_pad_val=255)
        cfg.model = model
        cfg.default_scope = 'mmseg'
        cfg.train_dataloader = dict(
            dataset=dict(type='ToySegDataset'),
            batch_size=2,
            num_workers=0,
            sampler=dict(type='InfiniteSampler', shuffle=True))
        for key in ('val_dataloader', 'val_evaluator', 'val_cfg', 'test_dataloader',
                    'test_evaluator', 'test_cfg'):
            cfg[key] = None
        cfg.train_cfg = dict(
            type='TwoStageTrainLoop', warmup_iters=2, decoupled_iters=3, val_interval=100)
        cfg.optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.05, momentum=0.9))
        cfg.default_hooks = dict(
            logger=dict(type='LoggerHook', interval=1),
            checkpoint=dict(type='CheckpointHook', interval=5, by_epoch=False))
        cfg.randomness = dict(seed=0)
        self.cfg = cfg

    def _run(self, beta=0.7, extra_hooks=()):
        cfg = copy.deepcopy(self.cfg)
        cfg.custom_hooks = [
            dict(type='CrossEMAHook', beta=beta, buffer_update='forward'), *extra_hooks
        ]
        runner = self.build_runner(cfg)
        probe = _Probe()
        runner.register_hook(probe)
        runner.train()
        return runner, probe.records

    def test_stage_switch_and_warmup_leaves_the_encoder_alone(self):
        runner, records = self._run()
        assert [r['decoupled'] for r in records] == [False, False, True, True, True]
        enc = [n for n in records[0]['before'] if n.startswith('pathway1.backbone.')]
        for r in records[:2]:  # warm-up: e1 frozen, d2 learns
            assert all(torch.equal(r['before'][n], r['after'][n]) for n in enc)
            assert not torch.equal(r['before']['pathway2.decode_head.conv_seg.weight'],
                                   r['after']['pathway2.decode_head.conv_seg.weight'])
        first = records[2]['before']  # Alg. 2 lines 6-10: both pathways start equal
        for n in enc:
            assert torch.equal(first[n], first[n.replace('pathway1.', 'pathway2.')])
        assert runner.iter == 5

    def test_cross_ema_is_eq2_after_every_decoupled_step(self):
        beta = 0.7
        _, records = self._run(beta=beta)
        for r in records[2:]:
            before, after = r['before'], r['after']
            for name in before:
                pairs = [
                    ('pathway2.backbone.', 'pathway1.backbone.'),  # e~2 <- e1
                    ('pathway1.decode_head.', 'pathway2.decode_head.')
                ]  # d~1 <- d2
                for gc, uc in pairs:
                    if name.startswith(gc):
                        expected = beta * before[name] + (1 - beta) * after[name.replace(gc, uc)]
                        torch.testing.assert_close(after[name], expected, rtol=1e-6, atol=1e-7)
            # the exact Eq. 2 value above leaves no room for an optimizer step; and GC does move
            gc_weight = 'pathway1.decode_head.conv_seg.weight'
            assert not torch.equal(before[gc_weight], after[gc_weight])

    def test_param_distance_is_the_l2_norm_from_the_decoupled_start(self):
        runner, records = self._run(extra_hooks=[dict(type='ParamDistanceHook', interval=1)])
        start = records[2]['before']  # anchored when decoupled finetuning starts
        curve = dict(load_curves(runner.work_dir)['dist_l2/encoder'])
        assert sorted(curve) == [3, 4, 5]
        for r in records[2:]:
            end = r['after']
            enc = [n for n in start if n.startswith('pathway2.backbone.')]  # IV's encoder: e~2
            expected = torch.sqrt(sum(((end[n] - start[n]).double()**2).sum() for n in enc))
            assert abs(curve[r['iter'] + 1] - float(expected)) < 1e-6 * float(expected)

    def test_param_distance_of_the_usual_components_e1_and_d2(self):
        runner, records = self._run(
            extra_hooks=[dict(type='ParamDistanceHook', interval=1, uc_parts=True)])
        curves = load_curves(runner.work_dir)
        start = records[2]['before']  # e1 = e~2 and d2 = d~1 here (Alg. 2 lines 6-10)
        for key, prefix in (('dist_l2/encoder_uc', 'pathway1.backbone.'), ('dist_l2/decoder_uc',
                                                                           'pathway2.decode_head.'),
                            ('dist_l2/encoder', 'pathway2.backbone.'), ('dist_l2/decoder',
                                                                        'pathway1.decode_head.')):
            curve = dict(curves[key])
            assert sorted(curve) == [3, 4, 5], key
            for r in records[2:]:
                names = [n for n in start if n.startswith(prefix)]
                expected = torch.sqrt(
                    sum(((r['after'][n] - start[n]).double()**2).sum() for n in names))
                assert abs(curve[r['iter'] + 1] - float(expected)) < 1e-6 * float(expected), key
        # the gradient moves e1 further than the EMA moves e~2 (beta 0.7 here)
        assert curves['dist_l2/encoder_uc'][-1][1] > curves['dist_l2/encoder'][-1][1]

    def test_checkpoint_holds_the_stage_and_both_pathways(self):
        runner, records = self._run()
        ckpt = load_local_checkpoint(osp.join(runner.work_dir, 'iter_5.pth'))
        state = ckpt['state_dict']
        assert int(state['decoupled_flag']) == 1
        for name, value in records[-1]['after'].items():
            assert torch.equal(state[name], value), name

    def _momentum_at_first_decoupled_step(self, reset):
        """d2's SGD momentum buffer and gradient after the first stage-2 optimizer step."""
        cfg = copy.deepcopy(self.cfg)
        cfg.train_cfg['reset_optimizer_state'] = reset
        cfg.custom_hooks = [dict(type='CrossEMAHook', beta=0.7)]
        runner = self.build_runner(cfg)
        seen = {}

        class _Momentum(Hook):
            priority = 'LOWEST'

            def before_train_iter(self, runner, batch_idx, data_batch=None):
                if runner.iter == 2:  # the first iteration after the switch: its gradient
                    p = runner.model.pathway2.decode_head.conv_seg.weight
                    self.handle = p.register_hook(
                        lambda grad: seen.__setitem__('grad', grad.clone()))

            def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
                if runner.iter == 2:
                    self.handle.remove()
                    p = runner.model.pathway2.decode_head.conv_seg.weight
                    seen['buffer'] = runner.optim_wrapper.optimizer.state[p][
                        'momentum_buffer'].clone()

        runner.register_hook(_Momentum())
        runner.train()
        return seen

    def test_reset_optimizer_state_starts_stage_2_without_warmup_momentum(self):
        # torch SGD (no weight decay, dampening 0): a fresh buffer is the gradient itself;
        # a buffer carried from the warm-up is 0.9 * old + gradient
        fresh = self._momentum_at_first_decoupled_step(reset=True)
        assert torch.equal(fresh['buffer'], fresh['grad'])
        carried = self._momentum_at_first_decoupled_step(reset=False)
        assert not torch.allclose(carried['buffer'], carried['grad'], atol=1e-6)
