"""Run the notebooks as `nbdev_test` does and keep what they printed, for the docs.

Each notebook runs top to bottom in its own IPython shell (execnb's `CaptureShell`, nbdev_test's own runner), with
nbdev_test's skip flags (settings.ini `tst_flags`) and `eval: false` cells skipped, in parallel, stopping a notebook
at its first error. On top of nbdev_test, after every exported function or class a `show_doc` cell is added (nbdev's
`add_show_docs`), so the run also renders the API reference, and the executed notebook is written to
`_proc/executed/<name>.ipynb` with the source notebook's hash: `tools/docs.py` builds the pages from these copies
(outputs from the `tiny` runs nbdev_test does anyway; never from a training run of its own).

    python tools/nbrun.py [--path nbs/30_sft.ipynb] [--n_workers 2] [--timing] [--out _proc/executed]
"""
import argparse, hashlib, os, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT/'_proc'/'executed'


def source_hash(path) -> str:
    "What an executed copy was made from: the notebook's bytes (the package it imports is exported from them)."
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def is_fresh(path, out=OUT) -> bool:
    "An executed copy of `path` exists and was made from the notebook as it is now."
    import json
    copy = Path(out)/Path(path).name
    if not copy.exists(): return False
    try: return json.loads(copy.read_text())['metadata'].get('curriculum_lab', {}).get('source_sha') == source_hash(path)
    except (ValueError, KeyError): return False


CLAIMS = 'NBRUN_CORE_CLAIMS'   # run_all's folder in which each pool worker claims a core


def pin_worker():
    "In a worker of `run_all`'s pool: take a core of its own, as tests/conftest.py does for pytest's workers (two notebooks each running torch on both cores slow each other far more than 2x)."
    claims = os.environ.get(CLAIMS)
    if not claims or not hasattr(os, 'sched_setaffinity') or len(os.sched_getaffinity(0)) < 2: return   # off, or pinned already
    for c in sorted(os.sched_getaffinity(0)):
        try: os.close(os.open(f'{claims}/core{c}', os.O_CREAT | os.O_EXCL))     # the first worker to ask gets core c
        except FileExistsError: continue
        os.sched_setaffinity(0, {c}); return


def run_nb(fn, skip_flags=(), out=OUT, showerr=True):
    "Run notebook `fn` like nbdev's `test_nb`, with show_doc cells added; write the executed copy on success."
    pin_worker()
    from execnb.nbio import write_nb
    from execnb.shell import CaptureShell
    from fastcore.basics import str2bool
    from fastcore.foundation import working_directory
    from nbdev.frontmatter import FrontmatterProc
    from nbdev.process import NBProcessor, nb_lang
    from nbdev.processors import add_show_docs, populate_language
    fn = Path(fn).absolute()
    if not os.environ.get('IN_NOTEBOOK'): os.environ['IN_TEST'] = '1'
    if str(ROOT) not in sys.path: sys.path.insert(0, str(ROOT))
    # directives stay in the source (they are comments to Python): tools/docs.py reads them when it builds the pages
    fm = getattr(NBProcessor(fn, procs=FrontmatterProc, process=True).nb, 'frontmatter_', {})   # skip_exec, as nbdev_test
    # the copy keeps the title cell (FrontmatterProc would make it Quarto's YAML) and its directives (comments to
    # Python): tools/docs.py reads them when it builds the pages
    nb = NBProcessor(fn, procs=[populate_language, add_show_docs], rm_directives=False, process=True).nb
    i = 0                                  # add_show_docs inserts a cell's names last-first: put them in source order
    while i < len(nb.cells):
        j = i
        while j < len(nb.cells) and getattr(nb.cells[j], 'has_sd', False): j += 1
        if j > i + 1: nb.cells[i:j] = nb.cells[i:j][::-1]
        i = max(j, i + 1)
    if str2bool(fm.get('skip_exec', False)) or nb_lang(nb) != 'python': return True, 0.0

    def _no_eval(cell):                                    # nbdev.test.test_nb's rule
        if cell.cell_type != 'code' or getattr(cell, 'has_sd', False): return True
        if 'nbdev_export' + '(' in cell.source: return True
        direc = getattr(cell, 'directives_', {}) or {}
        if direc.get('eval:', [''])[0].lower() == 'false': return True
        return set(skip_flags) & direc.keys()

    start = time.time()
    k = CaptureShell(fn)
    try:
        with working_directory(fn.parent):
            k.run_all(nb, exc_stop=True, preproc=_no_eval)
            # show_doc cells last, where they stand: an annotation may name a class defined further down
            k.run_cell('from nbdev.showdoc import show_doc')
            for cell in nb.cells:
                if getattr(cell, 'has_sd', False):
                    k.cell(cell)
                    if k.exc: raise k.exc
    except BaseException:
        if showerr: sys.stderr.write(k.prettytb(fname=fn) + '\n')
        return False, time.time() - start
    nb.metadata['curriculum_lab'] = {'source_sha': source_hash(fn), 'executed': time.strftime('%Y-%m-%d %H:%M:%S')}
    Path(out).mkdir(parents=True, exist_ok=True)
    tmp = Path(out)/f'.{fn.name}.tmp'
    write_nb(nb, tmp)
    os.replace(tmp, Path(out)/fn.name)                     # a killed run never leaves half a copy
    return True, time.time() - start


# The longest notebooks (`make nbtest --timing`, 2026-12-07: 45-47, 42, 26, 21-22, 18 s), started first: in name order
# 45_rft started last and the other worker sat idle while it ran.
LONGEST_FIRST = ('45_rft', '30_sft', '40_grpo', '22_arc_programs', '23_arc_edits', '02_decoding', '69_kernels', '31_curriculum')


def run_all(paths, n_workers=2, out=OUT, timing=False) -> bool:
    "Run `paths` in parallel (nbdev_test's `parallel`); print failures and, with `timing`, seconds per notebook."
    from fastcore.parallel import parallel
    from nbdev.config import get_config
    skip = get_config().tst_flags.split()
    paths = sorted((Path(p).absolute() for p in paths),
                   key=lambda p: (next((i for i, k in enumerate(LONGEST_FIRST) if p.stem == k), len(LONGEST_FIRST)), p.name))
    if not paths: print('nbrun: no notebooks to run'); return True
    import tempfile
    n = n_workers if len(paths) > 1 else 0             # 0: in this process
    with tempfile.TemporaryDirectory(prefix='nbrun-cores-') as claims:
        if n > 1: os.environ[CLAIMS] = claims          # the pool's workers inherit it and claim a core each
        try: res = parallel(run_nb, paths, skip_flags=skip, out=out, n_workers=n, pause=0.01)
        finally: os.environ.pop(CLAIMS, None)
    ok, times = zip(*res)
    if timing:
        for p, t in sorted(zip(paths, times), key=lambda o: -o[1]): print(f'{p.name}: {int(t)} secs')
    failed = [p.name for p, o in zip(paths, ok) if not o]
    if failed: sys.stderr.write('\nNotebooks that failed:\n\t' + '\n\t'.join(failed) + '\n')
    else: print(f'Success: {len(paths)} notebooks; executed copies in {Path(out).relative_to(ROOT) if Path(out).is_relative_to(ROOT) else out}')
    return not failed


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--path', nargs='*', help='notebooks to run (default: every notebook in nbs/)')
    ap.add_argument('--n_workers', type=int, default=2)
    ap.add_argument('--timing', action='store_true')
    ap.add_argument('--stale', action='store_true', help='only notebooks without a fresh executed copy')
    ap.add_argument('--out', default=str(OUT))
    a = ap.parse_args(argv)
    paths = [Path(p) for p in a.path] if a.path else sorted((ROOT/'nbs').glob('*.ipynb'))
    if a.stale: paths = [p for p in paths if not is_fresh(p, a.out)]
    sys.exit(0 if run_all(paths, a.n_workers, Path(a.out), a.timing) else 1)


if __name__ == '__main__':
    import nbrun                      # the workers unpickle `nbrun.run_nb`, not `__main__.run_nb`
    nbrun.main()
