# The DeFT paper, Table 8: EMA update ratio beta = 0.999 (default 0.9999).
_base_ = ['../deeplabv3plus_r50_gtav.py']
custom_hooks = [dict(type='CrossEMAHook', beta=0.999, buffer_update='forward')]
