"""Registries of the ``deft_mmseg`` scope: children of mmseg's, holding nothing of their own.

Every deft_mmseg component registers into **mmseg's** registries (scope ``mmseg``), so a config
that says ``default_scope = 'mmseg'`` finds them. These child registries exist for one reason:
when a user's config inherits one of ours as ``_base_ = ['deft_mmseg::deft/...py']``, mmengine
marks every dict of that base with ``_scope_='deft_mmseg'`` (it takes the package name for the
registry scope) and, when building it, looks for registries of scope ``deft_mmseg`` by importing
``deft_mmseg.registry``. Each registry here falls back to its mmseg parent (then mmengine's), so
such a config builds exactly what the same config read from this repository builds.
"""
from mmengine.registry import Registry
from mmseg import registry as mmseg_registry

SCOPE = 'deft_mmseg'
#: mmseg registry names (all of ``mmseg.registry.__all__``)
NAMES = tuple(n for n in mmseg_registry.__all__ if isinstance(getattr(mmseg_registry, n), Registry))


class ChildRegistry(Registry):
    """A registry of scope ``deft_mmseg`` whose look-ups fall back to its mmseg parent.

    mmengine's ``Registry.get`` imports a registry's ``locations`` before looking a name up, but
    then reads the parent's table without importing the *parent's* locations (mmengine 0.10.7,
    ``registry.py``, ``get``: ``parent._module_dict`` is read directly). mmseg fills some tables
    only through those locations: ``SegLocalVisualizer`` is registered when
    ``mmseg.visualization`` is imported, which mmseg's own ``tools/train.py`` never does before
    the runner builds the visualizer. A ``deft_mmseg::`` config's visualizer
    (``_scope_='deft_mmseg'``) was then not found. Here every ancestor imports its locations
    first, as it would for a look-up in its own scope.
    """

    def import_from_location(self) -> None:
        super().import_from_location()
        parent = self.parent
        while parent is not None:
            parent.import_from_location()
            parent = parent.parent


def _child(name: str) -> ChildRegistry:
    parent = getattr(mmseg_registry, name)
    # locations: what mmengine imports before the first look-up (registers every component)
    return ChildRegistry(parent.name, parent=parent, scope=SCOPE, locations=['deft_mmseg'])


for _name in NAMES:
    globals()[_name] = _child(_name)

__all__ = list(NAMES)
