"""DualPathwaySegmentor and CrossEMAHook: which parameters move, exact EMA arithmetic,
inference combinations (Table 7) and export to a plain EncoderDecoder."""
import pytest
import torch
from mmseg.models import EncoderDecoder

from deft_mmseg.engine.hooks import CrossEMAHook
from deft_helpers import batch, build, changed, same, snapshot, tiny_model_cfg, total_loss


def _step(model, opt, seed=0):
    inputs, samples = batch(seed=seed)
    opt.zero_grad(set_to_none=True)
    losses = model.loss(inputs, samples)
    total_loss(losses).backward()
    return losses


def test_requires_grad_is_fixed_at_construction():
    model = build(tiny_model_cfg())
    for m in model.uc_modules():
        assert all(p.requires_grad for p in m.parameters())
    for m in model.gc_modules():
        assert not any(p.requires_grad for p in m.parameters())
    assert model.in_warmup


def test_warmup_trains_decoder_only_and_keeps_encoder_bit_identical():
    # frozen_module_mode='eval': statistics kept too ('train': test_frozen_module_mode.py)
    model = build(tiny_model_cfg(frozen_module_mode='eval'))
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-3)
    e1, d2 = model.pathway1.backbone, model.pathway2.decode_head
    e1_before, d2_before = snapshot(e1), snapshot(d2)
    gc_before = [snapshot(m) for m in model.gc_modules()]
    for i in range(2):
        losses = _step(model, opt, seed=i)
        assert set(losses) == {'warmup.loss_ce', 'warmup.acc_seg'}
        assert all(p.grad is None for p in e1.parameters())
        assert all(p.grad is not None for p in d2.parameters())
        opt.step()
    assert not e1.training  # frozen encoder: BN statistics are not updated either
    assert same(e1_before, snapshot(e1))  # parameters and BN buffers, bit for bit
    assert len(changed(d2_before, snapshot(d2))) > 10
    assert all(same(b, snapshot(m)) for b, m in zip(gc_before, model.gc_modules()))


def test_decoupled_stage_gradients_and_optimizer_never_touch_gc():
    model = build(tiny_model_cfg())
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-3)
    _step(model, opt)
    opt.step()  # one warm-up step
    model.end_warmup()
    assert not model.in_warmup
    # Alg. 2 lines 6-10: e~2 = e1 and d~1 = d2, parameters and buffers
    for gc, uc in model.cross_pairs():
        assert same(snapshot(gc), snapshot(uc))
    graph_flags = []
    hook = model.pathway2.backbone.register_forward_hook(
        lambda m, i, o: graph_flags.append(any(t.requires_grad for t in o)))
    uc_before = [snapshot(m) for m in model.uc_modules()]
    gc_before = [snapshot(m) for m in model.gc_modules()]
    for i in range(2):
        losses = _step(model, opt, seed=i)
        assert {'f1.loss_ce', 'f2.loss_ce'} <= set(losses)
        for m in model.uc_modules():  # e1 and d2 get gradients
            assert all(p.grad is not None for p in m.parameters())
        for m in model.gc_modules():  # d~1 passes gradients to e1 but holds none; e~2 no graph
            assert all(p.grad is None for p in m.parameters())
        opt.step()
    hook.remove()
    assert graph_flags == [False, False]
    for before, m in zip(uc_before, model.uc_modules()):
        assert changed(before, snapshot(m))
    # momentum and weight decay never reach GC parameters (GC BN statistics follow their own
    # forward passes in the default buffer_update='forward', so compare parameters only)
    for before, m in zip(gc_before, model.gc_modules()):
        for name, p in m.named_parameters():
            assert torch.equal(before[name], p.detach()), name


def test_gradient_reaches_e1_through_gc_decoder():
    model = build(tiny_model_cfg())
    model.end_warmup()
    model.train()
    inputs, samples = batch()
    model.pathway1.decode_head.loss(model.pathway1.extract_feat(inputs), samples,
                                    model.train_cfg)['loss_ce'].backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0
               for p in model.pathway1.backbone.parameters() if p.requires_grad)


@pytest.mark.parametrize('buffer_update', ['forward', 'ema', 'copy'])
def test_cross_ema_update_is_exactly_eq2(buffer_update):
    beta = 0.9
    model = build(tiny_model_cfg())
    model.end_warmup()
    with torch.no_grad():  # make UC and GC differ, buffers included
        for m in model.uc_modules():
            for t in list(m.parameters()) + [b for b in m.buffers() if b.is_floating_point()]:
                t.add_(torch.randn_like(t))
            for b in m.buffers():
                if not b.is_floating_point():
                    b.add_(7)
    hook = CrossEMAHook(beta=beta, buffer_update=buffer_update)
    hook.bind(model)
    pairs = model.cross_pairs()
    gc_before = [snapshot(gc) for gc, _ in pairs]
    uc_now = [snapshot(uc) for _, uc in pairs]
    hook.cross_ema_update()
    n_params = 0
    for (gc, uc), before, u in zip(pairs, gc_before, uc_now):
        after = snapshot(gc)
        params = dict(gc.named_parameters())
        for key in after:
            if key in params:
                n_params += 1
                # bit-exact against the same float32 ops, and Eq. 2 in float64
                assert torch.equal(after[key], before[key].mul(beta).add(u[key], alpha=1 - beta))
                ref = beta * before[key].double() + (1 - beta) * u[key].double()
                assert torch.allclose(after[key].double(), ref, rtol=1e-6, atol=1e-7)
            elif buffer_update == 'forward':
                assert torch.equal(after[key], before[key])
            elif buffer_update == 'copy' or not after[key].is_floating_point():
                assert torch.equal(after[key], u[key])
            else:
                assert torch.equal(after[key], before[key].mul(beta).add(u[key], alpha=1 - beta))
        assert same(u, snapshot(uc))  # the UC side is never modified
    assert n_params == sum(1 for gc, _ in pairs for _ in gc.parameters())
    model.train()
    assert all(m.training == (buffer_update == 'forward') for m in model.gc_modules())


def test_bad_hook_arguments():
    for beta in (0, 1, 1.5, -0.1):
        with pytest.raises(ValueError, match=r'beta must be in \(0, 1\)'):
            CrossEMAHook(beta=beta)
    with pytest.raises(ValueError, match='buffer_update'):
        CrossEMAHook(buffer_update='average')


def _predict_logits(model, inputs, samples):
    model.eval()
    with torch.no_grad():
        return torch.stack([s.seg_logits.data for s in model.predict(inputs, samples)])


@pytest.mark.parametrize('mode', ['whole', 'slide'])
@pytest.mark.parametrize('final_model,enc,dec', [('IV', 'pathway2', 'pathway1'),
                                                 ('I', 'pathway1', 'pathway2'),
                                                 ('II', 'pathway1', 'pathway1'),
                                                 ('III', 'pathway2', 'pathway2')])
def test_inference_uses_the_selected_table7_combination(final_model, enc, dec, mode):
    """mmseg's whole and slide inference run the final model's modules (the segmentor
    delegates extract_feat / encode_decode to them)."""
    test_cfg = dict(mode='whole') if mode == 'whole' else \
        dict(mode='slide', crop_size=(24, 24), stride=(16, 16))
    model = build(tiny_model_cfg(final_model=final_model, test_cfg=test_cfg))
    model.end_warmup()
    with torch.no_grad():  # make all four components distinct
        for p in model.parameters():
            p.add_(0.05 * torch.randn_like(p))
    inputs, samples = batch(n=1)
    logits = _predict_logits(model, inputs, samples)
    plain = build(tiny_model_cfg('EncoderDecoder', test_cfg=test_cfg))
    plain.backbone.load_state_dict(getattr(model, enc).backbone.state_dict())
    plain.decode_head.load_state_dict(getattr(model, dec).decode_head.state_dict())
    assert torch.equal(logits, _predict_logits(plain, inputs, samples))
    exported = build(tiny_model_cfg('EncoderDecoder', test_cfg=test_cfg))
    exported.load_state_dict(model.final_model_state_dict())
    assert torch.equal(logits, _predict_logits(exported, inputs, samples))


def test_warmup_checkpoint_predicts_with_the_warmup_model():
    model = build(tiny_model_cfg())
    inputs, samples = batch(n=1)
    plain = build(tiny_model_cfg('EncoderDecoder'))
    plain.backbone.load_state_dict(model.pathway1.backbone.state_dict())
    plain.decode_head.load_state_dict(model.pathway2.decode_head.state_dict())
    assert model.describe_final_model() == 'd2 o e1'
    assert torch.equal(
        _predict_logits(model, inputs, samples), _predict_logits(plain, inputs, samples))


def test_plain_checkpoint_loads_into_both_pathways():
    plain = build(tiny_model_cfg('EncoderDecoder'))
    model = build(tiny_model_cfg())
    model.end_warmup()
    model.load_state_dict(plain.state_dict())
    assert model.in_warmup
    for p in (model.pathway1, model.pathway2):
        assert same(snapshot(p.backbone), snapshot(plain.backbone))
        assert same(snapshot(p.decode_head), snapshot(plain.decode_head))


def test_bad_model_arguments():
    with pytest.raises(ValueError, match='auxiliary_head'):
        build(tiny_model_cfg(auxiliary_head=dict(type='FCNHead')))
    with pytest.raises(ValueError, match='final_model'):
        build(tiny_model_cfg(final_model='V'))
    with pytest.raises(ValueError, match='final_model'):
        build(tiny_model_cfg(final_model=dict(encoder='ema', decoder='gc')))
    assert isinstance(build(tiny_model_cfg()), EncoderDecoder)
