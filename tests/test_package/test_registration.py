"""`import deft_mmseg` / custom_imports registers every component in mmseg's registries."""

from mmseg.registry import (DATASETS, HOOKS, LOOPS, METRICS, MODELS, PARAM_SCHEDULERS,
                            TRANSFORMS)


EXPECTED = {
    MODELS: ['DualPathwaySegmentor', 'StagedEncoderDecoder', 'ParamDistanceRegularizer',
             'VFMVisionTransformer', 'Reins', 'LoRAReins', 'ReinMask2FormerHead',
             'FisherTuneEncoderDecoder'],
    HOOKS: ['CrossEMAHook', 'CheckpointMatchHook', 'DatasetModelCheckHook', 'ParamDistanceHook',
            'TargetLossHook', 'TrainLoopCheckHook', 'FrozenTrunkHook', 'ExactResumeHook'],
    DATASETS: ['GTAVDataset', 'SynthiaDataset', 'MapillaryCS19Dataset', 'ACDCDataset',
               'CityscapesDataset', 'BDD100KDataset'],
    LOOPS: ['MultiDomainValLoop', 'MultiDomainTestLoop', 'DeFTTrainLoop', 'TwoStageTrainLoop',
            'FisherTuneTrainLoop'],
    METRICS: ['DGIoUMetric'],
    TRANSFORMS: ['RandomGaussianBlur'],
    PARAM_SCHEDULERS: ['StagePolyLR', 'StageConstantParamScheduler'],
}


def test_all_components_registered_in_mmseg_scope():
    for registry, names in EXPECTED.items():
        for name in names:
            assert registry.get(name) is not None, f'{name} missing from {registry.name}'


def test_two_stage_loop_keeps_its_old_name_and_contracts_are_types():
    """Configs and codebases that say DeFTTrainLoop get the neutral TwoStageTrainLoop; the loop
    and hooks recognise models by their TwoStageSegmentor base, not by probing attributes."""
    from mmseg.registry import LOOPS

    from deft_mmseg.engine import FisherTuneTrainLoop, TwoStageTrainLoop
    from deft_mmseg.models.segmentors import (DualPathwaySegmentor, FisherTuneEncoderDecoder,
                                              StagedEncoderDecoder, TwoStageSegmentor)
    assert LOOPS.get('DeFTTrainLoop') is LOOPS.get('TwoStageTrainLoop') is TwoStageTrainLoop
    assert issubclass(FisherTuneTrainLoop, TwoStageTrainLoop)
    for cls in (DualPathwaySegmentor, StagedEncoderDecoder, FisherTuneEncoderDecoder):
        assert issubclass(cls, TwoStageSegmentor)
    assert TwoStageTrainLoop.segmentor_class is TwoStageSegmentor
    assert FisherTuneTrainLoop.segmentor_class is FisherTuneEncoderDecoder
