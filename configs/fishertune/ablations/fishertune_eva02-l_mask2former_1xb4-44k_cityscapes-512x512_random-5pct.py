# The FisherTune paper Table 4, "Random": 5 % of the VFM's parameters drawn uniformly from the Q/K/V/FFN
# weights (no estimation stage).
_base_ = ['../fishertune_eva02-l_mask2former_1xb4-44k_cityscapes-512x512.py']
model = dict(fishertune=dict(score='random', delta_min=0.05, delta_max=0.05))
