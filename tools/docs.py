"""Build the documentation site: the notebooks as nbdev processes them, with their outputs, then mkdocs.

    python tools/docs.py [--site _site] [--no-run] [--results DIR ...]

1. Executed copies (`tools/nbrun.py`, what `make nbtest` writes to `_proc/executed/`) are made for every notebook
   that has none or has changed since: the outputs are those of the lesson cells on the `tiny` model, never a
   training run of the docs' own.
2. nbdev's notebook processors turn each copy into a page (`_proc/docs/`): `#| export`, `#| hide` and
   `#| default_exp` cells are dropped, a `show_doc` (signature and docstring) follows every exported name, the
   remaining `#| ` directive lines are stripped, `show_doc` inputs hidden, progress-bar output collapsed; a module's
   page opens with a table of its API (signature and first docstring line of every exported name, linked).
3. A results page from run folders (`papermill_runs/out/*/results.md` and their plots, or `--results DIR`).
4. `mkdocs build --strict` (mkdocs-jupyter renders the pages; Quarto, which nbdev_docs needs, is not offline).
"""
import argparse, os, re, shutil, subprocess, sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import nbrun  # noqa: E402

ROOT = nbrun.ROOT
PROC = ROOT/'_proc'/'docs'
HIDE_INPUT = 'hide_input'        # mkdocs.yml: remove_tag_config.remove_input_tags
_QUARTO = re.compile(r'^\s*#\|\s*([\w-]+)\s*:\s*(.*?)\s*$')
_DIRECTIVE = re.compile(r'^\s*#\|')


def for_mkdocs(cell):
    "Last processor: what Quarto would do with the `#| key: value` lines nbdev leaves (mkdocs knows none of them)."
    if cell.cell_type != 'code' or not cell.get('source'): return
    lines = cell.source.splitlines()
    opts = dict(m.groups() for m in map(_QUARTO.match, lines) if m)
    cell.source = '\n'.join(l for l in lines if not _DIRECTIVE.match(l)).strip('\n')
    if opts.get('include') == 'false': del cell['source']; return
    if opts.get('echo') == 'false' or not cell.source.strip():
        cell.metadata.setdefault('tags', []).append(HIDE_INPUT)
    if opts.get('output') == 'false': cell['outputs'] = []
    for o in cell.get('outputs', []):
        if o.get('output_type') == 'stream': o['text'] = squeeze_stream(''.join(o['text']))
        md = o.get('data', {}).get('text/markdown')
        if md:   # show_doc's [source] link: this project has no public repository (settings.ini git_url)
            o['data']['text/markdown'] = re.sub(r'^\[source\]\(https?://example\.invalid[^\n]*\n', '', ''.join(md), flags=re.M)


def squeeze_stream(text: str, head: int = 20, tail: int = 20) -> str:
    "Progress bars as the terminal showed them (the last state of each `\\r` line); long logs cut in the middle."
    lines = [l.rsplit('\r', 1)[-1] for l in re.sub(r'\r+\n', '\n', text).split('\n')]
    if len(lines) > head + tail + 1:
        lines = lines[:head] + [f'... ({len(lines) - head - tail} lines) ...'] + lines[-tail:]
    return '\n'.join(lines)


def procs():
    from nbdev.processors import (add_show_docs, clean_magics, clean_show_doc, filter_stream_, hide_, hide_line,
                                  mv_exports, populate_language, rm_export, rm_header_dash, strip_ansi,
                                  strip_hidden_metadata)
    # nbdev's FilterDefaults.base_procs minus what only Quarto uses (FrontmatterProc: the title cell becomes YAML;
    # insert_warning, add_fold), minus exec_show_docs (nbrun ran the show_doc cells already) and add_links (its links
    # point at doc_host's Quarto URLs).
    return [populate_language, add_show_docs, strip_ansi, hide_line, filter_stream_,
            rm_header_dash, clean_show_doc, rm_export, clean_magics, hide_, mv_exports, strip_hidden_metadata,
            for_mkdocs]


def compact_signature(name: str, code: str) -> str:
    "`def f(a:int=1, # comment ...)->T:` as show_doc prints it -> `f(a=1, ...)`: names and defaults, no annotations."
    import ast
    try: f = ast.parse(code.strip() + '\n    ...').body[0]
    except SyntaxError: return name
    a = f.args
    pos = a.posonlyargs + a.args
    defaults = [None] * (len(pos) - len(a.defaults)) + a.defaults
    short = lambda d: (lambda t: t if len(t) <= 24 else t[:21] + '...')(ast.unparse(d))
    parts = [x.arg if d is None else f'{x.arg}={short(d)}' for x, d in zip(pos, defaults) if x.arg not in ('self', 'cls')]
    if a.vararg: parts.append('*' + a.vararg.arg)
    elif a.kwonlyargs: parts.append('*')
    parts += [x.arg if d is None else f'{x.arg}={short(d)}' for x, d in zip(a.kwonlyargs, a.kw_defaults)]
    if a.kwarg: parts.append('**' + a.kwarg.arg)
    return f"{name}({', '.join(parts)})"


_SD = re.compile(r'^#{2,4} (?P<name>\S+)\s*\n+```python\n(?P<code>.*?)```(?P<rest>.*)', re.S | re.M)


def _inline_code(s: str) -> str: return re.sub(r'`([^`]+)`', r'<code>\1</code>', s)


def api_cell(nb, module: str):
    "The page's API at a glance, right under its title: every exported name, its signature and docstring's first line."
    import html
    from execnb.nbio import mk_cell
    rows = []
    for c in nb.cells:
        if c.cell_type != 'code' or not c.get('source', '').startswith('show_doc(') or not c.get('outputs'): continue
        m = _SD.search(''.join(c.outputs[0].get('data', {}).get('text/markdown', '')))
        if not m: continue
        doc = re.search(r'^\*(.+)\*\s*$', m['rest'], re.M)
        rows.append(f'<tr><td><a href="#{html.escape(m["name"].lower())}"><code>'
                    f'{html.escape(compact_signature(m["name"], m["code"]))}</code></a></td>'
                    f'<td>{_inline_code(html.escape(doc[1])) if doc else ""}</td></tr>')
    if not rows: return None
    return mk_cell(f'<div class="lab-api"><table><thead><tr><th>API of <code>curriculum_lab.{html.escape(module)}</code></th>'
                   f'<th></th></tr></thead><tbody>{"".join(rows)}</tbody></table></div>', 'markdown')


def page(executed: Path, dest: Path):
    "One executed notebook -> one page notebook (a module's page opens with its API table)."
    from execnb.nbio import read_nb, write_nb
    from nbdev.process import NBProcessor
    from nbdev.processors import _default_exp
    nb = read_nb(executed)
    module = _default_exp(nb)
    NBProcessor(nb=nb, procs=procs(), process=True)
    api = api_cell(nb, module) if module else None
    if api is not None:
        first = next((i for i, c in enumerate(nb.cells) if c.cell_type == 'markdown'), -1)
        nb.cells.insert(first + 1, api)
    nb.metadata.pop('curriculum_lab', None)
    write_nb(nb, dest)


def results_page(dirs, dest: Path) -> int:
    "results.md: each run folder's results table and plots, newest experiment first. Returns how many folders."
    found = [Path(d) for d in dirs if (Path(d)/'results.md').exists()]
    found.sort(key=lambda d: -(d/'results.md').stat().st_mtime)
    out = ['# Results', '',
           '> What the lab\'s experiments measured: each run folder\'s table (accuracy with 95 % intervals) and plots.', '',
           'Built by `make docs` from the run folders under `papermill_runs/out/` (or `tools/docs.py --results DIR`). '
           'What each run means and how it was read is in the [lab log](LOG.md).', '']
    if not found:
        out += ['No run folder here yet. Run an experiment, e.g. `make demo` (about 10 minutes on a 2-core CPU) or '
                '`python -m curriculum_lab.runs seed001_exp2`, then `make docs` again.', '']
    for d in found:
        body = (d/'results.md').read_text()
        body = re.sub(r'^# ', '## ', body, flags=re.M)              # each experiment is a section of this page
        out += [body.rstrip(), '', f'Run folder: `{d.relative_to(ROOT) if d.is_relative_to(ROOT) else d}`', '']
        for png in sorted((d/'plots').glob('*.png')):
            rel = Path('results')/d.name/png.name
            (dest.parent/rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(png, dest.parent/rel)
            out += [f'![{d.name}: {png.stem}]({rel.as_posix()})', '']
    dest.write_text('\n'.join(out))
    return len(found)


def build(site: Path, run: bool = True, results=None, n_workers: int = 2) -> Path:
    "Everything `make docs` does; returns the site folder."
    nbs = sorted((ROOT/'nbs').glob('*.ipynb'))
    stale = [p for p in nbs if not nbrun.is_fresh(p)]
    if stale:
        if not run: raise SystemExit(f'docs: no fresh executed copy of {", ".join(p.name for p in stale)}: '
                                     'run `make nbtest` (or drop --no-run)')
        print(f'docs: running {len(stale)} notebook(s) for their outputs (tiny model): {", ".join(p.stem for p in stale)}')
        if not nbrun.run_all(stale, n_workers=n_workers): raise SystemExit('docs: a notebook failed (see above)')
    tmp = PROC.with_name('docs.tmp')
    shutil.rmtree(tmp, ignore_errors=True); tmp.mkdir(parents=True)
    for p in nbs: page(nbrun.OUT/p.name, tmp/p.name)
    for extra in ['LOG.md', 'images']:
        src = ROOT/'nbs'/extra
        if src.is_dir(): shutil.copytree(src, tmp/extra)
        elif src.exists(): shutil.copy2(src, tmp/extra)
    shutil.copy2(ROOT/'tools'/'docs.css', tmp/'docs.css')
    dirs = results if results is not None else sorted(p.parent for p in (ROOT/'papermill_runs'/'out').glob('*/results.md'))
    n = results_page(dirs, tmp/'results.md')
    shutil.rmtree(PROC, ignore_errors=True); os.replace(tmp, PROC)
    env = {**os.environ, 'NO_MKDOCS_2_WARNING': '1'}
    subprocess.run([str(Path(sys.executable).parent/'mkdocs'), 'build', '--strict', '--quiet', '-f', str(ROOT/'mkdocs.yml'),
                    '--site-dir', str(Path(site).absolute())], check=True, cwd=ROOT, env=env)
    print(f'docs: {len(nbs)} notebook pages, results from {n} run folder(s): {Path(site)/"index.html"}')
    return Path(site)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--site', default=str(ROOT/'_site'))
    ap.add_argument('--no-run', action='store_true', help='fail instead of running notebooks without a fresh executed copy')
    ap.add_argument('--results', nargs='*', help='run folders for the results page (default: papermill_runs/out/*)')
    ap.add_argument('--n_workers', type=int, default=2)
    a = ap.parse_args(argv)
    build(Path(a.site), not a.no_run, a.results, a.n_workers)


if __name__ == '__main__': main()
