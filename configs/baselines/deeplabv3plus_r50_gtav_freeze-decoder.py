# The DeFT paper, Table 1, "Freezing Decoder": after the 8K warm-up the decoder stays frozen
# (bit-identical) while the other module keeps training for 40K iterations.
_base_ = ['./deeplabv3plus_r50_gtav_lpft.py']
model = dict(after_warmup='freeze_decoder')
