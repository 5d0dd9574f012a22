"""`import deft_mmseg` / custom_imports registers every component in mmseg's registries."""

from mmseg.registry import DATASETS, HOOKS, LOOPS, METRICS, MODELS, PARAM_SCHEDULERS, TRANSFORMS

EXPECTED = {
    MODELS: [
        'DualPathwaySegmentor', 'StagedEncoderDecoder', 'ParamDistanceRegularizer',
        'VFMVisionTransformer', 'Reins', 'LoRAReins', 'ReinMask2FormerHead',
        'FisherTuneEncoderDecoder'
    ],
    HOOKS: [
        'CrossEMAHook', 'CheckpointMatchHook', 'DatasetModelCheckHook', 'ParamDistanceHook',
        'TargetLossHook', 'TrainLoopCheckHook', 'FrozenTrunkHook', 'ExactResumeHook'
    ],
    DATASETS: [
        'GTAVDataset', 'SynthiaDataset', 'MapillaryCS19Dataset', 'ACDCDataset', 'CityscapesDataset',
        'BDD100KDataset'
    ],
    LOOPS:
    ['MultiDomainValLoop', 'MultiDomainTestLoop', 'TwoStageTrainLoop', 'FisherTuneTrainLoop'],
    METRICS: ['DGIoUMetric'],
    TRANSFORMS: ['RandomGaussianBlur'],
    PARAM_SCHEDULERS: ['StagePolyLR', 'StageConstantParamScheduler'],
}


def test_all_components_registered_in_mmseg_scope():
    for registry, names in EXPECTED.items():
        for name in names:
            assert registry.get(name) is not None, f'{name} missing from {registry.name}'


def test_two_stage_contracts_are_types():
    """The loop and hooks recognise models by their TwoStageSegmentor base, not by probing
    attributes."""
    from mmseg.registry import LOOPS

    from deft_mmseg.engine import FisherTuneTrainLoop, TwoStageTrainLoop
    from deft_mmseg.models.segmentors import (DualPathwaySegmentor, FisherTuneEncoderDecoder,
                                              StagedEncoderDecoder, TwoStageSegmentor)
    assert LOOPS.get('TwoStageTrainLoop') is TwoStageTrainLoop
    assert issubclass(FisherTuneTrainLoop, TwoStageTrainLoop)
    for cls in (DualPathwaySegmentor, StagedEncoderDecoder, FisherTuneEncoderDecoder):
        assert issubclass(cls, TwoStageSegmentor)
    assert TwoStageTrainLoop.segmentor_class is TwoStageSegmentor
    assert FisherTuneTrainLoop.segmentor_class is FisherTuneEncoderDecoder


def test_deft_mmseg_scope_finds_what_the_parent_registers_only_when_its_locations_load(
        tmp_path, monkeypatch):
    """A ``deft_mmseg::`` config builds with ``_scope_='deft_mmseg'``; mmengine's look-up imports
    the child's locations but reads the parent's table without importing the parent's (mmseg's
    ``SegLocalVisualizer`` is registered by ``mmseg.visualization``, which mmseg's tools/train.py
    does not import before the visualizer is built). The child registry loads them."""
    import sys

    from mmengine.registry import Registry

    from deft_mmseg.registry import ChildRegistry
    (tmp_path / 'parent_components.py').write_text('import registry_under_test\n'
                                                   '@registry_under_test.PARENT.register_module()\n'
                                                   'class PaintedThing:\n    pass\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    module = type(sys)('registry_under_test')
    module.PARENT = Registry('thing', scope='parent_scope', locations=['parent_components'])
    monkeypatch.setitem(sys.modules, 'registry_under_test', module)
    child = ChildRegistry('thing', parent=module.PARENT, scope='child_scope', locations=[])
    assert 'parent_components' not in sys.modules
    found = child.get('PaintedThing')
    assert found is not None and found.__name__ == 'PaintedThing'
    monkeypatch.delitem(sys.modules, 'parent_components')


def test_every_deft_mmseg_registry_falls_back_to_its_mmseg_parent():
    from mmseg import registry as mmseg_registry

    from deft_mmseg import registry
    for name in registry.NAMES:
        child = getattr(registry, name)
        assert child.scope == 'deft_mmseg' and child.parent is getattr(mmseg_registry, name)
    assert registry.VISUALIZERS.get('SegLocalVisualizer').__name__ == 'SegLocalVisualizer'
