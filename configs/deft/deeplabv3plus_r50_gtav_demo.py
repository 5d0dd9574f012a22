# DeFT on the embedded demo data from a random encoder (the earlier `make demo`; `make demo` now
# runs benchmarks/mini_dg.py from a pretrained tiny encoder, docs/benchmarks.md): the recipe of
# deeplabv3plus_r50_gtav.py with a tiny ResNet-18 (1/4 width, random init: no weights can be
# downloaded here), 300 warm-up + 1500 decoupled iterations (about 2 minutes on 2 CPU cores), and
# beta = 0.99: with 1500 decoupled steps, beta = 0.9999 would leave the GC modules at their
# initialization (EMA horizon 1 / (1 - beta) = 10K steps).
_base_ = [
    '../_base_/models/deeplabv3plus_tiny_demo.py', '../_base_/datasets/demo.py',
    '../_base_/default_runtime_demo.py', '../_base_/schedules/deft_sgd_8k_40k.py'
]
model = dict(type='DualPathwaySegmentor', final_model='IV')
train_cfg = dict(warmup_iters=300, decoupled_iters=1500, val_interval=600)
custom_hooks = [dict(type='CrossEMAHook', beta=0.99, buffer_update='forward')]
default_hooks = dict(logger=dict(interval=100), checkpoint=dict(interval=600))
