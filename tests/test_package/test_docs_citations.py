"""Papers are cited by name: a user who clones the repository has no numbered paper folder."""
import os
import re

from repo_paths import REPO

NUMBERED = re.compile(r'[Pp]aper 00[0-9]|shared/papers')


def test_no_numbered_paper_references():
    found = []
    for top in ('deft_mmseg', 'docs', 'configs', 'tools', 'benchmarks', 'README.md'):
        path = os.path.join(REPO, top)
        files = [path] if os.path.isfile(path) else [
            os.path.join(root, f) for root, _, names in os.walk(path) for f in names
            if f.endswith(('.py', '.md'))
        ]
        for f in files:
            with open(f, encoding='utf-8') as fh:
                for i, line in enumerate(fh, 1):
                    if NUMBERED.search(line):
                        found.append(f'{os.path.relpath(f, REPO)}:{i}: {line.strip()}')
    assert not found, 'cite papers by name (docs/papers.md):\n' + '\n'.join(found[:20])
    with open(os.path.join(REPO, 'docs', 'papers.md'), encoding='utf-8') as fh:
        papers = fh.read()
    for name in ('DeFT paper', 'Rein paper', 'FisherTune paper', 'VLTSeg paper'):
        assert f'**{name}**' in papers
