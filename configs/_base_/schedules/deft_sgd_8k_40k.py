# DeFT schedule (DeFT paper, Sec. 4.1): the two-stage SGD schedule plus the cross EMA (beta 0.9999).
_base_ = ['./two_stage_sgd_8k_40k.py']
custom_hooks = [dict(type='CrossEMAHook', beta=0.9999, buffer_update='forward')]
