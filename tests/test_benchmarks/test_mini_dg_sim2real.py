"""The sim2real calibration's pure logic: the plateau rule and the three premise gates."""
import json
import os.path as osp
import sys

import pytest

from deft_mmseg.utils.errors import CheckpointMismatchError

sys.path.insert(0, osp.join(osp.dirname(__file__), '..', '..', 'benchmarks'))
import mini_dg_sim2real as calib  # noqa: E402


def test_plateau_is_the_first_point_whose_window_improvement_is_small():
    # improvements over 2 points: 10 -> 6 (40 %), 8 -> 5 (37 %), 6 -> 4.9 (18 %), 5 -> 4.88 (2.4 %)
    curve = [(50, 10.0), (100, 8.0), (150, 6.0), (200, 5.0), (250, 4.9), (300, 4.88)]
    assert calib.plateau_step(curve, 2, 0.03) == 300
    assert calib.plateau_step(curve, 2, 0.001) is None


def _rows(src_miou, lpft_avg, fd_avg, target_losses, source_losses):
    curves = [(i, s, s, {
        'a': t,
        'b': t
    }) for i, (t, s) in enumerate(zip(target_losses, source_losses), 1)]
    return {
        'lpft': dict(source_val_miou=src_miou, target_avg=lpft_avg, curves=curves),
        'freeze-decoder': dict(target_avg=fd_avg)
    }


def test_gates_pass_when_the_premise_holds():
    g = calib.gates(
        _rows(70.0, 40.0, 38.5, [1.0, 0.9, 0.8, 0.8, 0.9, 1.0, 1.1, 1.2],
              [1.0, 0.8, 0.6, 0.5, 0.45, 0.4, 0.38, 0.36]))
    assert g['a_gap'] == 30.0 and g['a_pass']
    assert g['b_pass'] and g['b_target_loss_end'] > g['b_target_loss_mid']
    assert g['c_freeze_decoder_minus_lpft'] == -1.5 and g['c_pass']


@pytest.mark.parametrize('case', ['gap', 'loss', 'freeze'])
def test_each_gate_fails_on_its_own(case):
    target = [1.0, 0.9, 0.8, 0.8, 0.9, 1.0, 1.1, 1.2]
    source = [1.0, 0.8, 0.6, 0.5, 0.45, 0.4, 0.38, 0.36]
    src, fd = 70.0, 38.5
    if case == 'gap':
        src = 54.0
    if case == 'loss':
        target = list(reversed(target[4:])) + [0.7, 0.6, 0.55, 0.5]  # falls in the second half
    if case == 'freeze':
        fd = 33.0
    g = calib.gates(_rows(src, 40.0, fd, target, source))
    assert [g['a_pass'], g['b_pass'],
            g['c_pass']] == [case != 'gap', case != 'loss', case != 'freeze']


def test_gate_b_compares_windows_of_five_on_twenty_points():
    # 20 points: the middle window is points 8-12 (1-based), the end window points 16-20. A rise
    # that only the last 3 points show (1.0 -> 1.15) averages to less than the middle's 1.12
    # over 5 points and fails; windows of 3 (points 9-11: 1.133) would pass it
    source = [1.0 - 0.02 * i for i in range(20)]
    target = [1.0] * 7 + [1.1, 1.1, 1.1, 1.2, 1.1] + [1.0] * 5 + [1.15] * 3
    g = calib.gates(_rows(70.0, 40.0, 39.0, target, source))
    assert g['b_target_loss_mid'] == pytest.approx(1.12)
    assert g['b_target_loss_end'] == pytest.approx((2 * 1.0 + 3 * 1.15) / 5)
    assert not g['b_pass']
    target[-5:-3] = [1.15, 1.15]  # the whole end window above the middle: passes
    assert calib.gates(_rows(70.0, 40.0, 39.0, target, source))['b_pass']


def test_windowed_plateau_ignores_a_noisy_point_that_fires_the_single_point_rule():
    # a falling loss with one noisy point at step 300: the single-point rule (1 point back)
    # fires there (0.80 -> 0.79: 1.25 %); the means of 2 points do not (400: 0.85 -> 0.77, 9 %)
    curve = [(100, 0.9), (200, 0.8), (300, 0.79), (400, 0.75), (500, 0.72), (600, 0.69),
             (700, 0.685), (800, 0.68), (900, 0.683), (1000, 0.679)]
    assert calib.plateau_step(curve, 1, 0.02) == 300
    # 500: .795 -> .735 (7.5 %); 600: .77 -> .705 (8.4 %); 700: .735 -> .6875 (6.5 %);
    # 800: .705 -> .6825 (3.2 %); 900: .6875 -> .6815 (0.87 %): fires
    assert calib.plateau_step_windowed(curve, 2, 0.02) == 900
    assert calib.plateau_step_windowed(curve, 2, 0.001) is None


def test_decoupled_length_is_five_warmups_or_the_joint_plateau():
    probe = dict(calib.SCHEDULE_PROBE, multiple=5, decoupled_max=15000)
    assert calib.decoupled_length(2000, 7000, probe) == 10000
    assert calib.decoupled_length(2000, 12000, probe) == 12000
    assert calib.decoupled_length(2000, None, probe) == 15000  # never plateaued: the cap
    assert calib.decoupled_length(4000, 3000, probe) == 20000  # 5 W, even above the cap


def test_rows_take_the_latest_probe_of_their_round_seed_and_settings():
    from deft_mmseg.demo.sim2real_streets import GeneratorSettings
    tag = calib.settings_hash(dict(GeneratorSettings()))

    def probe(round_name, seed, w, settings_hash=tag, optim=calib.DEFAULT_OPTIM):
        return dict(
            kind='schedule',
            round=round_name,
            seed=seed,
            settings_hash=settings_hash,
            optim=dict(optim),
            data=json.loads(json.dumps(calib.DEFAULT_DATA)),  # as the record stores it
            schedule=dict(warmup_iters=w, decoupled_iters=5 * w, warmup_curve=[]))

    records = [
        probe('r4', 100, 1000),
        probe('r4', 100, 2000),
        probe('r4', 101, 3000),
        probe('r4', 100, 4000, 'other'),
        probe('r4', 100, 5000, optim=dict(calib.DEFAULT_OPTIM, lr=0.04)),
        probe('r3', 100, 800)
    ]
    assert calib.probe_of('r4', 100, {}, records) == dict(warmup_iters=2000, decoupled_iters=10000)
    assert calib.probe_of('r4', 102, {}, records) is None


def test_schedule_probe_reads_the_source_val_loss_of_the_curve_points(monkeypatch):
    """The probe reads the curve points :func:`train` appends (``curve_point``'s 5-tuples since
    round r10) and applies the windowed rule to their source-val loss (the third field)."""
    calls = []

    def fake_train(model, data, pipeline, rng, iters, wd, trainable, **kwargs):
        curves, stop = kwargs['curves'], kwargs['stop']
        calls.append((iters, trainable, kwargs.get('lr')))
        for k in range(1, iters // calib.SCHEDULE_PROBE['eval_every'] + 1):
            # source-val loss: 1 / k until step 20 points, then flat (a plateau)
            val = 1.0 / min(k, 20)
            curves.append((k * calib.SCHEDULE_PROBE['eval_every'], 9.9, val, {}, {}))
            if stop(curves):
                return

    monkeypatch.setattr(calib, 'train', fake_train)
    monkeypatch.setattr(calib, 'build_model', lambda pretrained: None)
    monkeypatch.setattr(calib, 'warm_up', lambda *args: None)
    got = calib.probe_schedule({}, None, 'enc.pth', 100, lambda w: f'warm{w}', log=lambda m: 0)
    every = calib.SCHEDULE_PROBE['eval_every']
    assert got['warmup_curve'][:2] == [(every, 1.0), (2 * every, 0.5)]
    assert got['warmup_plateau'] == calib._plateau_of([(c[0], None, c[1])
                                                       for c in got['warmup_curve']])
    assert got['warmup_iters'] == got['warmup_plateau'] > 20 * every
    assert got['decoupled_iters'] == calib.decoupled_length(got['warmup_iters'],
                                                            got['joint_plateau'])
    assert [c[1] for c in calls] == [(False, True), (True, True)]
    assert calls[1][2] == calib.decoupled_lr()


def test_an_optimizer_or_data_override_gets_its_own_warmup_files(monkeypatch):
    plain = calib.warm_file_of('/x/enc.pth', 100, 2800)
    assert plain.endswith('warm_enc_s100_w2800.pth')  # the shipped recipe: the files as before
    monkeypatch.setitem(calib.OPTIM, 'lr', 0.04)
    other = calib.warm_file_of('/x/enc.pth', 100, 2800)
    # the name rounds r6-r13 cached their lr 4e-2 warm-ups under (before lr_decoupled existed)
    assert other.endswith('warm_enc_s100_w2800_oc7ddcc402103.pth')
    # a decoupled-only lr (round r14 on) shares the warm-up it does not change, and only changes
    # the decoupled stage's lr
    monkeypatch.setitem(calib.OPTIM, 'lr_decoupled', 0.01)
    assert calib.warm_file_of('/x/enc.pth', 100, 2800) == other
    assert calib.decoupled_lr() == 0.01 and calib.OPTIM['lr'] == 0.04
    monkeypatch.setitem(calib.OPTIM, 'lr_decoupled', None)
    assert calib.decoupled_lr() == 0.04
    monkeypatch.setitem(calib.DATA, 'num_source', 100)
    fewer = calib.warm_file_of('/x/enc.pth', 100, 2800)
    # a wider decode head (round r15 on) warms up its own decoder
    monkeypatch.setitem(calib.HEAD, 'channels', 64)
    wider = calib.warm_file_of('/x/enc.pth', 100, 2800)
    assert len({plain, other, fewer, wider}) == 4


def test_head_override_builds_the_wider_decode_head(monkeypatch, tmp_path):
    import torch
    from mmseg.registry import MODELS

    from deft_mmseg.demo.pretraining import _model_cfg
    cfg = _model_cfg('deeplabv3plus_tiny_demo.py')
    backbone = MODELS.build(cfg['backbone'])
    path = tmp_path / 'enc.pth'
    torch.save(dict(state_dict=backbone.state_dict()), path)
    monkeypatch.setattr(calib, 'HEAD', dict(channels=64, c1_channels=16))
    model = calib.build_model(str(path))
    assert (model.decode_head.channels, model.decode_head.c1_bottleneck.conv.out_channels) == (64,
                                                                                               16)
    assert model.decode_head.conv_seg.in_channels == 64
    assert calib.main(['rows', '--head', '{"width": 64}', '--warmup', '1', '--decoupled', '1']) == 2


def _fake_pretraining(monkeypatch, tmp_path, **meta):
    """Pretraining replaced by a file with ``meta``, under ``tmp_path``; returns the list of
    (out_file, settings, recipe) each call was asked for."""
    from deft_mmseg.demo import sim2real_pretraining
    made = []

    def fake_ensure(out_file, settings=None, recipe=None, log=print):
        import torch
        made.append((out_file, settings, recipe))
        torch.save(dict(meta=dict(reached=True, seconds=0.0, **meta)), out_file)
        return out_file

    monkeypatch.setattr(sim2real_pretraining, 'ensure_real_encoder', fake_ensure)
    monkeypatch.setattr(calib, 'REPO', str(tmp_path))
    (tmp_path / 'data' / 'sim2real' / 'pretrained').mkdir(parents=True)
    return made


def test_pretraining_override_gets_its_own_encoder_and_records(monkeypatch, tmp_path):
    from deft_mmseg.demo import sim2real_pretraining
    made = _fake_pretraining(monkeypatch, tmp_path, steps=1, held_out_pixel_accuracy=0.5)
    plain = calib.real_encoder({})
    monkeypatch.setitem(calib.PRETRAINING, 'patch', 16)
    coarse = calib.real_encoder({})
    # its own file, named by the resolved recipe's hash; the recipe's overrides reach pretraining
    assert plain[2] != coarse[2] and made[1][2] == {'patch': 16} and made[0][2] == {}
    assert osp.basename(
        plain[2]).endswith(calib.settings_hash(sim2real_pretraining.RECIPE) + '.pth')
    assert coarse[3]['patch'] == 16 and 'patch' not in plain[3]
    assert coarse[3]['recipe_hash'] != plain[3]['recipe_hash']
    # the Runner rows pass the protocol's overrides, whatever --pretraining said
    assert calib.real_encoder({}, pretraining={})[2] == plain[2]
    # a record of another pretraining is not one of this run's
    record = dict(settings_hash='t', optim=calib.OPTIM, data=calib.DATA, head={})
    assert not calib._of_this_run(record, 't')
    assert calib._of_this_run(dict(record, pretraining_overrides={'patch': 16}), 't')
    # the protocol resolves its overrides into the recipe; without them its hash is unchanged
    proto = dict(calib.PROTOCOL, pretraining={'patch': 16})
    assert calib.protocol(proto)['pretraining']['patch'] == 16
    assert calib.protocol_hash(proto) != calib.protocol_hash()
    with pytest.raises(ValueError, match='unknown pretraining keys'):
        calib.protocol(dict(calib.PROTOCOL, pretraining={'patches': 16}))
    assert calib.main(['rows', '--pretraining', '{"patches": 16}', '--warmup', '1']) == 2


def test_cli_rejects_an_unknown_optimizer_key(capsys):
    assert calib.main(['sweep', '--optim', '{"learning_rate": 0.04}', '--lengths', '100']) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and 'learning_rate' in err and "'lr'" in err
    assert calib.OPTIM == calib.DEFAULT_OPTIM


def test_doubling_rule_on_the_measured_warmup_sweep():
    # r4-diag-warmup-sweep (seed 100): 2,800 -> 5,600: -24.7 %; 5,600 -> 11,200: -15.5 %
    sweep = {2800: 0.3758, 5600: 0.283, 11200: 0.2391}
    assert calib.warmup_by_doubling(sweep, 0.05) is None  # 22,400 not measured yet
    assert calib.warmup_by_doubling({**sweep, 22400: 0.2300}, 0.05) == 11200  # -3.8 %
    assert calib.warmup_by_doubling({**sweep, 22400: 0.2200}, 0.05) is None  # -8 %: go on
    assert calib.warmup_by_doubling(sweep, 0.20) == 5600


def test_table8_betas_keep_the_papers_horizons_as_fractions_of_decoupled_finetuning():
    # the paper: D = 40,000; beta 0.99 / 0.999 / 0.9999 = horizons 100 / 1,000 / 10,000 iterations
    proto = dict(calib.PROTOCOL, decoupled_iters=7000, table8_betas=[0.99, 0.999, 0.9999])
    got = calib.table8_betas(proto)
    assert got[0.9999] == pytest.approx(1 - 4 / 7000)
    assert got[0.999] == pytest.approx(1 - 40 / 7000)
    assert got[0.99] == pytest.approx(1 - 400 / 7000)
    assert calib.table8_betas(dict(proto, decoupled_iters=40000))[0.999] == pytest.approx(0.999)


def test_vit_encoder_gets_its_own_file_and_the_resnet_keeps_the_recorded_name(
        monkeypatch, tmp_path, capsys):
    from deft_mmseg.demo import sim2real_pretraining
    made = _fake_pretraining(monkeypatch, tmp_path, steps=3000, held_out_pixel_accuracy=0.61)
    monkeypatch.setattr(calib, 'PRETRAINING', {})  # main() sets it from --encoder / --pretraining
    assert calib.main(['pretrain']) == 0 and calib.main(['pretrain', '--encoder', 'vit']) == 0
    (resnet, settings, recipe), (vit, vit_settings, vit_recipe) = made
    # the fixed protocol's encoder, under the name its recorded runs loaded (an exact quantity)
    assert osp.basename(resnet) == 'tiny_resnet18_real_b15d920fbdfa_8f9fbb345531.pth'
    assert settings == vit_settings == calib.PROTOCOL['settings'] and recipe == {}
    # the ViT: the plan's stopping rule (first multiple of 1,000 steps reaching 0.6, at most 8,000)
    assert vit_recipe == dict(
        kind='vit', steps=None, eval_every=1000, model_file='vfm_vit_tiny_deeplabv3plus_demo.py')
    assert osp.basename(vit).startswith('tiny_vit_real_b15d920fbdfa_')
    resolved = dict(sim2real_pretraining.RECIPE, **vit_recipe)
    assert resolved['target_accuracy'] == 0.6 and resolved['max_steps'] == 8000
    assert sim2real_pretraining.stop_pretraining(1000, 0.59, resolved) is False
    assert sim2real_pretraining.stop_pretraining(2000, 0.60, resolved) is True
    assert sim2real_pretraining.stop_pretraining(8000, 0.30, resolved) is True
    assert '3000 steps' in capsys.readouterr().out


def test_vit_network_loads_its_r_encoder_and_freezes_exactly_the_trunk(monkeypatch, tmp_path):
    import torch

    from deft_mmseg.demo.sim2real_pretraining import PatchClassifier
    monkeypatch.setattr(calib, 'PRETRAINING', dict(calib.VIT_PRETRAINING))
    torch.manual_seed(0)
    encoder = PatchClassifier('vit', model_file=calib.NETWORK_FILES['vit']).encoder_state_dict()
    path = str(tmp_path / 'vit.pth')
    torch.save(dict(state_dict=encoder), path)
    model = calib.build_model(path)
    # the network the ViT gate was measured with (the model file's head before the DeepLabv3+ VFM
    # mend moved it to the last block): the ASPP on level 2, the levels at x4, x2, x1, x0.5
    assert (model.decode_head.in_index, model.backbone.scales) == (2, (4, 2, 1, 0.5))
    state = model.state_dict()
    assert encoder and all(torch.equal(state['backbone.' + k], v) for k, v in encoder.items())
    calib.set_trainable(model, False, True)  # the warm-up: frozen trunk, everything else trains
    frozen = {n for n, p in model.named_parameters() if not p.requires_grad}
    assert frozen == {
        'backbone.' + k
        for k in encoder if k in dict(model.backbone.named_parameters())
    }
    assert any(n.startswith('neck.') for n, p in model.named_parameters() if p.requires_grad)
    assert model.training  # the literal convention: frozen parts stay in train mode
    # the calibration's images (128 x 64), with the neck: a logit per pixel and class
    assert calib.logits_of(model, torch.zeros(2, 3, 64, 128)).shape == (2, 19, 64, 128)
    import numpy as np
    counts = np.zeros(19, dtype=np.int64)
    calib.evaluate(
        model,
        np.zeros((2, 64, 128, 3), np.uint8),
        np.zeros((2, 64, 128), np.uint8),
        predicted=counts)
    assert counts.sum() == 2 * 64 * 128  # every pixel's predicted class, counted once
    # the first protocol's tiny ViT (vfm_vit_tiny_demo.py) has no layer scale: its weights
    # would leave the network's gammas at their init, so they are refused
    other = PatchClassifier('vit').encoder_state_dict()
    torch.save(dict(state_dict=other), path)
    with pytest.raises(CheckpointMismatchError, match='does not fit the tiny ViT.*gamma'):
        calib.build_model(path)


def test_vit_gate_needs_both_source_val_figures_and_no_one_class_row():

    def row(src, classes=(7, 6, 8)):
        return dict(
            source_val_miou=src,
            target_predicted_classes=dict(zip(('day', 'overcast', 'dusk'), classes)))

    ok = {'warmup': row(10, (1, 1, 1)), 'lpft': row(45), 'freeze-encoder': row(40)}
    got = calib.vit_gate(ok)
    assert got['passed'] and got['one_class_rows'] == []  # the warm-up is not a row
    assert got['source_val'] == {'freeze-encoder': 40, 'lpft': 45}
    assert not calib.vit_gate(dict(ok, lpft=row(39.9)))['passed']
    failed = calib.vit_gate(dict(ok, **{'freeze-decoder': row(50, (5, 1, 4))}))
    assert not failed['passed'] and failed['one_class_rows'] == ['freeze-decoder']


def test_adamw_option_spares_the_norm_layers_and_keeps_its_records_and_warmups_apart(monkeypatch):
    import torch
    net = torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 1), torch.nn.BatchNorm2d(4), torch.nn.Linear(4, 4),
        torch.nn.LayerNorm(4))
    net[2].weight.requires_grad_(False)  # frozen parameters stay out of the optimizer
    sgd = calib.build_optimizer(net, 0.04, 5e-4)
    assert isinstance(sgd, torch.optim.SGD) and sgd.defaults['momentum'] == 0.9
    assert sum(len(g['params']) for g in sgd.param_groups) == 7
    warm_sgd = calib.warm_file_of('/x/enc.pth', 100, 1400)
    record = dict(settings_hash='t', optim=calib.OPTIM, data=calib.DATA, head={})
    assert calib._of_this_run(record, 't')  # a record without the key ran SGD
    monkeypatch.setitem(calib.OPTIMIZER, 'type', 'AdamW')
    adamw = calib.build_optimizer(net, 1e-4, 0.05)
    assert isinstance(adamw, torch.optim.AdamW)
    decay, no_decay = adamw.param_groups
    # Conv2d weight + bias, Linear bias decay; BatchNorm's and LayerNorm's weight + bias do not
    assert (len(decay['params']), decay['weight_decay']) == (3, 0.05)
    assert (len(no_decay['params']), no_decay['weight_decay']) == (4, 0.0)
    assert adamw.defaults['betas'] == (0.9, 0.999) and adamw.defaults['eps'] == 1e-8
    assert calib.warm_file_of('/x/enc.pth', 100, 1400) == warm_sgd[:-4] + '_AdamW.pth'
    assert not calib._of_this_run(record, 't')
    assert calib._of_this_run(dict(record, optimizer='AdamW'), 't')
    # the fixed protocol does not depend on the calibration's optimizer option
    assert calib.protocol_hash() == '682f053ff246'
