"""Distance of the inference model from its initialization (DeFT paper, Fig. 3)."""
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn as nn
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.runner import Runner
from mmseg.registry import HOOKS
from torch import Tensor

from ...models.segmentors.dual_pathway import DualPathwaySegmentor
from ...models.segmentors.two_stage import TwoStageSegmentor
from ...utils.model_wrappers import unwrap_model

CKPT_KEY = 'param_distance_anchor'


def _as_matrix(delta: Tensor) -> Tensor:
    """A layer's weight change as a matrix: (out, in*k*k) for kernels, (n, 1) for vectors."""
    return delta.reshape(delta.shape[0], -1) if delta.dim() > 1 else delta.reshape(-1, 1)


def distance_norms(current: Sequence[Tensor], anchor: Sequence[Tensor]) -> Dict[str, float]:
    """The three distances of Fig. 3 between two lists of tensors (one per layer).

    - ``l2``: ||theta - theta0||_2 over all entries (Nagarajan & Kolter, 2019);
    - ``mars``: sum over layers of the maximum absolute row sum of the change,
      max_i sum_j |dW_ij| (Gouk et al., 2021);
    - ``operator``: sum over layers of the largest singular value of the change (Long & Sedghi,
      2020; kernels flattened to (out, in*k*k) instead of the convolution operator).
    """
    sq = torch.zeros((), dtype=torch.float64)
    mars = torch.zeros((), dtype=torch.float64)
    op = torch.zeros((), dtype=torch.float64)
    for w, w0 in zip(current, anchor):
        delta = (w.detach() - w0).double()
        sq += delta.pow(2).sum()
        m = _as_matrix(delta)
        mars += m.abs().sum(dim=1).max()
        op += torch.linalg.matrix_norm(m, ord=2)
    return dict(l2=float(sq.sqrt()), mars=float(mars), operator=float(op))


def inference_parts(model: nn.Module) -> Dict[str, List[nn.Module]]:
    """``{'encoder': [modules], 'decoder': [modules]}`` of the model used at inference (for DeFT:
    e~2 and d~1 once decoupled finetuning started; a neck goes with the component its
    ``neck_part`` names). A plain ``EncoderDecoder``: its backbone, and its neck and head, as the
    staged segmentors' default ``neck_part='decoder'`` groups them (a joint-finetuning row and
    DeFT measure the same modules)."""
    if isinstance(model, TwoStageSegmentor):
        return model.inference_components()
    neck = [model.neck] if model.with_neck else []
    return dict(encoder=[model.backbone], decoder=neck + [model.decode_head])


def uc_parts(model: nn.Module) -> Dict[str, List[nn.Module]]:
    """``{'encoder_uc': [e1 modules], 'decoder_uc': [d2 modules]}``: DeFT's usual components, the
    ones the gradient trains (DeFT paper, Sec. 3.2); ``{}`` for every other model. At the start of
    decoupled finetuning e1 = e~2 and d2 = d~1 (Alg. 2, lines 6-10), so the anchor of
    :func:`inference_parts` is their start as well."""
    if not isinstance(model, DualPathwaySegmentor):
        return {}
    return dict(
        encoder_uc=model.encoder_of(model.pathway1), decoder_uc=model.decoder_of(model.pathway2))


@HOOKS.register_module()
class ParamDistanceHook(Hook):
    """Every ``interval`` iterations, log L2, MARS and operator-norm distances (see
    :func:`distance_norms`) of the inference model's encoder and decoder from their weights at the
    start of finetuning (after the warm-up of two-stage models, else at the first iteration), as
    ``dist_<norm>/<encoder|decoder>`` to the logger and the visualizer backends (TensorBoard).
    The reference weights are saved in checkpoints (``param_distance_anchor``) for ``--resume``.

    With ``uc_parts=True`` it also measures DeFT's usual components e1 and d2
    (:func:`uc_parts`) from the same anchor, as ``dist_<norm>/<encoder_uc|decoder_uc>``: the
    pathway the gradient trains beside the final model's e~2 and d~1 (Fig. 3 shows the final
    model; the trained pathway is the one joint finetuning would be).

    Args:
        interval (int): iterations between measurements. Default 500.
        uc_parts (bool): also measure e1 and d2 of a ``DualPathwaySegmentor`` (no effect on
            other models). Default False.
    """

    priority = 'LOW'

    def __init__(self, interval: int = 500, uc_parts: bool = False) -> None:
        self.interval = interval
        self.uc_parts = uc_parts
        self.anchor = None

    @staticmethod
    def _model(runner: Runner) -> nn.Module:
        return unwrap_model(runner.model)

    def _params(self, model: nn.Module) -> Dict[str, List[Tensor]]:
        return {
            part: [p for m in mods for p in m.parameters()]
            for part, mods in inference_parts(model).items()
        }

    def _maybe_anchor(self, runner: Runner) -> None:
        model = self._model(runner)
        in_warmup = isinstance(model, TwoStageSegmentor) and model.in_warmup
        if self.anchor is None and not in_warmup:
            self.anchor = {
                part: [p.detach().clone() for p in ps]
                for part, ps in self._params(model).items()
            }

    def before_train_iter(self,
                          runner: Runner,
                          batch_idx: int,
                          data_batch: Optional[Sequence[dict]] = None) -> None:
        self._maybe_anchor(runner)

    def after_train_iter(self,
                         runner: Runner,
                         batch_idx: int,
                         data_batch: Optional[Sequence[dict]] = None,
                         outputs: Optional[dict] = None) -> None:
        if self.anchor is None or not self.every_n_train_iters(runner, self.interval):
            return
        scalars = self.measure(self._model(runner))
        runner.visualizer.add_scalars(scalars, step=runner.iter + 1)
        print_log(
            f'Iter {runner.iter + 1} parameter distance from initialization: ' +
            '  '.join(f'{k}: {v:.4g}' for k, v in scalars.items()),
            logger='current')

    def measure(self, model: nn.Module) -> Dict[str, float]:
        """``{'dist_<norm>/<part>': value}`` of the parts from the anchor (set once decoupled
        finetuning started)."""
        params = self._params(model)
        anchors = dict(self.anchor)
        if self.uc_parts:
            for part, mods in uc_parts(model).items():
                params[part] = [p for m in mods for p in m.parameters()]
                anchors[part] = self.anchor[part[:-len('_uc')]]
        scalars = {}
        for part, ps in params.items():
            for norm, value in distance_norms(ps, anchors[part]).items():
                scalars[f'dist_{norm}/{part}'] = value
        return scalars

    def before_save_checkpoint(self, runner: Runner, checkpoint: dict) -> None:
        if self.anchor is not None:
            checkpoint[CKPT_KEY] = {part: [t.cpu() for t in ts] for part, ts in self.anchor.items()}

    def after_load_checkpoint(self, runner: Runner, checkpoint: dict) -> None:
        if CKPT_KEY in checkpoint:
            device = next(self._model(runner).parameters()).device
            self.anchor = {
                part: [t.to(device) for t in ts]
                for part, ts in checkpoint[CKPT_KEY].items()
            }
