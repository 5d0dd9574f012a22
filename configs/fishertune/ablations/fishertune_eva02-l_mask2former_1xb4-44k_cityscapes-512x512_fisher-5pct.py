# The FisherTune paper Table 4, "F_theta": selection by the Fisher information of the source domain alone
# (Eq. 14 from the variational estimate), fixed 5 %.
_base_ = ['../fishertune_eva02-l_mask2former_1xb4-44k_cityscapes-512x512.py']
model = dict(fishertune=dict(score='fisher', delta_min=0.05, delta_max=0.05))
