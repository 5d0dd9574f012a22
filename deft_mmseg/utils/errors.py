"""Every exception that means "the user's input is wrong", in one leaf module.

It imports nothing from the package, so every layer (datasets, evaluation, models, engine,
hooks, tools) can raise these without importing a layer above it. The tools turn them into one
``error: ...`` line and exit status 2 (:func:`deft_mmseg.utils.run_with_user_errors`).

Also here: :class:`TrainingStopped`, the one exception that is not a user error but a clean stop
(SIGINT/SIGTERM) the tools report as one line.

This module is the only place these classes are defined and the only one they are imported from
(``tests/test_package/test_error_names.py``). A setting that cannot work raises a subclass of
:class:`ConfigError`, named for the part of the config it is about.
"""
import pickle
import signal
from typing import Optional


class ConfigError(ValueError):
    """A config setting that cannot work; the base of every ``*ConfigError`` below."""


class DatasetConfigError(ConfigError):
    """A dataset config points at data that is not there or does not fit the model."""


class DatasetSampleError(RuntimeError):
    """Loading one sample failed (corrupt image, bad label ids, a label that does not fit its
    image, ...)."""


class LabelRangeError(ValueError):
    """A label map holds ids that are neither a class nor the ignore index."""


class ConversionError(RuntimeError):
    """A dataset on disk is not in the layout or format the converter expects."""


class ConversionKeyError(KeyError):
    """The checkpoint has keys this converter does not know (another model or variant)."""

    def __str__(self) -> str:  # the message as written (KeyError's str would quote it)
        return str(self.args[0])


class CheckpointSecurityError(pickle.UnpicklingError):
    """A checkpoint needs globals that weights-only loading does not allow."""


class CheckpointMismatchError(ValueError):
    """A checkpoint's weights do not match the model built from the config."""


class TwoStageConfigError(ConfigError):
    """A two-stage setting (``TwoStageTrainLoop`` stages, stage schedulers, a two-stage
    segmentor's final model, the cross-EMA beta, the model/loop/hook combination) is invalid."""


class SensitivityConfigError(ConfigError):
    """A FisherTune sensitivity setting (parameter groups, fractions, estimation schedule,
    sensitivity file) is invalid."""


class ConfigKeyError(ConfigError, KeyError):
    """A config key that the module it configures does not take."""

    def __str__(self) -> str:
        return str(self.args[0])


class WorkDirError(ValueError):
    """The work dir holds another run, or no checkpoint to resume from."""


class CurveError(ValueError):
    """No scalar log where one was expected, or none of the asked keys."""


class TextEncoderConfigError(ConfigError):
    """A language-guided model's text side (vocabulary, prompts, text tower) does not fit."""


class UnsupportedVersionError(ImportError):
    """An installed OpenMMLab package is outside the versions deft_mmseg supports."""


class InferenceInputError(ValueError):
    """An inference input (image, folder, video) that cannot be read."""


class ReproduceError(ValueError):
    """A paper table, row or option of tools/reproduce.py that does not exist or does not fit,
    or a stage of a table row that stopped on the user's input."""


class TrainingStopped(Exception):
    """Raised out of ``runner.train()`` after a stop signal and the checkpoint it triggered
    (``engine/hooks/stop_signal_hook.py``); ``tools/train.py`` prints the ``--resume`` command.

    Attributes:
        signum (int): the signal.
        iteration (int): iterations trained.
        checkpoint (str | None): the checkpoint to resume from (``None`` without a
            ``CheckpointHook``).
    """

    def __init__(self, signum: int, iteration: int, checkpoint: Optional[str]) -> None:
        self.signum, self.iteration, self.checkpoint = signum, iteration, checkpoint
        super().__init__(f'stopped by {signal.Signals(signum).name} after iteration {iteration}')

    @property
    def exit_status(self) -> int:
        """128 + the signal number, as a shell reports a process ended by it (130, 143)."""
        return 128 + self.signum


#: what the tools report as one line (exit status 2) instead of a traceback
#: (ConfigError covers DatasetConfigError, TwoStageConfigError, SensitivityConfigError,
#: TextEncoderConfigError and ConfigKeyError)
USER_ERRORS = (ConfigError, DatasetSampleError, LabelRangeError, ConversionError,
               ConversionKeyError, CheckpointSecurityError, CheckpointMismatchError, WorkDirError,
               CurveError, UnsupportedVersionError, InferenceInputError, ReproduceError,
               FileNotFoundError)


class CheckpointFileError(CheckpointMismatchError):
    """A checkpoint file that is empty, cut short (a kill or a full disk during its write) or not a
    checkpoint at all."""


class CheckpointWriteError(WorkDirError):
    """A checkpoint could not be written (disk full, quota, file size limit); the partial file is
    removed and the previous checkpoints are kept."""


class WorkDirLockedError(WorkDirError):
    """Another training process holds the work dir."""


class ConfigSyntaxError(ConfigKeyError):
    """A config file (or one of its ``_base_`` files) that is not valid Python."""
