"""Check before training that a staged segmentor is driven by the loop that runs its stages."""
from mmengine.hooks import Hook

from mmseg.registry import HOOKS

from ...models.segmentors import FisherTuneEncoderDecoder, TwoStageSegmentor
from ...utils.model_wrappers import unwrap_model
from ..fishertune_train_loop import FisherTuneTrainLoop
from ..two_stage_train_loop import DeFTConfigError, TwoStageTrainLoop


@HOOKS.register_module()
class TrainLoopCheckHook(Hook):
    """Raise ``DeFTConfigError`` at ``before_train`` when the model's stages would silently never
    run: a two-stage segmentor (``DualPathwaySegmentor``, ``StagedEncoderDecoder``) under a loop
    other than ``TwoStageTrainLoop`` (``DeFTTrainLoop``) stays in its warm-up for the whole run (only the decoder trains),
    and ``FisherTuneEncoderDecoder`` needs ``FisherTuneTrainLoop`` (which estimates DR-FIM and
    selects the weights to tune)."""

    priority = 'VERY_HIGH'

    def before_train(self, runner):
        model = unwrap_model(runner.model)
        loop = runner.train_loop
        name = type(model).__name__
        if isinstance(model, FisherTuneEncoderDecoder) and not isinstance(loop, FisherTuneTrainLoop):
            raise DeFTConfigError(
                f"{name} is trained by train_cfg type 'FisherTuneTrainLoop' (warm-up, DR-FIM "
                f'estimation, sparse tuning), got {type(loop).__name__}; see '
                f'configs/_base_/schedules/fishertune_adamw_4k_40k.py.')
        if isinstance(model, TwoStageSegmentor) and not isinstance(loop, TwoStageTrainLoop):
            raise DeFTConfigError(
                f"{name} has two stages that train_cfg type 'DeFTTrainLoop' runs; under "
                f'{type(loop).__name__} it would stay in its warm-up (decoder only) for the whole '
                f"run. Use train_cfg=dict(type='DeFTTrainLoop', warmup_iters=..., "
                f'decoupled_iters=...).')
