# The DeFT paper, Table 8: EMA update ratio beta = 0.999 (default 0.9999).
_base_ = ['../deft_deeplabv3plus_r50-d16_1xb4-48k_gtav-768x768.py']
custom_hooks = [dict(type='CrossEMAHook', beta=0.999, buffer_update='forward')]
