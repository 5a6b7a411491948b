"The project's own contracts: notebook shape, parameters tag kept by nbdev_clean, validated papermill parameters."
import json, shutil, subprocess, sys
from pathlib import Path

import nbformat, papermill as pm, pytest

ROOT = Path(__file__).resolve().parents[1]
NBS = sorted((ROOT/'nbs').glob('[0-9]*.ipynb'))
BIN = Path(sys.executable).parent

def cells(nb): return json.loads(Path(nb).read_text())['cells']
def src(c): return ''.join(c['source'])

def test_numbered_notebooks_exist():
    assert {p.stem for p in NBS} >= {'00_core', '01_models'}

@pytest.mark.parametrize('nb', NBS, ids=lambda p: p.stem)
def test_notebook_shape(nb):
    "Title + summary first; a module notebook has one default_exp and checks its examples; a stage notebook has parameters."
    cs = cells(nb)
    assert cs[0]['cell_type'] == 'markdown' and src(cs[0]).startswith('# ') and '\n> ' in src(cs[0])
    exp = [src(c) for c in cs if c['cell_type'] == 'code' and '#| default_exp' in src(c)]
    assert len(exp) <= 1
    assert not any('nbdev_export()' in src(c) for c in cs if c['cell_type'] == 'code')
    assert nb.stat().st_size < 1_000_000
    if exp:
        mod = exp[0].split('default_exp')[1].strip()
        assert (ROOT/'curriculum_lab'/f'{mod}.py').exists()
    else:   # a stage notebook: papermill runs it with parameters
        assert any('parameters' in c.get('metadata', {}).get('tags', []) for c in cs), 'a notebook without a module is a papermill stage'

LONG = 60   # lines: an export cell longer than this needs its checked example right after it
CHECK = ('test_eq(', 'test_fail(', 'test_close(', 'test_ne(', 'assert ')
# Known debt (issue: lesson-shaped notebooks), listed so that it can only shrink: each entry must still be a long,
# unchecked export cell, and no new one may appear.
KNOWN_LONG = {('21_sandbox', 'class OutputLimitExceeded'), ('21_sandbox', 'CLONE_NEWNET = ')}   # code that runs in forked children

def _long_unchecked(nb) -> set:
    cs = [c for c in cells(nb) if c['cell_type'] == 'code']
    out = set()
    for i, c in enumerate(cs):
        s = src(c)
        if s.startswith('#| export') and len(s.splitlines()) > LONG:
            after = []                                   # the next two code cells, up to the next export cell
            for d in cs[i + 1:i + 3]:
                if src(d).startswith('#| export'): break
                after.append(src(d))
            if not any(k in t for t in after for k in CHECK): out.add((nb.stem, s.splitlines()[1][:30]))
    return out

def test_long_export_cells_are_followed_by_a_checked_example():
    "A reader meets an example and a check right after every long export cell (no 150-line cell without one)."
    found = set().union(*(_long_unchecked(nb) for nb in NBS))
    new = sorted(x for x in found if not any(x[0] == k[0] and x[1].startswith(k[1][:30]) for k in KNOWN_LONG))
    assert not new, f'long export cells without a checked example right after them: {new}'
    fixed = sorted(k for k in KNOWN_LONG if not any(x[0] == k[0] and x[1].startswith(k[1][:30]) for x in found))
    assert not fixed, f'these are fixed now: remove them from KNOWN_LONG: {fixed}'

def test_parameters_cells_parse_with_papermills_own_parser():
    "Every parameter of a stage notebook is listed by papermill.inspect_notebook with its type: no false warnings in run logs."
    import ast
    for nb in NBS:
        cell = next((c for c in cells(nb) if 'parameters' in c.get('metadata', {}).get('tags', [])), None)
        if cell is None: continue
        declared = {n.target.id: ast.unparse(n.annotation) for n in ast.parse(src(cell)).body if isinstance(n, ast.AnnAssign)}
        seen = {k: v['inferred_type_name'] for k, v in pm.inspect_notebook(str(nb)).items()}
        assert seen == declared, (nb.name, {k: (v, seen.get(k)) for k, v in declared.items() if seen.get(k) != v})

def test_no_module_imports_another_modules_private_names():
    import re
    for f in [*NBS, *(ROOT/'tests').glob('*.py'), *(ROOT/'bench').glob('*.py')]:
        text = '\n'.join(src(c) for c in cells(f) if c['cell_type'] == 'code') if f.suffix == '.ipynb' else f.read_text()
        for m in re.finditer(r'from\s+curriculum_lab\.(\w+)\s+import\s+\(?([^)\n]*(?:\n[^)\n]*)*?)\)?\s*$', text, re.M):
            private = [n.strip() for n in m[2].replace('\n', ' ').split(',') if n.strip().startswith('_')]
            assert not private, f'{f.name} imports private {private} from curriculum_lab.{m[1]}'

def _exports(nb) -> str | None:
    for c in cells(nb):
        if c['cell_type'] == 'code' and '#| default_exp' in src(c): return src(c).split('default_exp')[1].split()[0]
    return None

def test_notebooks_import_only_from_earlier_ones():
    "ARCHITECTURE.md: later notebooks import only from earlier ones (so they read, and export, top to bottom)."
    import re
    order = {_exports(nb): i for i, nb in enumerate(NBS) if _exports(nb)}
    for i, nb in enumerate(NBS):
        text = '\n'.join(src(c) for c in cells(nb) if c['cell_type'] == 'code')
        used = set(re.findall(r'(?:from|import)\s+curriculum_lab\.(\w+)', text))
        later = sorted(m for m in used if m in order and order[m] > i)
        assert not later, f'{nb.name} imports {later}, which later notebooks define'

def test_parameters_tag_survives_nbdev_clean(tmp_path):
    "nbdev_clean must keep papermill's `parameters` tag (settings.ini: allowed_cell_metadata_keys = tags)."
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell('x: int = 1', metadata={'tags': ['parameters'], 'collapsed': True},
                                          execution_count=3)]
    dst = ROOT/'nbs'/f'_tmp_clean_test_{tmp_path.name}.ipynb'
    nbformat.write(nb, dst)
    try:
        r = subprocess.run([BIN/'nbdev_clean', '--fname', str(dst)], cwd=ROOT, capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        c = json.loads(dst.read_text())['cells'][0]
        assert c['metadata'] == {'tags': ['parameters']}     # tag kept, noise removed
        assert c['execution_count'] is None
    finally: dst.unlink(missing_ok=True)


def _param_notebook(path):
    nb = nbformat.v4.new_notebook()
    nb.metadata['kernelspec'] = {'name': 'python3', 'display_name': 'Python 3', 'language': 'python'}
    nb.cells = [nbformat.v4.new_code_cell('import math\nfrom curriculum_lab.core import notebook_params'),
                nbformat.v4.new_code_cell('train_samples: int = 8   # examples\nlearning_rate: float = 1e-4  # lr\ntask: str = "arithmetic"',
                                          metadata={'tags': ['parameters']}),
                nbformat.v4.new_code_cell('params = notebook_params(globals())\nprint(sorted(params.items()))')]
    nbformat.write(nb, path)
    return path

STAGES = ('16_datasets', '30_sft', '31_curriculum', '40_grpo', '45_rft', '46_arc_search', '50_eval')

def test_every_stage_notebook_refuses_an_unknown_parameter(tmp_path, monkeypatch):
    "Each stage notebook's cells up to its parameter check, run as papermill runs them with a misspelled -p (one process for all)."
    import json as _json
    from curriculum_lab.core import LabError
    monkeypatch.chdir(tmp_path)
    found = sorted(p.stem for p in (ROOT/'nbs').glob('[0-9]*.ipynb') if '"parameters"' in p.read_text())
    assert found == sorted(STAGES), found      # a new stage notebook joins this test
    for name in STAGES:
        cells = [c for c in _json.loads((ROOT/'nbs'/f'{name}.ipynb').read_text())['cells'] if c['cell_type'] == 'code']
        i = next(k for k, c in enumerate(cells) if 'parameters' in c['metadata'].get('tags', []))
        ns = {'__name__': f'stage_{name}'}
        for c in cells[:i + 1]: exec(compile(''.join(c['source']), f'{name}.ipynb', 'exec'), ns)
        exec('trian_samples = 8', ns)                                    # papermill's injected-parameters cell
        with pytest.raises(LabError, match=r"unknown parameter\(s\) \['trian_samples'\]"):
            exec(compile(''.join(cells[i + 1]['source']), f'{name}.ipynb', 'exec'), ns)

def test_papermill_parameters_validated(tmp_path):
    nb = _param_notebook(tmp_path/'p.ipynb')
    out = pm.execute_notebook(str(nb), str(tmp_path/'ok.ipynb'), parameters={'train_samples': 512},
                              progress_bar=False, kernel_name='python3')
    printed = out.cells[-1].outputs[0]['text']
    assert "('train_samples', 512)" in printed and "('learning_rate', 0.0001)" in printed
    with pytest.raises(pm.PapermillExecutionError, match=r"unknown parameter\(s\) \['train_sample'\]"):
        pm.execute_notebook(str(nb), str(tmp_path/'bad.ipynb'), parameters={'train_sample': 512},
                            progress_bar=False, kernel_name='python3')
    with pytest.raises(pm.PapermillExecutionError, match='expected int'):
        pm.execute_notebook(str(nb), str(tmp_path/'bad2.ipynb'), parameters={'train_samples': 'lots'},
                            progress_bar=False, kernel_name='python3')

def test_readme_mentions_the_two_commands():
    text = (ROOT/'README.md').read_text()
    assert 'make demo' in text and 'make test' in text
    assert 'make test' in (ROOT/'.ci'/'run').read_text()

# What a stage notebook declares that its trainer does not (and why), and the notebook's own example where the two differ.
NOTEBOOK_ONLY = {'30_sft': {'lora_r', 'lora_alpha'}, '40_grpo': {'prep_samples', 'lora_r', 'lora_alpha'},
                 '45_rft': {'action', 'data_file', 'max_attempts', 'trace_batch_size', 'lora_r', 'lora_alpha'}}
OWN_EXAMPLE = {'30_sft': set(),
               '40_grpo': {'task_config', 'format', 'reward_weights'},   # the headline's task: arithmetic tiers 1-3, gsm, +1/0/-1
               '45_rft': {'task_config', 'temperature', 'n'}}   # seed 000's Stage-1 prompts; None: 1.0 (rft) or 0.8 (traces), $TRAIN_SAMPLES or 64

@pytest.mark.parametrize('nb', sorted(NOTEBOOK_ONLY))
def test_notebook_and_trainer_declare_the_same_defaults(nb):
    "One set of defaults: every parameter a stage notebook and its trainer both declare has the same default, and the notebook declares nothing the trainer does not take but its own few."
    from curriculum_lab.core import notebook_parameters
    from curriculum_lab.training import declared_defaults, default_differences
    from curriculum_lab.grpo import train_grpo
    from curriculum_lab.rft import train_rft
    from curriculum_lab.sft import train_sft
    fn = {'30_sft': train_sft, '40_grpo': train_grpo, '45_rft': train_rft}[nb]
    blank = lambda v: v or None       # a notebook writes '' (or '{}') where a call passes None
    spell = dict.fromkeys(('format', 'output_dir', 'data_file', 'traces_file'), blank) | {'task_config': lambda s: json.loads(s) or None}
    diff = default_differences(fn, ROOT/'nbs'/f'{nb}.ipynb', spell)
    assert {k: v for k, v in diff.items() if k not in OWN_EXAMPLE[nb]} == {}
    assert set(notebook_parameters(ROOT/"nbs"/f"{nb}.ipynb", defaults=True)) - set(declared_defaults(fn)) == NOTEBOOK_ONLY[nb]

def _undefined_in_run(nb: Path) -> list[str]:
    "Names the cells a run executes (`runs.run_notebook`) read but never define, in their order: pyflakes on them as one module."
    import ast
    from pyflakes.checker import Checker
    from pyflakes.messages import UndefinedName
    from curriculum_lab.runs import run_notebook
    code = '\n'.join(c.source for c in run_notebook(nb).cells if c.cell_type == 'code')
    code = '\n'.join(l for l in code.splitlines() if not l.lstrip().startswith(('%', '!')))
    return sorted({m.message_args[0] for m in Checker(ast.parse(code), builtins={'display', 'get_ipython'}).messages
                   if isinstance(m, UndefinedName)})

def test_a_run_executes_no_lesson_and_needs_none(tmp_path):
    "A run skips the lessons (nbdev_test runs them); what it executes defines every name it reads."
    from curriculum_lab.runs import run_notebook
    test = {name: _undefined_in_run(ROOT/'nbs'/f'{name}.ipynb') for name in STAGES}
    assert test == {name: [] for name in STAGES}, test
    full, run = nbformat.read(str(ROOT/'nbs'/'30_sft.ipynb'), as_version=4), run_notebook(ROOT/'nbs'/'30_sft.ipynb')
    kept = {c.source for c in run.cells}
    assert any(c.source.startswith('#| slow') for c in run.cells)
    assert not [c.source[:40] for c in full.cells if "train_sft('tiny'" in c.source and c.source in kept]   # the lessons on `tiny`
    # a stage cell that reads a lesson's name is caught: 30_sft without its `#| stage` mark on `params = notebook_params(...)`
    for c in full.cells: c.source = c.source.replace('#| stage\n', '')
    nbformat.write(full, tmp_path/'30_sft.ipynb')
    assert 'params' in _undefined_in_run(tmp_path/'30_sft.ipynb')
