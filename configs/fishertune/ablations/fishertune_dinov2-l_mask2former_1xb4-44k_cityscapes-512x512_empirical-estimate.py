# The FisherTune paper Fig. 5, "traditional estimation": DR-FIM from squared per-sample gradients (Eq. 7, 9)
# instead of the variational estimate (Eq. 10-15).
_base_ = ['../fishertune_dinov2-l_mask2former_1xb4-44k_cityscapes-512x512.py']
model = dict(fishertune=dict(estimator=dict(method='empirical')))
