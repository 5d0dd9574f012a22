"""Every exception that means "the user's input is wrong", in one leaf module.

It imports nothing from the package, so every layer (datasets, evaluation, models, engine,
hooks, tools) can raise these without importing a layer above it. The tools turn them into one
``error: ...`` line and exit status 2 (:func:`deft_mmseg.utils.run_with_user_errors`).
"""
import pickle


class DatasetConfigError(ValueError):
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

    def __str__(self):  # the message as written (KeyError's str would quote it)
        return str(self.args[0])


class CheckpointSecurityError(pickle.UnpicklingError):
    """A checkpoint needs globals that weights-only loading does not allow."""


class CheckpointMismatchError(ValueError):
    """A checkpoint's weights do not match the model built from the config."""


class DeFTConfigError(ValueError):
    """A DeFT setting (stages, beta, model/loop/hook combination) is invalid."""


class FisherTuneConfigError(ValueError):
    """A FisherTune setting (groups, fractions, schedule, sensitivity file) is invalid."""


class ConfigKeyError(KeyError):
    """A config key that the module it configures does not take."""

    def __str__(self):
        return str(self.args[0])


class WorkDirError(ValueError):
    """The work dir holds another run, or no checkpoint to resume from."""


class CurveError(ValueError):
    """No scalar log where one was expected, or none of the asked keys."""


class TextEncoderConfigError(ValueError):
    """A language-guided model's text side (vocabulary, prompts, text tower) does not fit."""


class UnsupportedVersionError(ImportError):
    """An installed OpenMMLab package is outside the versions deft_mmseg supports."""


class InferenceInputError(ValueError):
    """An inference input (image, folder, video) that cannot be read."""


class ConfigNameError(FileNotFoundError):
    """A config path that names a renamed or removed config (utils/config_names.py)."""


class ReproduceError(ValueError):
    """A paper table, row or option of tools/reproduce.py that does not exist or does not fit,
    or a stage of a table row that stopped on the user's input."""


#: what the tools report as one line (exit status 2) instead of a traceback
USER_ERRORS = (DatasetConfigError, DatasetSampleError, LabelRangeError, ConversionError,
               ConversionKeyError, CheckpointSecurityError, CheckpointMismatchError,
               DeFTConfigError, FisherTuneConfigError, TextEncoderConfigError, ConfigKeyError,
               WorkDirError, CurveError,
               UnsupportedVersionError, InferenceInputError, ConfigNameError, ReproduceError,
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
