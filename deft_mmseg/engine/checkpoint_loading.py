# MERGE: delete this file (/tmp/team/i29_merge_recipe.sh); the loader is deft_mmseg.utils.checkpoint_loading
from ..utils.checkpoint_loading import load_local_checkpoint  # noqa: F401  # MERGE
