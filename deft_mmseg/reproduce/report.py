"""A paper table with our numbers beside the paper's: JSON and markdown.

Each cell holds ours, the paper's and ours minus the paper's (mIoU, %). Ours come only from
``test_results.json`` of a finished test: a row whose training or test has not finished is marked
with how far it got, never filled in from a validation during training or a guess.
"""
import datetime
import platform
from typing import Dict, List, Optional

from .runs import RowPlan, display_command
from .tables import PaperTable

DEMO_NOTE = ('DEMO: tiny networks on the embedded demo data, {iters} iterations per training; '
             'ours are the demo\'s numbers (no difference to the paper is computed): they show '
             'that every row runs, not whether the paper reproduces.')


def _ours_for_column(plan: RowPlan, results: Optional[dict], domain: str) -> Optional[float]:
    """Our mIoU of the paper column's target domain. In a demo run the i-th target domain of
    the config is tested as the i-th demo domain (deft_mmseg.demo.make_demo_config); a column
    past the demo's domains has no number."""
    if results is None:
        return None
    run_domain = domain
    if plan.options.demo_iters is not None:
        i = plan.loaded.domains.index(domain)
        run_domain = plan.loaded.run_domains[i] if i < len(plan.loaded.run_domains) else None
    value = (results.get(run_domain) or {}).get('mIoU') if run_domain else None
    return None if value is None else float(value)


def row_report(plan: RowPlan, failed: Optional[str] = None) -> Dict:
    """One row of the JSON report."""
    table, row = plan.table, plan.row
    results = plan.results()
    ours_by_domain = {
        c.domain: _ours_for_column(plan, results, c.domain)
        for c in table.domain_columns
    }
    cells = []
    for column, paper in zip(table.columns, row.paper):
        if column.mean:
            values = list(ours_by_domain.values())
            ours = round(sum(values) / len(values), 2) if values and None not in values else None
        else:
            ours = ours_by_domain[column.domain]
        cell = dict(
            column=column.name,
            domain=column.domain,
            ours=ours,
            paper=paper,
            diff=round(ours - paper, 2)
            if ours is not None and paper is not None and plan.options.demo_iters is None else None,
            source=dict(
                paper=table.paper_title,
                file=table.paper_file,
                table=table.table,
                row=row.label,
                column=column.name) if paper is not None else None)
        if column.mean:
            cell['mean_of'] = [c.domain for c in table.domain_columns]
        elif plan.options.demo_iters is not None:
            i = plan.loaded.domains.index(column.domain)
            cell['demo_domain'] = (
                plan.loaded.run_domains[i] if i < len(plan.loaded.run_domains) else None)
        cells.append(cell)
    status = plan.status()
    if failed:
        status = f'failed ({failed})'
    elif status == 'training':
        status = f'training ({plan.iterations_done()}/{plan.loaded.total_iters} it)'
    elif status == 'trained':
        status = 'trained, not tested'
    return dict(
        id=row.id,
        label=row.label,
        config=f'configs/{row.config}',
        config_hash=plan.loaded.hash,
        test_cfg_options=row.test_cfg_options,
        status=status,
        finished=plan.tested(),
        iterations=[
            plan.iterations_done() if not plan.trained() else plan.loaded.total_iters,
            plan.loaded.total_iters
        ],
        cells=cells,
        note=row.note,
        work_dir=plan.run_dir,
        results_file=plan.results_file(),
        commands={s.kind: display_command(s.argv, s.env)
                  for s in plan.stages(resume=False)})


def table_report(table: PaperTable,
                 plans: List[RowPlan],
                 failed: Optional[Dict[str, str]] = None) -> Dict:
    """The JSON report of ``table`` for the planned rows."""
    failed = failed or {}
    rows = [row_report(p, failed.get(p.row.id)) for p in plans]
    options = plans[0].options if plans else None
    demo = options.demo_iters if options else None
    return dict(
        table=table.name,
        paper=table.paper_title,
        paper_name=table.paper_name,
        paper_digits=table.paper_digits,
        paper_file=table.paper_file,
        paper_table=table.table,
        title=table.title,
        metric='mIoU (%)',
        columns=[c.name for c in table.columns],
        paper_split=table.paper_split or None,
        note=table.note or None,
        not_run=table.not_run or None,
        demo=dict(iters=demo, note=DEMO_NOTE.format(iters=demo)) if demo is not None else None,
        finished_rows=sum(r['finished'] for r in rows),
        total_rows=len(rows),
        rows=rows,
        cfg_options=list(options.cfg_options) if options else [],
        generated=datetime.datetime.now().isoformat(timespec='seconds'),
        machine=f'{platform.node()} ({platform.machine()}, Python {platform.python_version()})')


def _number(value: Optional[float], digits: int = 2, sign: bool = False) -> str:
    if value is None:
        return '—'
    return f'{value:+.{digits}f}' if sign else f'{value:.{digits}f}'


def format_markdown(report: Dict, runs: bool = True) -> str:
    """The report as a markdown table (cells: ``ours / paper (ours - paper)``) and, with
    ``runs``, a list of the commands and config hashes."""
    lines = [
        f'## {report["table"]}: {report["paper_name"]} paper, {report["paper_table"]}', '',
        f'{report["title"]} ({report["paper"]}). Each cell: ours / paper (ours - paper), '
        f'{report["metric"]}; {report["finished_rows"]} of {report["total_rows"]} rows '
        f'finished.'
    ]
    if report['demo']:
        lines += ['', f'**{report["demo"]["note"]}**']
        mapping = [
            f'{c["column"]} = {c.get("demo_domain") or "(none: the demo has 3 domains)"}'
            for c in report['rows'][0]['cells'] if c['domain']
        ] if report['rows'] else []
        if mapping:
            lines.append(f'Demo domains: {", ".join(mapping)}.')
    if report['paper_split']:
        lines += [
            '', f'The paper\'s numbers are on {report["paper_split"]}; ours on the '
            f'validation split.'
        ]
    if report['note']:
        lines += ['', f'Note: {report["note"]}']
    lines += [
        '', '| row | ' + ' | '.join(report['columns']) + ' | status |',
        '| --- |' + ' ---: |' * len(report['columns']) + ' --- |'
    ]
    for row in report['rows']:
        cells = []
        for cell in row['cells']:
            ours = _number(cell['ours'])
            paper = _number(cell['paper'], report['paper_digits'])
            diff = f' ({_number(cell["diff"], sign=True)})' if cell['diff'] is not None else ''
            cells.append(f'{ours} / {paper}{diff}')
        lines.append(f'| {row["label"]} | ' + ' | '.join(cells) + f' | {row["status"]} |')
    if report['not_run']:
        lines += ['', f'Rows of the paper not run here: {report["not_run"]}']
    if not runs:
        return '\n'.join(lines) + '\n'
    lines += ['', '### Runs', '']
    for row in report['rows']:
        options = ''.join(f' {k}={v}' for k, v in row['test_cfg_options'].items())
        lines.append(f'- **{row["id"]}**: `{row["config"]}` (config hash {row["config_hash"]}' +
                     (f'; test with{options}' if options else '') + f'), `{row["work_dir"]}`')
        for kind, command in row['commands'].items():
            lines.append(f'  - {kind}: `{command}`')
    lines += ['', f'Generated {report["generated"]} on {report["machine"]}.']
    return '\n'.join(lines) + '\n'
