# AdaptFormer on DINOv2-L + Mask2Former, GTAV -> C/B/M, with FP (Table 5 "AdaptFormer", DINOv2+FP: 63.7).
# FisherTune paper Table 5: the same run with feature perturbation (FP) during training.
_base_ = [
    '../../baselines/vfm/adaptformer_dinov2-l_mask2former_1xb4-40k_gtav-512x512.py',
    '../../_base_/models/feature_perturbation.py'
]
model = dict(backbone=dict(feature_perturbation={{_base_.feature_perturbation}}))
