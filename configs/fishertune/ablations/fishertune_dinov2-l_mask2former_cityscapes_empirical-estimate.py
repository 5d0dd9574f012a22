# The FisherTune paper Fig. 5, "traditional estimation": DR-FIM from squared per-sample gradients (Eq. 7, 9)
# instead of the variational estimate (Eq. 10-15).
_base_ = ['../fishertune_dinov2-l_mask2former_cityscapes.py']
model = dict(fishertune=dict(estimator=dict(method='empirical')))
