# The DeFT paper "Baseline" row with the mmseg-native choices: mmseg's DeepLabv3+ (ResNetV1c,
# output stride 8) with its FCN auxiliary head, mmseg pipelines without PhotoMetricDistortion and
# blur, targets resized to fit 2048x1024. Compare with deeplabv3plus_r50-d16_1xb4-40k_gtav-768x768.py.
_base_ = [
    '../_base_/models/deeplabv3plus_r50-d8.py', '../_base_/datasets/gtav_to_cbm_768.py',
    '../_base_/default_runtime.py', '../_base_/schedules/sgd_poly_40k.py'
]
model = dict(auxiliary_head=dict(_base_.auxiliary_fcn_head, _delete_=True))
train_dataloader = dict(
    dataset=dict(pipeline=[
        p for p in _base_.train_pipeline
        if p['type'] not in ('PhotoMetricDistortion', 'RandomGaussianBlur')
    ]))
