# Cityscapes -> ACDC (val, all conditions and each one) and BDD100K with the Rein release's
# pipelines of gtav_to_cbm_512.py (crop 512; targets resized to 1024x512, sliding-window inference
# from the model).
_base_ = ['./gtav_to_cbm_512.py', './acdc.py']
_acdc = dict(_base_.acdc_val, pipeline=_base_.test_pipeline)
train_dataloader = dict(
    dataset=dict(_base_.cityscapes_train, _delete_=True, pipeline=_base_.train_pipeline))
val_dataloader = dict(
    datasets=dict(
        _delete_=True,
        acdc=_acdc,
        acdc_fog=dict(_acdc, conditions='fog'),
        acdc_night=dict(_acdc, conditions='night'),
        acdc_rain=dict(_acdc, conditions='rain'),
        acdc_snow=dict(_acdc, conditions='snow'),
        bdd100k=dict(_base_.bdd100k_val, pipeline=_base_.test_pipeline)))
# `dataset` holds only the test pipeline, which mmseg's inference API (MMSegInferencer) reads;
# the multi-domain loops test every domain of `datasets`.
test_dataloader = dict(val_dataloader, dataset=dict(pipeline=_base_.test_pipeline))
