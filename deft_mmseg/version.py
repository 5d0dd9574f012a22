__version__ = '0.1.0'

#: The OpenMMLab versions deft_mmseg is tested with (pip specifiers). setup.py turns them into
#: install_requires; ``import deft_mmseg`` refuses an installed version outside them
#: (deft_mmseg/utils/version_check.py). The lower and upper ends were each run (docs/install.md,
#: "Supported versions"); widen a range only after running the compatibility check there.
SUPPORTED_VERSIONS = {
    'mmengine': '>=0.10.5,<0.11',  # 0.10.5 added the val/test loss helpers the loops use
    'mmsegmentation': '>=1.2.1,<1.3',  # 1.2.0's wheel lacks a file `import mmseg.utils` needs
    'mmcv': '>=2.1.0,<2.2.0',  # mmseg 1.2.x itself refuses mmcv >= 2.2.0
    'mmdet': '>=3.2.0,<3.4',  # only needed by the Mask2Former heads
    'mmpretrain': '>=1.1.0,<1.3',  # only needed by the ViT backbones
}
#: of these, the ones ``import deft_mmseg`` needs (the others are imported when a config uses them)
REQUIRED = ('mmengine', 'mmsegmentation', 'mmcv')
