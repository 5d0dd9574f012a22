# The DeFT paper, Table 7, row II: the same DeFT training, inference with a different encoder/decoder
# combination (I: e1+d2, II: e1+d~1, III: e~2+d2, IV: e~2+d~1 = the default). The final model is
# only chosen at inference, so an existing DeFT checkpoint can be tested with this config, or with
# --cfg-options model.final_model=II.
_base_ = ['../deft_deeplabv3plus_r50-d16_1xb4-48k_gtav-768x768.py']
model = dict(final_model='II')
