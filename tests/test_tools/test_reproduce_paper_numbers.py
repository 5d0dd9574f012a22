"""Every paper number of tools/reproduce.py's tables, read again from the paper texts.

The reference is the text of each paper in ../shared/papers (outside the code): for each row the
test finds the row's anchors in the table's part of the text and reads the numbers printed after
them. A typo in paper_tables.yaml, a number put in the wrong row or column, or a row of another
block fails here.
"""
import os.path as osp
import re

import pytest

from deft_mmseg.reproduce import load_paper_tables
from repo_paths import REPO

PAPERS = osp.join(osp.dirname(REPO), 'shared', 'papers')
#: a number as the tables print them (50.06, 57.1); not a parameter count (304.20M), not a
#: difference in brackets (+3.7)
NUMBER = re.compile(r'(?<![\d.+\-])\d+\.\d+(?![\d.]*[A-Za-z])')
TABLES = load_paper_tables()


def flatten(text):
    """The text without emphasis tags, every run of white space one blank."""
    return re.sub(r'\s+', ' ', re.sub(r'</?[a-z]+>', '', text))


def table_text(table):
    with open(osp.join(PAPERS, table.paper_file), encoding='utf-8') as f:
        text = flatten(f.read())
    start, end = (flatten(a).strip() if a else None for a in table.text)
    assert text.count(start) >= 1, f'{table.name}: start {start!r} not in {table.paper_file}'
    i = text.index(start)
    j = text.index(end, i + len(start)) if end else len(text)
    return text[i:j]


def numbers_after(text, anchors):
    pos = 0
    for anchor in anchors:
        found = text.find(anchor, pos)
        assert found >= 0, f'anchor {anchor!r} not found (after position {pos})'
        pos = found + len(anchor)
    return [float(m.group()) for m in NUMBER.finditer(text, pos)]


def read_row(text, row):
    """The row's numbers as the paper text prints them (``None`` where the row has none)."""
    if row.locate_columns:  # a transposed table: one anchor per column, the row's n-th number
        return [numbers_after(text, [a])[row.skip] for a in row.locate_columns]
    wanted = [i for i, v in enumerate(row.paper) if v is not None]
    found = numbers_after(text, row.locate)[row.skip::row.stride][:len(wanted)]
    read = [None] * len(row.paper)
    for i, value in zip(wanted, found):
        read[i] = value
    return read


@pytest.mark.skipif(not osp.isdir(PAPERS), reason='the paper texts are not beside the checkout')
@pytest.mark.parametrize('name', sorted(TABLES))
def test_every_number_is_the_papers(name):
    table = TABLES[name]
    text = table_text(table)
    for row in table.rows:
        if all(v is None for v in row.paper):
            continue
        assert read_row(text, row) == list(row.paper), f'{name}, row {row.id} ({row.label})'


def test_the_reader_catches_a_wrong_number_and_a_wrong_row():
    """The check itself: a changed digit and the numbers of the neighbouring row both fail."""
    table = TABLES['deft/table1']
    text = table_text(table)
    enc, dec = table.row('freeze-encoder'), table.row('freeze-decoder')
    assert read_row(text, enc) == [41.88, 36.85, 44.59, 41.11]
    assert read_row(text, enc) != [41.88, 36.85, 44.59, 41.12]
    assert read_row(text, dec) != list(enc.paper)


def test_every_table_the_issue_names_is_there():
    """DeFT Tables 1-9, Rein's GTAV -> C/B/M tables and its Cityscapes -> ACDC table,
    FisherTune's Table 1, VLTSeg's GTAV and ACDC tables."""
    names = set(TABLES)
    assert {f'deft/table{i}' for i in range(1, 10)} <= names
    assert {
        'rein/table1', 'rein/table2', 'rein/table5', 'rein/table3', 'fishertune/table1',
        'vltseg/gtav', 'vltseg/acdc'
    } <= names
    for table in TABLES.values():
        assert table.rows
        for row in table.rows:
            assert osp.isfile(osp.join(REPO, 'configs', row.config)), row.config
            assert len(row.paper) == len(table.columns)
