"""Check before training that a staged segmentor and its train loop belong together."""
from mmengine.hooks import Hook
from mmengine.runner import Runner
from mmseg.registry import HOOKS

from ...models.segmentors import FisherTuneEncoderDecoder, TwoStageSegmentor
from ...utils.errors import TwoStageConfigError
from ...utils.model_wrappers import unwrap_model
from ..fishertune_train_loop import FisherTuneTrainLoop
from ..two_stage_train_loop import TwoStageTrainLoop


@HOOKS.register_module()
class TrainLoopCheckHook(Hook):
    """Raise ``TwoStageConfigError`` at ``before_train`` when the model and the train loop do not
    belong together. This hook is the one place the pairing is checked (a default hook of
    ``configs/_base_/default_runtime.py``):

    - a two-stage segmentor (``DualPathwaySegmentor``, ``StagedEncoderDecoder``) under a loop
      other than ``TwoStageTrainLoop`` would stay in its warm-up for the whole run (only the
      decoder trains);
    - ``FisherTuneEncoderDecoder`` needs ``FisherTuneTrainLoop`` (which estimates DR-FIM and
      selects the weights to tune);
    - a ``TwoStageTrainLoop`` (or subclass) trains only its ``segmentor_class``.
    """

    priority = 'VERY_HIGH'

    def before_train(self, runner: Runner) -> None:
        model = unwrap_model(runner.model)
        loop = runner.train_loop
        name = type(model).__name__
        if isinstance(model,
                      FisherTuneEncoderDecoder) and not isinstance(loop, FisherTuneTrainLoop):
            raise TwoStageConfigError(
                f"{name} is trained by train_cfg type 'FisherTuneTrainLoop' (warm-up, DR-FIM "
                f'estimation, sparse tuning), got {type(loop).__name__}; see '
                f'configs/_base_/schedules/fishertune_adamw_4k_40k.py.')
        if isinstance(model, TwoStageSegmentor) and not isinstance(loop, TwoStageTrainLoop):
            raise TwoStageConfigError(
                f"{name} has two stages that train_cfg type 'TwoStageTrainLoop' runs; under "
                f'{type(loop).__name__} it would stay in its warm-up (decoder only) for the whole '
                f"run. Use train_cfg=dict(type='TwoStageTrainLoop', warmup_iters=..., "
                f'decoupled_iters=...).')
        if isinstance(loop, TwoStageTrainLoop) and not isinstance(model, loop.segmentor_class):
            raise TwoStageConfigError(
                f'{type(loop).__name__} trains {loop.segmentor_kinds}, got {name}. Change '
                f"model.type or use train_cfg type 'IterBasedTrainLoop'.")
