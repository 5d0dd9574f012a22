"""A frozen CLIP / EVA-CLIP text tower giving one embedding per class (VLTSeg's text side).

Reuses mmseg 1.2.2's ``CLIPTextEncoder`` (transformer, tokenizer, template averaging) and adds what
it lacks for VLTSeg:

- the text tower's activation as a setting: mmseg hard-codes OpenAI CLIP's QuickGELU, while the
  EVA02-CLIP text tower is built with plain ``nn.GELU`` (EVA-CLIP ``model.py``,
  ``_build_text_tower``: ``QuickGELU if quick_gelu else nn.GELU``, ``quick_gelu=False``);
- prompts that do not fit the context are an error: mmseg's ``tokenize`` silently truncates;
- embeddings cached per device and dropped whenever weights are loaded (mmseg's cache survives a
  ``load_state_dict``, so embeddings computed before loading a checkpoint would be reused);
- no background embedding here (VLTSeg's no-object embedding is the head's, trainable);
- the tower stays frozen and in eval mode whatever ``train()`` is called with.
"""
import torch
import torch.nn.functional as F
from mmcv.cnn import build_activation_layer
from mmengine.registry import DefaultScope
from mmseg.models.text_encoder import CLIPTextEncoder
from mmseg.registry import MODELS
from mmseg.utils import get_classes, tokenizer
from torch import nn

from ...utils.errors import TextEncoderConfigError


@MODELS.register_module()
class ClassTextEncoder(CLIPTextEncoder):
    """``class_embeddings()`` -> (K, D): the L2-normalized text embedding of each class, averaged
    over ``templates`` (each ``template.format(class_name)``) and normalized again (CLIP's
    prompt ensembling). D is ``output_dims`` (the joint embedding width, 768 for the L/14 models).

    Args:
        vocabulary (list[str], optional): the class names, in the dataset's label order. Checked
            against the training dataset's ``classes`` before training (``DatasetModelCheckHook``).
        dataset_name (str, optional): take the names from mmseg's ``get_classes`` instead.
        prompt_names (dict, optional): ``{class name: text used in the prompt}`` for names that
            read badly in a sentence; the vocabulary itself stays the dataset's.
        templates (list[str] | str): prompt templates or an mmseg template set name.
        act_cfg (dict): the FFN activation: ``dict(type='QuickGELU')`` (OpenAI CLIP) or
            ``dict(type='GELU')`` (EVA-CLIP).
        Others: as mmseg's ``CLIPTextEncoder`` (``embed_dims``, ``num_layers``, ``num_heads``,
            ``output_dims``, ``context_length``, ``total_vocab_size``).
    """

    def __init__(self,
                 vocabulary=None,
                 dataset_name=None,
                 prompt_names=None,
                 templates=('a photo of a {}.', ),
                 act_cfg=dict(type='QuickGELU'),
                 **kwargs):
        if (vocabulary is None) == (dataset_name is None):
            raise TextEncoderConfigError('ClassTextEncoder: set exactly one of vocabulary (the '
                                         'class names) and dataset_name')
        templates = list(templates) if isinstance(templates, (list, tuple)) else templates
        # mmcv builds the FFN's QuickGELU from the current scope: mmseg's (outside a runner too)
        with DefaultScope.overwrite_default_scope('mmseg'):
            super().__init__(
                vocabulary=vocabulary,
                dataset_name=dataset_name,
                templates=templates,
                cat_bg=False,
                cache_feature=False,
                **kwargs)
        for block in self.transformer:
            block.ffns[0].layers[0][1] = build_activation_layer(act_cfg)
        # mmseg leaves these as torch.empty (it expects a checkpoint): CLIP's initialization, so
        # a tower built without weights (tests, --demo) computes finite embeddings
        nn.init.normal_(self.token_embedding.weight, std=0.02)
        nn.init.normal_(self.positional_embedding, std=0.01)
        nn.init.normal_(self.text_projection, std=self.token_embedding.weight.shape[1]**-0.5)
        self.act_cfg = act_cfg
        names = list(vocabulary) if vocabulary is not None else list(get_classes(dataset_name))
        self.class_names = names
        self.prompt_names = dict(prompt_names or {})
        unknown = set(self.prompt_names) - set(names)
        if unknown:
            raise TextEncoderConfigError(f'ClassTextEncoder: prompt_names for {sorted(unknown)}, '
                                         f'which are not in the vocabulary')
        self._check_prompts()
        self._embeddings = {}
        self._register_load_state_dict_pre_hook(self._drop_cache)

    def _prompts(self, template):
        return [template.format(self.prompt_names.get(n, n)) for n in self.class_names]

    def _check_prompts(self):
        for template in self.templates:
            for prompt in self._prompts(template):
                length = len(tokenizer._tokenizer.encode(prompt)) + 2  # start and end tokens
                if length > self.num_pos:
                    raise TextEncoderConfigError(
                        f'ClassTextEncoder: the prompt {prompt!r} is {length} tokens, more than '
                        f'the context length {self.num_pos}; shorten the template or set '
                        f'prompt_names for this class')

    def _drop_cache(self, *args, **kwargs):
        self._embeddings = {}

    def train(self, mode=True):
        return super().train(False)

    @torch.no_grad()
    def class_embeddings(self, device=None):
        """(K, D) unit-norm class embeddings (computed once per device and weights)."""
        device = torch.device(device) if device is not None else self.token_embedding.weight.device
        if device not in self._embeddings:
            per_template = []
            for template in self.templates:
                tokens = tokenizer.tokenize(self._prompts(template), context_length=self.num_pos)
                per_template.append(self.encode_text(tokens, normalize=True))
            mean = torch.stack(per_template).mean(dim=0)
            self._embeddings[device] = F.normalize(mean, dim=-1).to(device)
        return self._embeddings[device]

    def forward(self):
        return self.class_embeddings()
