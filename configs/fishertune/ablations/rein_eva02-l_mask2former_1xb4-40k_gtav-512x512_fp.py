# Rein on EVA02-L + Mask2Former, GTAV -> C/B/M, with FP (Table 5 "Rein", EVA02+FP: 63.9).
# FisherTune paper Table 5: the same run with feature perturbation (FP) during training.
_base_ = [
    '../../rein/rein_eva02-l_mask2former_1xb4-40k_gtav-512x512.py',
    '../../_base_/models/feature_perturbation.py'
]
model = dict(backbone=dict(feature_perturbation={{_base_.feature_perturbation}}))
