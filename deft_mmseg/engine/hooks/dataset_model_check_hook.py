"""Check before training that the model's class count matches the training data."""
from mmengine.hooks import Hook
from mmengine.runner import Runner
from mmseg.datasets import BaseSegDataset
from mmseg.registry import HOOKS

from ...datasets.checks import check_num_classes
from ...datasets.transforms.check_image_label import use_class_count
from ...models.text_encoders import ClassTextEncoder
from ...utils.errors import TextEncoderConfigError
from ...utils.model_wrappers import unwrap_model


@HOOKS.register_module()
class DatasetModelCheckHook(Hook):
    """Raise ``DatasetConfigError`` at ``before_train`` when ``num_classes`` of the model differs
    from the number of classes of the training dataset (validation domains are checked by the
    multi-domain loops), and ``TextEncoderConfigError`` when a language-guided head's vocabulary
    (VLTSeg) names other classes, or the same in another order, than the dataset.

    It also gives the training pipeline's ``CheckImageLabelPair`` the dataset's class count and
    ignore index, so label ids are checked on the whole map before the random crop. Loading
    workers started before this hook ran keep the pipeline they had (``ExactResumeHook``'s seeded
    stream restarts them right after, at ``before_train_epoch``)."""

    priority = 'VERY_HIGH'

    def before_train(self, runner: Runner) -> None:
        model = unwrap_model(runner.model)
        dataset = runner.train_dataloader.dataset
        metainfo = getattr(dataset, 'metainfo', None)
        check_num_classes(model, metainfo, 'train_dataloader.dataset')
        classes = list((metainfo or {}).get('classes') or [])
        if classes and isinstance(dataset, BaseSegDataset):
            use_class_count(dataset.pipeline, len(classes), dataset.ignore_index)
        for module in model.modules():
            if isinstance(module, ClassTextEncoder) and classes and \
                    list(module.class_names) != classes:
                diff = [(c, n) for c, n in zip(classes, module.class_names) if c != n
                        ] or [(f'{len(classes)} classes', f'{len(module.class_names)} names')]
                raise TextEncoderConfigError(
                    f'the text encoder\'s vocabulary differs from the training dataset\'s '
                    f'classes (first difference: dataset {diff[0][0]!r}, vocabulary '
                    f'{diff[0][1]!r}); set decode_head.text_encoder.vocabulary to the dataset\'s '
                    f'classes in label order (prompt_names changes the words in the prompts)')
