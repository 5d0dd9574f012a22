# The DeFT paper, Table 3, "Joint Finetuning + Distance Regularization" (46.06 / 40.80 / 47.93):
# L = CE + alpha * sum_l ||W_l - W_l^(0)|| (Eq. 3) over encoder and decoder, anchored after the
# warm-up. The paper does not give alpha; 1e-3 is our default (docs/baselines.md).
_base_ = ['./lpft_deeplabv3plus_r50-d16_1xb4-48k_gtav-768x768.py']
model = dict(distance_reg=dict(type='ParamDistanceRegularizer', alpha=1e-3))
