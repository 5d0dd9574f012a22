# GTAV -> Cityscapes, BDD100K, Mapillary as the Rein release runs it (its configs/_base_/datasets/
# dg_gta_512x512.py with the train pipeline of rein_dinov2_mask2former_512x512_bs1x4.py); the
# protocol of the Rein and FisherTune rows (docs/evaluation.md, "Protocols"):
# - source: every GTAV image (24,966; no split.mat split), the crop-512 pipeline of
#   gtav_to_cbm_512.py;
# - Cityscapes val resized to fit 1024x512; BDD100K val at 1280x720 (its own size);
# - Mapillary val: the half-resolution copy (tools/dataset_converters/mapillary.py --scale 0.5),
#   resized to fit 1024x512; metrics at the copy's label resolution.
_base_ = ['./gtav_to_cbm_512.py']
bdd100k_test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(1280, 720), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='CheckImageLabelPair'),  # label map fits its image (deft_mmseg)
    dict(type='PackSegInputs'),
]
train_dataloader = dict(dataset=dict(ann_file=''))  # GTAVDataset without a list: all images
val_dataloader = dict(
    datasets=dict(
        bdd100k=dict(pipeline=bdd100k_test_pipeline),
        mapillary=dict(
            data_prefix=dict(
                img_path='validation/images_half', seg_map_path='validation/labels_cs19_half'))))
# `dataset` holds only the test pipeline, which mmseg's inference API (MMSegInferencer) reads;
# the multi-domain loops test every domain of `datasets`.
test_dataloader = dict(val_dataloader, dataset=dict(pipeline=_base_.test_pipeline))
