# The FisherTune paper Table 4, "Delta F_theta": selection by the cross-domain Fisher change alone (the domain
# term of Eq. 15), fixed 5 %.
_base_ = ['../fishertune_dinov2-l_mask2former_1xb4-44k_cityscapes-512x512.py']
model = dict(fishertune=dict(score='delta_fisher', delta_min=0.05, delta_max=0.05))
