"""FisherTune (FisherTune paper): DR-FIM estimation, selection schedule and masked updates."""
from .artifact_format import ARTIFACT_FILE, SUMMARY_FILE
from .artifact_scores import artifact_scores, artifact_stability
from .candidates import DEFAULT_GROUPS, GROUPS, CandidateRows, candidate_rows
from .estimator import DRFIMEstimator
from .feature_perturbation import FeatureStatsPerturbation
from .fisher import (EPS, DiagonalFisher, delta_fisher, drf_from_fisher, drf_from_precisions,
                     fisher_from_precision)
from .schedule import SCHEDULES, selected_fraction
from .sensitivity_summary import block_group_summary
from .sparse_mask import SparseParameterMask
from .stability import rank_agreement, spearman, top_overlap
from .variational import IterateAverage, VariationalPrecision

__all__ = [
    'DEFAULT_GROUPS', 'GROUPS', 'CandidateRows', 'candidate_rows', 'ARTIFACT_FILE', 'SUMMARY_FILE',
    'DRFIMEstimator', 'artifact_scores', 'artifact_stability', 'block_group_summary',
    'rank_agreement', 'spearman', 'top_overlap', 'IterateAverage', 'FeatureStatsPerturbation',
    'EPS', 'DiagonalFisher', 'delta_fisher', 'drf_from_fisher', 'drf_from_precisions',
    'fisher_from_precision', 'SCHEDULES', 'selected_fraction', 'SparseParameterMask',
    'VariationalPrecision'
]
