"""The documentation site as a reader sees it (every module page opens with its API, figures render, nothing cut off): built as `make docs` builds it, served on 127.0.0.1, opened in headless
Chromium (Debian's chromium + chromedriver, installed by `make browser`).

Screenshots of the index, the plots page, a task page and the results page go to `_proc/screenshots/` for a developer to look at.
"""
import json, shutil, socket, subprocess, sys, time, urllib.error, urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.xdist_group('docs')     # one worker builds and serves the site once

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT/'tools'))
import docs, nbrun  # noqa: E402

SHOTS = ROOT/'_proc'/'screenshots'
SHOT_PAGES = {'index': '', 'plots': '03_plots/', 'task': '11_strings/', 'results': 'results/'}


def _nb(name): return json.loads((nbrun.OUT/f'{name}.ipynb').read_text())


def _makes_figure(name) -> bool:
    return any('image/png' in o.get('data', {}) for c in _nb(name)['cells'] for o in c.get('outputs', []))


def _public_exports(name) -> list[str]:
    "Names add_show_docs documents: public functions and classes of the notebook's exported cells."
    import ast
    out = []
    for c in json.loads((ROOT/'nbs'/f'{name}.ipynb').read_text())['cells']:
        s = ''.join(c['source'])
        if c['cell_type'] != 'code' or not s.startswith('#| export'): continue
        for node in ast.parse(s).body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and not node.name.startswith('_'):
                if not any(getattr(d, 'id', getattr(d, 'attr', '')) in ('patch', 'delegates') for d in node.decorator_list):
                    out.append(node.name)
    return out


@pytest.fixture(scope='module')
def site(tmp_path_factory):
    "The site built from the executed notebooks (make nbtest's copies; stale ones are run first), served locally."
    for tool in ('chromium', 'chromedriver'):
        if not shutil.which(tool): pytest.fail(f'{tool} not found: run `make browser` (apt-get install chromium chromium-driver)')
    # a real run folder for the results page: a tiny SFT run through the experiment runner (results.md + its plot)
    from curriculum_lab.runs import run_experiment
    runs = tmp_path_factory.mktemp('runs')/'tiny_sft'
    run_experiment({'name': 'tiny_sft', 'description': 'one SFT run on tiny, for the docs check',
                    'defaults': {'task': 'arithmetic', 'seed': 0},
                    'runs': [{'name': 'sft', 'notebook': '30_sft', 'parameters': {
                        'base_model': 'tiny', 'train_samples': 16, 'eval_samples': 4, 'max_length': 128,
                        'eval_max_new_tokens': 8, 'batch_size': 8}}]}, runs, progress=False)
    d = docs.build(tmp_path_factory.mktemp('site')/'site', results=[runs])
    s = socket.socket(); s.bind(('127.0.0.1', 0)); port = s.getsockname()[1]; s.close()
    srv = subprocess.Popen([sys.executable, '-m', 'http.server', str(port), '--bind', '127.0.0.1', '--directory', str(d)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f'http://127.0.0.1:{port}/'
    try:
        for _ in range(100):
            try: urllib.request.urlopen(base, timeout=1); break
            except OSError: time.sleep(0.1)
        else: pytest.fail('the local http.server did not answer')
        yield base, d
    finally:
        srv.terminate(); srv.wait(10)


@pytest.fixture(scope='module')
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    o = webdriver.ChromeOptions()
    o.binary_location = shutil.which('chromium')
    for a in ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--window-size=1280,1000']:
        o.add_argument(a)
    b = webdriver.Chrome(service=Service(shutil.which('chromedriver')), options=o)
    try: yield b
    finally: b.quit()


def _open(browser, url):
    browser.get(url)
    for _ in range(50):
        if browser.execute_script('return document.readyState') == 'complete': break
        time.sleep(0.1)
    return browser


# what a reader sees on a page, measured in the browser
PAGE_JS = r"""
const imgs = [...document.querySelectorAll('article img')];
const pres = [...document.querySelectorAll('article pre')];
return {
  text: document.querySelector('article').innerText,
  directive_lines: pres.map(p => p.innerText).filter(t => /^\s*#\|/m.test(t)).map(t => t.slice(0, 80)),
  links: [...document.querySelectorAll('a[href]')].map(a => a.href),
  figures: imgs.filter(i => i.complete && i.naturalWidth > 0).length,
  broken_images: imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src.slice(0, 80)),
  cut_off: pres.filter(p => p.scrollWidth > p.clientWidth + 1 && getComputedStyle(p).overflowX !== 'auto'
                            && getComputedStyle(p).overflowX !== 'scroll').length,
  page_wider_than_window: document.documentElement.scrollWidth > window.innerWidth + 1,
  output_tables: document.querySelectorAll('article .jp-OutputArea table').length,
  api: [...document.querySelectorAll('article .lab-api a')].map(a => ({
      text: a.innerText, target: !!document.getElementById(decodeURIComponent(a.hash.slice(1))),
      first: !document.querySelector('article .jp-OutputArea h3, article .jp-OutputArea h4')
             || !!(a.compareDocumentPosition(document.querySelector('article .jp-OutputArea h3, article .jp-OutputArea h4'))
                   & Node.DOCUMENT_POSITION_FOLLOWING)})),
  signatures: [...document.querySelectorAll('article .jp-OutputArea h3, article .jp-OutputArea h4')].map(h => h.innerText.replace(/[¶#]/g, '').trim()),
};
"""


def test_pages_in_a_browser(site, browser):
    base, d = site
    pages = sorted(p.parent.name for p in d.glob('*/index.html') if (ROOT/'nbs'/f'{p.parent.name}.ipynb').exists())
    assert len(pages) == len(list((ROOT/'nbs').glob('[0-9]*.ipynb'))), pages
    SHOTS.mkdir(parents=True, exist_ok=True)
    links, seen = set(), {}
    for name in ['', 'results/', 'LOG/', *[f'{p}/' for p in pages]]:
        info = _open(browser, base + name).execute_script(PAGE_JS)
        seen[name] = info
        where = name or 'index'
        assert not info['directive_lines'], f'{where}: nbdev directives shown to the reader: {info["directive_lines"]}'
        assert not info['broken_images'], f'{where}: images that do not load: {info["broken_images"]}'
        assert info['cut_off'] == 0 and not info['page_wider_than_window'], f'{where}: content cut off at the right edge'
        links |= {u.split('#')[0] for u in info['links'] if u.startswith(base)}
        for shot, page in SHOT_PAGES.items():
            if page == name: browser.save_screenshot(str(SHOTS/f'{shot}.png'))
    bad = []
    for u in sorted(links):
        try: urllib.request.urlopen(u, timeout=5)
        except urllib.error.HTTPError as e: bad.append((u, e.code))
    assert not bad, f'broken internal links: {bad}'
    for p in pages:
        info = seen[f'{p}/']
        if _makes_figure(p): assert info['figures'] >= 1, f'{p}: the notebook makes a figure, the page shows none'
        want = _public_exports(p)
        missing = [n for n in want if n not in info['signatures']]
        assert not missing, f'{p}: exported without a rendered signature: {missing}'
        # the page opens with its API: every exported name's signature, before the first documented definition,
        # each linked to its definition further down
        listed = {a['text'].split('(')[0] for a in info['api']}
        assert set(want) <= listed, f'{p}: not in the API table at the top: {sorted(set(want) - listed)}'
        assert all(a['first'] and a['target'] for a in info['api']), f'{p}: API table misplaced or dangling: {info["api"][:3]}'
    assert seen['03_plots/']['figures'] >= 3
    assert seen['results/']['figures'] >= 1 and 'tiny_sft' in seen['results/']['text'], 'the results page lacks the run folder'
    assert seen['25_evaluation/']['output_tables'] >= 1, 'the evaluation page shows no metrics table'
    for shot in SHOT_PAGES: assert (SHOTS/f'{shot}.png').stat().st_size > 10_000
    print(f'\nscreenshots: {SHOTS}')


def test_stream_output_is_squeezed_like_a_terminal():
    bar = 'train:  10%|#         | 1/10\rtrain:  50%|#####     | 5/10\rtrain: 100%|##########| 10/10\r\nnext line\n'
    assert docs.squeeze_stream(bar) == 'train: 100%|##########| 10/10\nnext line\n'
    long = '\n'.join(f'line {i}' for i in range(100))
    out = docs.squeeze_stream(long, head=3, tail=2).split('\n')
    assert out == ['line 0', 'line 1', 'line 2', '... (95 lines) ...', 'line 98', 'line 99']


def test_compact_signature_keeps_names_and_defaults():
    code = "def f(\n    a:int, # first\n    b:str | None='x', # second\n    *, c:float=0.5, **kw,\n)->dict:\n"
    assert docs.compact_signature('f', code) == "f(a, b='x', *, c=0.5, **kw)"
    assert docs.compact_signature('Task.row', 'def row(\n    self, i:int=0\n):\n') == 'Task.row(i=0)'
    assert docs.compact_signature('broken', 'not python(') == 'broken'
