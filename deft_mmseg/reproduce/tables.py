"""The paper tables ``tools/reproduce.py`` runs: rows, configs and the papers' numbers.

Everything is read from ``paper_tables.yaml`` beside this module (one data file: each number with
its paper, table, row and column, and where the paper text prints it). mmseg keeps per-config
results in ``metafile.yaml`` files; a paper table is a set of rows across configs (and Table 7 of
the DeFT paper four rows of one training), so the tables have their own file.
"""
import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from ..utils.errors import ReproduceError
from ..utils.package_configs import config_root

TABLES_FILE = osp.join(osp.dirname(osp.abspath(__file__)), 'paper_tables.yaml')


@dataclass(frozen=True)
class TableColumn:
    """A column of a paper table: ``name`` as printed; ours is the mIoU of target domain
    ``domain`` or, with ``mean``, the mean of the table's domain columns."""
    name: str
    domain: Optional[str] = None
    mean: bool = False


@dataclass(frozen=True)
class TableRow:
    """A row of a paper table that a config of this repository runs.

    ``test_cfg_options`` are options of the test only (the training is the config's own), e.g.
    ``{'model.final_model': 'I'}`` for Table 7 of the DeFT paper. ``paper`` holds one number per
    column, ``None`` where our text of the paper has none.
    """
    id: str
    label: str
    config: str
    paper: Tuple[Optional[float], ...]
    test_cfg_options: Dict[str, str] = field(default_factory=dict)
    note: str = ''
    locate: Tuple[str, ...] = ()
    locate_columns: Tuple[str, ...] = ()
    skip: int = 0
    stride: int = 1

    @property
    def config_path(self) -> str:
        """The config file (in the repository's ``configs/``, or the installed package's)."""
        return osp.join(config_root(), self.config)


@dataclass(frozen=True)
class PaperTable:
    """A table of one of the papers, the rows of it this repository has configs for."""
    name: str
    paper: str
    paper_name: str
    paper_digits: int
    paper_title: str
    paper_file: str
    table: str
    title: str
    columns: Tuple[TableColumn, ...]
    rows: Tuple[TableRow, ...]
    text: Tuple[str, Optional[str]]
    note: str = ''
    not_run: str = ''
    paper_split: str = ''

    @property
    def domain_columns(self) -> List[TableColumn]:
        return [c for c in self.columns if not c.mean]

    def row(self, row_id: str) -> TableRow:
        for row in self.rows:
            if row.id == row_id:
                return row
        raise ReproduceError(f'{self.name} has no row {row_id!r}; its rows: '
                             f'{", ".join(r.id for r in self.rows)}.')

    def select_rows(self, row_ids: Optional[List[str]]) -> List[TableRow]:
        """The rows named in ``row_ids`` (all rows when ``None``), in the table's order."""
        if not row_ids:
            return list(self.rows)
        wanted = {self.row(r).id for r in row_ids}
        return [r for r in self.rows if r.id in wanted]


def _row(table_name: str, n_columns: int, raw: dict) -> TableRow:
    where = f'{TABLES_FILE}: {table_name}, row {raw.get("id")!r}'
    paper = tuple(None if v is None else float(v) for v in raw['paper'])
    if len(paper) != n_columns:
        raise ReproduceError(f'{where}: {len(paper)} paper numbers for {n_columns} columns.')
    row = TableRow(
        id=str(raw['id']),
        label=raw['label'],
        config=raw['config'],
        paper=paper,
        test_cfg_options={
            str(k): str(v)
            for k, v in (raw.get('test_cfg_options') or {}).items()
        },
        note=raw.get('note', ''),
        locate=tuple(raw.get('locate') or ()),
        locate_columns=tuple(raw.get('locate_columns') or ()),
        skip=int(raw.get('skip', 0)),
        stride=int(raw.get('stride', 1)))
    if any(v is not None for v in paper) and not (row.locate or row.locate_columns):
        raise ReproduceError(f'{where}: paper numbers without `locate` (where the text prints '
                             f'them).')
    return row


def _table(name: str, raw: dict, papers: dict) -> PaperTable:
    columns = tuple(
        TableColumn(name=c['name'], domain=c.get('domain'), mean=bool(c.get('mean')))
        for c in raw['columns'])
    if any(c.mean == bool(c.domain) for c in columns):
        raise ReproduceError(f'{TABLES_FILE}: {name}: every column needs exactly one of `domain` '
                             f'and `mean`.')
    rows = tuple(_row(name, len(columns), r) for r in raw['rows'])
    ids = [r.id for r in rows]
    if len(set(ids)) != len(ids):
        raise ReproduceError(f'{TABLES_FILE}: {name}: row ids repeat ({ids}).')
    paper = papers[raw['paper']]
    start, end = raw['text']
    return PaperTable(
        name=name,
        paper=raw['paper'],
        paper_name=paper['name'],
        paper_digits=int(paper['digits']),
        paper_title=paper['title'],
        paper_file=paper['file'],
        table=raw['table'],
        title=raw['title'],
        columns=columns,
        rows=rows,
        text=(start, end),
        note=' '.join(str(raw.get('note', '')).split()),
        not_run=' '.join(str(raw.get('not_run', '')).split()),
        paper_split=raw.get('paper_split', ''))


_TABLES: Dict[str, PaperTable] = {}


def load_paper_tables() -> Dict[str, PaperTable]:
    """Every table of ``paper_tables.yaml`` by name (``deft/table4``), in the file's order."""
    if not _TABLES:
        import yaml  # a dependency of mmengine
        if not osp.isfile(TABLES_FILE):
            raise ReproduceError(f'{TABLES_FILE} is missing from this installation of deft_mmseg '
                                 f'(reinstall it; the wheel must carry reproduce/*.yaml).')
        with open(TABLES_FILE, encoding='utf-8') as f:
            raw = yaml.safe_load(f)
        for name, table in raw['tables'].items():
            _TABLES[name] = _table(name, table, raw['papers'])
    return _TABLES


def get_table(name: str) -> PaperTable:
    """The table called ``name``; an unknown name is a :class:`ReproduceError` listing them."""
    tables = load_paper_tables()
    if name in tables:
        return tables[name]
    import difflib
    close = difflib.get_close_matches(name, tables, n=1)
    hint = f' Did you mean {close[0]}?' if close else ''
    raise ReproduceError(f'unknown paper table {name!r}.{hint} Tables: {", ".join(tables)} '
                         f'(tools/reproduce.py --list).')
