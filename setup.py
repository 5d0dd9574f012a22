"""Install deft_mmseg, an MMSegmentation 1.x plugin for domain-generalized segmentation.

The OpenMMLab stack (torch, mmcv with compiled ops, mmengine, mmseg, mmdet, mmpretrain) is installed
by ``make install`` from ``requirements/``: mmcv must be compiled against the installed torch, which a
plain dependency list cannot express. ``install_requires`` names the supported version ranges
(``deft_mmseg/version.py``), so that installing the plugin into an existing OpenMMLab environment
leaves its stack alone when it is in range, and ``pip check`` reports one that is not.

The configs and tools ship inside the package as ``deft_mmseg/.mim/{configs,tools}`` (mmseg's
convention): symlinks to ``configs/`` and ``tools/`` in the source tree, whose files are copied
into the wheel, so ``deft_mmseg::deft/...`` config references work after ``pip install``.
"""
from setuptools import find_packages, setup


def read_version_file():
    scope = {}
    with open('deft_mmseg/version.py') as f:
        exec(f.read(), scope)
    return scope


VERSION = read_version_file()

setup(
    name='deft_mmseg',
    version=VERSION['__version__'],
    description='MMSegmentation 1.x plugin for domain-generalized semantic segmentation '
    '(DeFT, distance regularization, Rein, FisherTune)',
    long_description=open('README.md').read() if __import__('os').path.exists('README.md') else '',
    long_description_content_type='text/markdown',
    packages=find_packages(include=['deft_mmseg', 'deft_mmseg.*']),
    package_data={
        'deft_mmseg': [
            'reproduce/*.yaml', '.mim/model-index.yml', '.mim/configs/**/*.py', '.mim/tools/*.py',
            '.mim/tools/*.sh', '.mim/tools/**/*.py'
        ]
    },
    python_requires='>=3.9',
    install_requires=[
        f'{name}{spec}'
        for name, spec in VERSION['SUPPORTED_VERSIONS'].items() if name in VERSION['REQUIRED']
    ] + ['numpy'],
    extras_require={
        'tests': ['pytest>=7', 'pytest-xdist>=3.5'],
        'vfm': [f'{name}{VERSION["SUPPORTED_VERSIONS"][name]}'
                for name in ('mmdet', 'mmpretrain')] + ['ftfy', 'regex'],
    },
    license='Apache-2.0',
)
