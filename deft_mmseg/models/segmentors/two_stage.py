"""The contract between two-stage segmentors and the loop and hooks that drive them.

``TwoStageTrainLoop`` (engine) runs a warm-up stage, then calls :meth:`end_warmup` and runs the
second stage; the hooks read the model used at inference through :meth:`inference_modules`, and
the export writes :meth:`final_model_state_dict`. Every segmentor with stages inherits this class
(``DualPathwaySegmentor``, ``StagedEncoderDecoder`` and through it ``FisherTuneEncoderDecoder``);
the engine and hooks check ``isinstance(model, TwoStageSegmentor)`` instead of probing attributes.
"""

#: top-level state-dict prefixes of the exported plain ``EncoderDecoder`` (the auxiliary head only
#: trains, the export drops it)
PLAIN_PARTS = ('backbone', 'neck', 'decode_head')


class TwoStageSegmentor:
    """Mixin for an mmseg ``EncoderDecoder`` subclass trained in two stages."""

    @property
    def in_warmup(self):
        """Whether the model is still in its first stage (saved in the checkpoint)."""
        raise NotImplementedError

    def end_warmup(self):
        """Switch to the second stage (called once by the loop, never again on resume)."""
        raise NotImplementedError

    #: one line the loop logs when the second stage starts
    second_stage_description = 'stage 2 starts.'

    def inference_modules(self):
        """``(encoder, decoder)``: the modules that segment at test time; ``encoder`` has
        ``.backbone`` (and ``.neck``), ``decoder`` has ``.decode_head``."""
        return self, self

    def final_model_state_dict(self):
        """The plain ``EncoderDecoder`` state dict of the model used at inference (export)."""
        return {k: v.detach().clone() for k, v in self.state_dict().items()
                if k.split('.')[0] in PLAIN_PARTS}

    def describe_final_model(self):
        return type(self).__name__
