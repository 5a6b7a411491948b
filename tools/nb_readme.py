#!/usr/bin/env python
"""Write README.md from nbs/index.ipynb: the offline stand-in for `nbdev_readme`.

`nbdev_readme` renders with Quarto, which cannot be installed offline. This does the same for a
notebook of markdown and code: hidden cells (`#| hide`) are dropped, `#|` directives are removed,
code becomes fenced python, small text outputs are kept. `--check` fails if README.md is stale.
"""
import json, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEADER = '<!-- generated from nbs/index.ipynb by tools/nb_readme.py (make readme); edit the notebook, not this file -->\n\n'

def render(nb_path: Path) -> str:
    nb = json.loads(nb_path.read_text(encoding='utf-8'))
    parts = []
    for c in nb['cells']:
        src = ''.join(c['source'])
        lines = src.splitlines()
        directives = [l.strip() for l in lines if l.strip().startswith('#|')]
        if any(d.replace(' ', '') in ('#|hide', '#|exporti', '#|include:false') for d in directives): continue
        body = '\n'.join(l for l in lines if not l.strip().startswith('#|')).strip()
        if not body: continue
        if c['cell_type'] == 'markdown': parts.append(body)
        elif c['cell_type'] == 'code':
            parts.append(f'```python\n{body}\n```')
            for o in c.get('outputs', []):
                txt = ''.join(o.get('text', '') or o.get('data', {}).get('text/plain', ''))
                if txt.strip(): parts.append('    ' + txt.rstrip().replace('\n', '\n    '))
    return HEADER + '\n\n'.join(parts) + '\n'

def main():
    out = ROOT/'README.md'
    text = render(ROOT/'nbs'/'index.ipynb')
    if '--check' in sys.argv:
        if not out.exists() or out.read_text(encoding='utf-8') != text:
            sys.exit('FAILED: README.md is not in sync with nbs/index.ipynb. Fix: run `make readme` and commit README.md')
        print('ok: README.md in sync with nbs/index.ipynb')
    else:
        out.write_text(text, encoding='utf-8'); print(f'wrote {out}')

if __name__ == '__main__': main()
