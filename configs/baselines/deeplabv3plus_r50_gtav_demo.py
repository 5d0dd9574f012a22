# The Baseline recipe of deeplabv3plus_r50_gtav.py on the embedded demo data (tools/
# make_demo_data.py): same method (joint finetuning, auxiliary head, no colour jitter/blur), with a
# tiny ResNet-18 (1/4 width, random init: no weights can be downloaded) and a 300-iteration
# schedule so it runs on 2 CPU cores in a few minutes.
_base_ = [
    '../_base_/models/deeplabv3plus_tiny_demo.py', '../_base_/datasets/demo.py',
    '../_base_/default_runtime_demo.py', '../_base_/schedules/sgd_poly_40k.py'
]
model = dict(
    auxiliary_head=dict(
        type='FCNHead', in_channels=64, in_index=2, channels=16, num_convs=1,
        concat_input=False, dropout_ratio=0.1, num_classes=19, norm_cfg=_base_.norm_cfg,
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=0.4)))
train_dataloader = dict(dataset=dict(pipeline=[
    p for p in _base_.train_pipeline if p['type'] not in ('PhotoMetricDistortion',
                                                          'RandomGaussianBlur')]))
param_scheduler = [dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, end=300, by_epoch=False)]
train_cfg = dict(max_iters=300, val_interval=150)
