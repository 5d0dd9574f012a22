# The FisherTune paper Table 4, "Random V": 5 % of the VFM's parameters drawn uniformly from the V projections.
_base_ = ['../fishertune_dinov2-l_mask2former_1xb4-44k_cityscapes-512x512.py']
model = dict(fishertune=dict(score='random', groups=('v', ), delta_min=0.05, delta_max=0.05))
