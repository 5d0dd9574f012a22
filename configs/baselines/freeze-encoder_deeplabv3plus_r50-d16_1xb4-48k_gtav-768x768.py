# The DeFT paper, Table 1, "Freezing Encoder": after the 8K warm-up the encoder stays frozen
# (weights bit-identical; frozen_module_mode='train': its BN statistics follow the batches, as
# RobustNet's freeze_weights) while the other module keeps training for 40K iterations.
_base_ = ['./lpft_deeplabv3plus_r50-d16_1xb4-48k_gtav-768x768.py']
model = dict(after_warmup='freeze_encoder')
