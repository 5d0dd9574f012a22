# DeepLabv3+ / ResNet-50 as in the codebase of the DeFT paper's baselines (shachoi/RobustNet
# network/deepv3.py DeepR50V3PlusD, variant 'D16'; scripts/train_r50os16_gtav_base.sh):
# - encoder: torchvision-layout ResNet-50 (single 7x7 stem conv, stride on the 3x3 conv) with
#   torchvision's ImageNet weights (RobustNet network/Resnet.py resnet50 loads model_zoo
#   'resnet50'), output stride 16: layer4 dilated by 2, its first stride removed;
# - decoder: DeepLabV3PlusHead (plain convolutions, ASPP 256 channels with dilations 6/12/18 and
#   image pooling, 48-channel low-level branch from layer1, two 3x3 convs), no dropout,
#   bilinear upsampling with align_corners=True; no auxiliary head (DeFT paper, Sec. 4.1).
# mmseg's ResNetV1c / DepthwiseSeparableASPPHead at output stride 8 stays in
# deeplabv3plus_r50-d8.py (the *_mmseg-native configs); docs/deft.md compares the two.
_base_ = ['./seg_data_preprocessor.py']
norm_cfg = dict(type='SyncBN', requires_grad=True)
data_preprocessor = dict(_base_.data_preprocessor, size=(768, 768))
model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='ResNet',
        depth=50,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        strides=(1, 2, 2, 1),
        dilations=(1, 1, 1, 2),
        norm_cfg=norm_cfg,
        norm_eval=False,
        style='pytorch',
        contract_dilation=False,
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
    decode_head=dict(
        type='DeepLabV3PlusHead',
        in_channels=[256, 2048],
        in_index=[0, 3],
        channels=256,
        dilations=(6, 12, 18),
        c1_channels=48,
        dropout_ratio=0,
        num_classes=19,
        norm_cfg=norm_cfg,
        align_corners=True,
        # torch's CrossEntropyLoss(reduction='mean', ignore_index=255): the mean over labelled
        # pixels (RobustNet loss.py get_loss), not mmseg's default mean over all pixels
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0, avg_non_ignore=True)),
    auxiliary_head=None,
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
# RobustNet's auxiliary head `dsn` (PSPNet-style, on layer3: 3x3 conv to 512, BN, ReLU,
# Dropout2d 0.1, 1x1 conv; train.py: total = main + 0.4 * aux) for the baselines that keep it, as
# mmseg's FCNHead (its 3x3 conv has no bias, RobustNet's has one; mmseg upsamples the logits to the
# label, RobustNet downsamples the label to the logits).
auxiliary_fcn_head = dict(
    type='FCNHead',
    in_channels=1024,
    in_index=2,
    channels=512,
    num_convs=1,
    concat_input=False,
    dropout_ratio=0.1,
    num_classes=19,
    norm_cfg=norm_cfg,
    align_corners=True,
    loss_decode=dict(
        type='CrossEntropyLoss', use_sigmoid=False, loss_weight=0.4, avg_non_ignore=True))
