"""Install deft_mmseg, an MMSegmentation 1.x plugin for domain-generalized segmentation.

The OpenMMLab stack (torch, mmcv with compiled ops, mmengine, mmseg, mmdet, mmpretrain) is installed
by ``make install`` from ``requirements/``: mmcv must be compiled against the installed torch, which a
plain dependency list cannot express. ``install_requires`` only names what ``import deft_mmseg``
needs so that ``pip check`` reports a broken environment.
"""
from setuptools import find_packages, setup


def read_version():
    scope = {}
    with open('deft_mmseg/version.py') as f:
        exec(f.read(), scope)
    return scope['__version__']


setup(
    name='deft_mmseg',
    version=read_version(),
    description='MMSegmentation 1.x plugin for domain-generalized semantic segmentation '
    '(DeFT, distance regularization, Rein, FisherTune)',
    long_description=open('README.md').read() if __import__('os').path.exists('README.md') else '',
    long_description_content_type='text/markdown',
    packages=find_packages(include=['deft_mmseg', 'deft_mmseg.*']),
    python_requires='>=3.9',
    install_requires=[
        'mmengine==0.10.7',
        'mmsegmentation==1.2.2',
        'mmcv==2.1.0',
        'numpy',
    ],
    extras_require={'tests': ['pytest>=7']},
    license='Apache-2.0',
)
