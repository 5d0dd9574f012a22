# The DeFT paper, Table 6 row 2: the Baseline without the auxiliary CE head (still no colour jitter /
# blur, no warm-up): 36.58 / 34.49 / 39.08.
_base_ = ['./deeplabv3plus_r50-d16_1xb4-40k_gtav-768x768.py']
model = dict(auxiliary_head=None)
