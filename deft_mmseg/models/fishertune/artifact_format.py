"""The sensitivity file's format: what :class:`~.estimator.DRFIMEstimator` returns and
``deft_mmseg.engine.fishertune_artifact`` writes to / reads from the work dir.

An artifact is a dict of tensors and plain values (it loads with ``weights_only=True``)::

    format     ARTIFACT_FORMAT
    version    ARTIFACT_VERSION
    meta       method ('variational' | 'empirical'), kind ('precision' | 'fisher'), gamma, tau,
               domain_weight (Eq. 7), iters, perturb_at, noise_std, the candidate layout of the
               model (backbone, shapes, rows), and for 'variational' average, curvature
    source     {parameter name: float32 tensor of its shape}: Lambda_x (precision) or F_x
    perturbed  the same for the perturbed batches x' (Eq. 6)
    halves     (optional) index {name: flat indices}, source / perturbed: the two half-run
               estimates on that subsample (:func:`~.artifact_scores.artifact_stability`)
"""

ARTIFACT_FORMAT = 'deft_mmseg.fishertune_sensitivity'
ARTIFACT_VERSION = 1
#: file names in the work dir
ARTIFACT_FILE = 'fishertune_sensitivity.pth'
SUMMARY_FILE = 'fishertune_sensitivity_summary.json'
