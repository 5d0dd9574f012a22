"""Check before training that the model's class count matches the training data."""
from mmengine.hooks import Hook

from mmseg.registry import HOOKS

from ...datasets.checks import check_num_classes
from ...utils.model_wrappers import unwrap_model


@HOOKS.register_module()
class DatasetModelCheckHook(Hook):
    """Raise ``DatasetConfigError`` at ``before_train`` when ``num_classes`` of the model differs
    from the number of classes of the training dataset (validation domains are checked by the
    multi-domain loops)."""

    priority = 'VERY_HIGH'

    def before_train(self, runner):
        model = unwrap_model(runner.model)
        dataset = runner.train_dataloader.dataset
        check_num_classes(model, getattr(dataset, 'metainfo', None), 'train_dataloader.dataset')
