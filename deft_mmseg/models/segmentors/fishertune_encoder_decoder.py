"""FisherTune (FisherTune paper): sparse finetuning of a VFM guided by its DR-FIM."""
from contextlib import contextmanager

import torch
from mmengine.logging import print_log
from mmseg.registry import MODELS

from ...utils.errors import SensitivityConfigError
from ..backbones.vfm_vit import VFMVisionTransformer
from ..fishertune.artifact_check import check_artifact_matches
from ..fishertune.artifact_scores import artifact_scores, artifact_stability
from ..fishertune.candidates import DEFAULT_GROUPS, candidate_rows
from ..fishertune.estimator import DRFIMEstimator
from ..fishertune.fisher import BALANCES, DRF_FORMULAS, SCORES
from ..fishertune.schedule import SCHEDULES, selected_fraction
from ..fishertune.sparse_mask import SparseParameterMask
from ..fishertune.stability import UNSTABLE_OVERLAP, sample_indices
from .staged_encoder_decoder import StagedEncoderDecoder

FRACTION_OF = ('backbone', 'candidates')


@MODELS.register_module()
class FisherTuneEncoderDecoder(StagedEncoderDecoder):
    """An mmseg ``EncoderDecoder`` on a ``VFMVisionTransformer`` trained by FisherTune (Alg. 1).

    Driven by ``FisherTuneTrainLoop``: (1) warm-up: the decoder trains on the frozen VFM (as
    ``StagedEncoderDecoder``); (2) estimation: :meth:`estimate_sensitivity` computes DR-FIM for
    the candidate VFM weights (the Q/K/V/FFN rows of every block, Eq. 3); (3) tuning: the decoder
    and, of the VFM, only the top ``delta(t)`` fraction of elements by score are trained
    (:meth:`start_tuning`, :meth:`set_tune_step`), ``delta(t)`` growing from ``delta_min`` to
    ``delta_max`` (Eq. 16, see :func:`selected_fraction`). Unselected elements stay
    bit-identical (:class:`SparseParameterMask`).

    ``requires_grad`` is fixed at construction (DDP needs it final): the candidate weights and the
    decoder require grad; every other VFM parameter (norms, layer scales, patch / position
    embeddings, attention output projections unless ``'proj'`` is a group) is frozen.

    Args:
        fishertune (dict): FisherTune settings:

            - ``groups`` (tuple): candidate groups, subset of ``('q', 'k', 'v', 'ffn', 'proj')``;
              default Eq. 3's ``('q', 'k', 'v', 'ffn')``.
            - ``score`` (str): ``'drf'`` (DR-FIM), ``'fisher'``, ``'delta_fisher'`` or
              ``'random'`` (Table 4 rows).
            - ``delta_min``, ``delta_max`` (float): selected fraction at the start and end of
              tuning (default 0.01 and 0.05).
            - ``fraction_of`` (str): ``'backbone'`` (default: fractions of all VFM parameters, so
              5 % of ViT-L is 15.21M as 003 Table 1) or ``'candidates'``.
            - ``schedule`` (str): ``'text'`` (default) or ``'eq16'``, see
              :func:`selected_fraction`.
            - ``drf_formula`` (str): ``'printed'`` (default) or ``'substituted'`` Eq. 15.
            - ``balance`` (str): ``'mean'`` (default) rescales DR-FIM's task and domain terms to
              mean magnitude 1 before adding them; ``'none'`` adds them as printed.
            - ``domain_weight`` (float, optional): override Eq. 7's weight.
            - ``estimator`` (dict): :class:`DRFIMEstimator` arguments.
            - ``seed`` (int): seed of ``score='random'``.
        Others: as ``EncoderDecoder``.
    """

    def __init__(self, *args, fishertune=None, **kwargs):
        if kwargs.pop('after_warmup', 'joint') != 'joint':
            raise SensitivityConfigError('FisherTuneEncoderDecoder tunes encoder and decoder after '
                                         "the warm-up; after_warmup must stay 'joint'.")
        # the frozen VFM of FisherTune's warm-up runs in eval mode (this class's behaviour before
        # frozen_module_mode existed; DeFT's RobustNet-style 'train' default is not FisherTune's)
        kwargs.setdefault('frozen_module_mode', 'eval')
        super().__init__(*args, after_warmup='joint', **kwargs)
        cfg = dict(fishertune or {})
        known = ('groups', 'score', 'delta_min', 'delta_max', 'fraction_of', 'schedule',
                 'drf_formula', 'balance', 'domain_weight', 'estimator', 'seed')
        unknown = sorted(set(cfg) - set(known))
        if unknown:
            raise SensitivityConfigError(f'FisherTuneEncoderDecoder: unknown fishertune option(s) '
                                         f'{unknown}; known: {list(known)}.')
        self.groups = tuple(cfg.get('groups', DEFAULT_GROUPS))
        self.score = cfg.get('score', 'drf')
        self.delta_min = float(cfg.get('delta_min', 0.01))
        self.delta_max = float(cfg.get('delta_max', 0.05))
        self.fraction_of = cfg.get('fraction_of', 'backbone')
        self.schedule = cfg.get('schedule', 'text')
        self.drf_formula = cfg.get('drf_formula', 'printed')
        self.balance = cfg.get('balance', 'mean')
        self.domain_weight = cfg.get('domain_weight')
        self.seed = int(cfg.get('seed', 0))
        for value, allowed, what in ((self.score, SCORES, 'score'), (self.fraction_of, FRACTION_OF,
                                                                     'fraction_of'),
                                     (self.schedule, SCHEDULES,
                                      'schedule'), (self.drf_formula, DRF_FORMULAS, 'drf_formula'),
                                     (self.balance, BALANCES, 'balance')):
            if value not in allowed:
                raise SensitivityConfigError(f'FisherTune {what}={value!r}: use one of '
                                             f'{allowed}.')
        if not 0 <= self.delta_min <= self.delta_max <= 1:
            raise SensitivityConfigError(
                f'FisherTune needs 0 <= delta_min <= delta_max <= 1 (fractions, 0.05 = 5 %), got '
                f'delta_min={self.delta_min}, delta_max={self.delta_max}.')
        try:
            self.estimator = DRFIMEstimator(**cfg.get('estimator', {}))
        except TypeError as exc:  # an unknown keyword
            raise SensitivityConfigError(f'FisherTune estimator: {exc}; see DRFIMEstimator for '
                                         f'its options.') from exc
        self._check_backbone()
        self.rows = candidate_rows(self.backbone.vit, self.groups, prefix='backbone.vit.')
        names = {r.name for r in self.rows}
        for name, param in self.backbone.named_parameters(prefix='backbone'):
            param.requires_grad_(name in names)
        self.num_backbone_params = sum(p.numel() for p in self.backbone.parameters())
        params = dict(self.named_parameters())
        self.num_candidates = sum((r.end - r.start) * params[r.name][0].numel() for r in self.rows)
        most = int(round(self.delta_max * self.fraction_denominator))
        if most > self.num_candidates:
            raise SensitivityConfigError(
                f'FisherTune: delta_max={self.delta_max} of {self.fraction_denominator:,} '
                f'{self.fraction_of} parameters is {most:,} elements, but groups {self.groups} '
                f'hold only {self.num_candidates:,}.')
        self.sparse_mask = None
        self._full_loss = False

    def _check_backbone(self):
        backbone = self.backbone
        if not isinstance(backbone, VFMVisionTransformer):
            raise SensitivityConfigError(
                f'FisherTune tunes the weights of a ViT VFM: backbone must be '
                f'VFMVisionTransformer, got {type(backbone).__name__}.')
        if backbone.freeze_vit:
            raise SensitivityConfigError(
                'FisherTune selects which VFM weights train: set model.backbone.freeze_vit=False '
                '(the warm-up still runs on the frozen VFM).')
        if backbone.reins is not None or backbone.peft is not None:
            raise SensitivityConfigError(
                'FisherTune adds no adapters to the VFM (FisherTune paper, Sec. '
                '3.3.3): remove backbone.reins / backbone.peft.')

    def candidate_parameters(self):
        """dict name -> Parameter of the parameters holding candidate rows (model-relative
        names, e.g. ``backbone.vit.layers.0.attn.qkv.weight``)."""
        params = dict(self.named_parameters())
        return {n: params[n] for n in dict.fromkeys(r.name for r in self.rows)}

    def candidate_meta(self):
        """What a sensitivity file must match: backbone class, parameter shapes, row layout."""
        return dict(
            backbone=type(self.backbone.vit).__name__,
            num_backbone_params=int(self.num_backbone_params),
            shapes={
                n: list(p.shape)
                for n, p in self.candidate_parameters().items()
            },
            rows=[r.as_dict() for r in self.rows])

    @contextmanager
    def full_loss_mode(self):
        """``loss()`` runs encoder and decoder with gradients, whatever the stage (estimation)."""
        self._full_loss = True
        try:
            yield
        finally:
            self._full_loss = False

    def loss_mode(self):
        return 'plain' if self._full_loss else super().loss_mode()

    # ---- estimation and selection -------------------------------------------------------------
    @property
    def needs_estimate(self):
        return self.score != 'random'

    def estimate_sensitivity(self, next_batch, num_iters, log=print):
        """Alg. 1 step 2: returns the sensitivity artifact (see ``DRFIMEstimator``), with the
        stability of its ranking in ``meta['stability']`` (logged, see :meth:`stability`)."""
        params = self.candidate_parameters()
        eligible = {n: torch.zeros(p.shape, dtype=torch.bool) for n, p in params.items()}
        for r in self.rows:
            eligible[r.name][r.start:r.end] = True
        sample = sample_indices({
            n: p.numel()
            for n, p in params.items()
        },
                                seed=self.estimator.seed,
                                eligible=eligible)
        artifact = self.estimator.estimate(self, next_batch, num_iters, log, sample=sample)
        artifact['meta']['stability'] = self.stability(artifact, log)
        return artifact

    @property
    def top_fraction(self):
        """The share of the candidate elements selected at the end of tuning."""
        return max(self.delta_min, self.delta_max) * self.fraction_denominator / \
            max(1, self.num_candidates)

    def stability(self, artifact, log=print):
        """Rank agreement of this model's score between the two halves of the estimation run
        (Spearman and overlap of the top ``top_fraction`` sets); logged with a warning when the
        overlap is below ``UNSTABLE_OVERLAP``. ``None`` when the artifact has no halves."""
        figure = artifact_stability(artifact, self.score, self.drf_formula, self.domain_weight,
                                    self.balance, self.top_fraction)
        if figure is None:
            if self.score != 'random':
                log('FisherTune: no stability figure (it compares the two halves of the '
                    'estimation run: estimate on at least 2 batches).')
            return None
        log(f"FisherTune estimate stability ({self.score} ranking, first vs second half of the "
            f"estimation, {figure['elements']:,} sampled elements): Spearman "
            f"{figure['spearman']:.3f}, top-{figure['fraction']:.1%} overlap "
            f"{figure['top_overlap']:.3f} (chance {figure['fraction']:.3f})")
        if figure['top_overlap'] < UNSTABLE_OVERLAP:
            log(f"FisherTune WARNING: the two halves of the estimate agree on only "
                f"{figure['top_overlap']:.0%} of the elements to tune (< {UNSTABLE_OVERLAP:.0%}): "
                f'the selection is close to random. Estimate on more batches '
                f'(train_cfg.estimate_iters; docs/fishertune.md, "Estimator quality").')
        return figure

    def selection_scores(self, artifact=None):
        """Score per candidate element (dict name -> tensor), ``-inf`` outside the groups."""
        params = self.candidate_parameters()
        if self.score == 'random':
            generator = torch.Generator().manual_seed(self.seed)
            values = {n: torch.rand(p.shape, generator=generator) for n, p in params.items()}
        else:
            if artifact is None:
                raise SensitivityConfigError(f"FisherTune score '{self.score}' needs an estimate.")
            check_artifact_matches(artifact, self.candidate_meta(), 'the sensitivity file')
            values = artifact_scores(artifact, self.score, self.drf_formula, self.domain_weight,
                                     self.balance)
        scores = {n: torch.full(p.shape, float('-inf')) for n, p in params.items()}
        for r in self.rows:
            scores[r.name][r.start:r.end] = values[r.name][r.start:r.end].float()
        return scores

    @property
    def fraction_denominator(self):
        return self.num_backbone_params if self.fraction_of == 'backbone' else self.num_candidates

    def num_selected_at(self, t, total):
        """Number of VFM elements tuned at tuning step ``t`` (1-based) of ``total``."""
        fraction = selected_fraction(t, total, self.delta_min, self.delta_max, self.schedule)
        return int(round(fraction * self.fraction_denominator))

    def start_tuning(self, artifact, optimizers):
        """Build the mask from the scores; unselected elements are restored after each step of
        ``optimizers`` (torch optimizers)."""
        if self.sparse_mask is not None:
            self.sparse_mask.remove()
        most = int(round(max(self.delta_min, self.delta_max) * self.fraction_denominator))
        self.sparse_mask = SparseParameterMask(
            self.candidate_parameters(), self.selection_scores(artifact), max_k=most)
        self.sparse_mask.attach_optimizers(optimizers)
        print_log(self.tuning_summary(), logger='current')

    def tuning_summary(self):
        """One line: how many VFM elements are tuned (``delta_min`` -> ``delta_max``) and how many
        decoder parameters train with them."""
        decoder = sum(p.numel() for n, p in self.named_parameters()
                      if p.requires_grad and not n.startswith('backbone.'))
        low, high = (
            int(round(d * self.fraction_denominator)) for d in (self.delta_min, self.delta_max))
        return (f'FisherTune: tuning {low:,} -> {high:,} of {self.num_backbone_params:,} VFM '
                f'parameters (delta {self.delta_min:.2%} -> {self.delta_max:.2%} of the '
                f"{self.fraction_of}, schedule '{self.schedule}', score '{self.score}') plus "
                f'{decoder:,} decoder parameters; trainable at delta_max: {high:,} '
                f'({high / 1e6:.2f}M) VFM parameters.')

    def set_tune_step(self, t, total):
        """Select the top elements for tuning step ``t`` (1-based) of ``total``."""
        k = self.num_selected_at(t, total)
        if k != self.sparse_mask.k:
            self.sparse_mask.select(k)
        return k

    @property
    def second_stage_description(self):
        return f"FisherTune tuning starts (score '{self.score}', groups {self.groups})."
