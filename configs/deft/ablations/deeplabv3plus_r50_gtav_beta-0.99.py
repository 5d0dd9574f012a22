# The DeFT paper, Table 8: EMA update ratio beta = 0.99 (default 0.9999).
_base_ = ['../deeplabv3plus_r50_gtav.py']
custom_hooks = [dict(type='CrossEMAHook', beta=0.99, buffer_update='forward')]
