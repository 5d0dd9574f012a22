# The FisherTune paper Table 4, "DRF": DR-FIM selection at a fixed 5 % of the VFM's parameters.
_base_ = ['../fishertune_dinov2-l_mask2former_1xb4-44k_cityscapes-512x512.py']
model = dict(fishertune=dict(delta_min=0.05, delta_max=0.05))
