"""Every config file the docs and the README name exists (braces and globs expanded)."""
import glob
import os.path as osp
import re

import pytest

from repo_paths import REPO

DOCS = sorted(glob.glob(osp.join(REPO, 'docs', '*.md'))) + [osp.join(REPO, 'README.md')]
#: a config path as the docs write it: `configs/...py`, with {a,b} alternatives or * globs (not a
#: path inside another repository, `segmentation/configs/...`)
CONFIG_REF = re.compile(r'(?<![\w/.-])configs/[\w./{},*+-]*?\.py')


def expand_braces(text):
    """``a{b,c}d`` -> ``['abd', 'acd']`` (nested braces are not used in the docs)."""
    match = re.search(r'\{([^{}]*)\}', text)
    if match is None:
        return [text]
    return [
        expanded for option in match.group(1).split(',')
        for expanded in expand_braces(text[:match.start()] + option + text[match.end():])
    ]


def config_refs():
    for doc in DOCS:
        for ref in CONFIG_REF.findall(open(doc, encoding='utf-8').read()):
            yield osp.relpath(doc, REPO), ref


def test_expand_braces():
    assert expand_braces('x{,_a,_b}.py') == ['x.py', 'x_a.py', 'x_b.py']
    assert expand_braces('{p,q}_{1,2}') == ['p_1', 'p_2', 'q_1', 'q_2']


@pytest.mark.parametrize('doc,ref', sorted(set(config_refs())))
def test_config_named_in_docs_exists(doc, ref):
    for path in expand_braces(ref):
        assert glob.glob(osp.join(REPO, path)), f'{doc} names {path}, which does not exist'


def test_no_shorthand_config_names_in_docs():
    """`..._lr-1e-3.py`-style abbreviations cannot be checked (or copied): write full paths."""
    for doc in DOCS:
        text = open(doc, encoding='utf-8').read()
        assert not re.search(r'`\.\.\.[\w{},.-]*\.py`', text), doc
