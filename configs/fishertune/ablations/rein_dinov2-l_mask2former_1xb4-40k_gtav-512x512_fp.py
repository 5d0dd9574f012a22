# Rein on DINOv2-L + Mask2Former, GTAV -> C/B/M, with FP (Table 5 "Rein", DINOv2+FP: 65.0).
# FisherTune paper Table 5: the same run with feature perturbation (FP) during training.
_base_ = [
    '../../rein/rein_dinov2-l_mask2former_1xb4-40k_gtav-512x512.py',
    '../../_base_/models/feature_perturbation.py'
]
model = dict(backbone=dict(feature_perturbation={{_base_.feature_perturbation}}))
