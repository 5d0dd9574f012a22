# Cityscapes -> Foggy Zurich, Foggy Driving, Dark Zurich, Nighttime Driving, ACDC-Rain, ACDC-Snow
# (the FisherTune paper's Table 3, "Cityscapes -> Adverse Weather"), with the pipelines of
# gtav_to_cbm_512.py (crop 512; targets resized to 1024x512, sliding-window inference from the
# model), as for its Table 2 (cityscapes_to_acdc_bdd_512.py). ACDC: the val split of each
# condition (the paper does not say which split; ACDC's test labels are not public).
_base_ = ['./gtav_to_cbm_512.py', './acdc.py', './adverse_weather.py']
_test = dict(pipeline=_base_.test_pipeline)
train_dataloader = dict(
    dataset=dict(_base_.cityscapes_train, _delete_=True, pipeline=_base_.train_pipeline))
val_dataloader = dict(
    datasets=dict(
        _delete_=True,
        foggy_zurich=dict(_base_.foggy_zurich_val, **_test),
        foggy_driving=dict(_base_.foggy_driving_val, **_test),
        dark_zurich=dict(_base_.dark_zurich_val, **_test),
        night_driving=dict(_base_.night_driving_val, **_test),
        acdc_rain=dict(_base_.acdc_val, conditions='rain', **_test),
        acdc_snow=dict(_base_.acdc_val, conditions='snow', **_test)))
# `dataset` holds only the test pipeline, which mmseg's inference API (MMSegInferencer) reads;
# the multi-domain loops test every domain of `datasets`.
test_dataloader = dict(val_dataloader, dataset=dict(pipeline=_base_.test_pipeline))
