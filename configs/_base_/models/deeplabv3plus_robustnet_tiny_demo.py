# A tiny DeepLabv3+ of RobustNet's layout (torchvision-style ResNet-18 with a 7x7 stem at 1/4
# width, output stride 16, DeepLabV3PlusHead): the network --demo and the full-size path tests put
# in place of deeplabv3plus_r50-d16_robustnet.py.
_base_ = ['./seg_data_preprocessor.py']
norm_cfg = dict(type='BN', requires_grad=True)
data_preprocessor = dict(_base_.data_preprocessor, size=(64, 64))
model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='ResNet',
        depth=18,
        stem_channels=16,
        base_channels=16,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        strides=(1, 2, 2, 1),
        dilations=(1, 1, 1, 2),
        norm_cfg=norm_cfg,
        norm_eval=False,
        style='pytorch',
        contract_dilation=False),
    decode_head=dict(
        type='DeepLabV3PlusHead',
        in_channels=[16, 128],
        in_index=[0, 3],
        channels=16,
        dilations=(2, 4, 6),
        c1_channels=8,
        dropout_ratio=0,
        num_classes=19,
        norm_cfg=norm_cfg,
        align_corners=True,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0, avg_non_ignore=True)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
