# The DeFT paper "Baseline" row (Tables 4 and 6, first row): joint finetuning of DeepLabv3+ with an
# ImageNet ResNet-50 on GTAV, with the PSPNet-style auxiliary CE head on stage 3 and without
# colour-jitter / blur augmentation (random scale, crop and flip are kept: training crops need
# them). SGD lr 1e-2, weight decay 5e-4, poly(0.9), 40K iterations, batch 4, crop 768.
# Evaluated on Cityscapes, BDD100K and Mapillary. RobustNet's network (with its `dsn` auxiliary
# head) and protocol, as the DeFT config; mmseg-native choices: the *_mmseg-native.py variant.
_base_ = [
    '../_base_/models/deeplabv3plus_r50-d16_robustnet.py',
    '../_base_/datasets/gtav_to_cbm_768_robustnet.py', '../_base_/default_runtime.py',
    '../_base_/schedules/sgd_poly_40k.py'
]
model = dict(auxiliary_head=dict(_base_.auxiliary_fcn_head, _delete_=True))
train_dataloader = dict(
    dataset=dict(pipeline=[
        p for p in _base_.robustnet_train_pipeline
        if p['type'] not in ('RandomApply', 'RandomGaussianBlur')
    ]))
