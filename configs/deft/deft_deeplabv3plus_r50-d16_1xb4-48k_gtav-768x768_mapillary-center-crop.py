# The DeFT paper config with Mapillary scored exactly as RobustNet's create_extra_val_loader does
# (datasets/__init__.py:182-186): image and label resized to height 1536 and centre-cropped to
# 1536x1536 (CenterCropPad, label padding 0 = road for portrait frames), the prediction scored on
# that window at that size. The default config scores the whole frame at the label's resolution;
# a trained checkpoint can be tested with either (docs/deft.md, "DeFT as the paper ran it").
_base_ = ['./deft_deeplabv3plus_r50-d16_1xb4-48k_gtav-768x768.py']
val_dataloader = dict(
    datasets=dict(mapillary=dict(pipeline=_base_.robustnet_mapillary_center_crop_test_pipeline)))
test_dataloader = dict(
    datasets=dict(mapillary=dict(pipeline=_base_.robustnet_mapillary_center_crop_test_pipeline)))
