# Feature perturbation during training (FP; FisherTune paper Table 5, after its ref. [33], DSU):
# with probability 0.5 per forward, the patch-embedding output of the VFM gets resampled
# per-instance channel statistics (VFMVisionTransformer feature_perturbation). Merge into a VFM
# model with `model = dict(backbone=dict(feature_perturbation={{_base_.feature_perturbation}}))`.
feature_perturbation = dict(prob=0.5, at='patch_embed', noise_std=1.0)
