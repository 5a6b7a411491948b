"The experiment runner on the tiny model: a two-run spec, resume, validation before anything runs, shipped specs (--check, --smoke), CLI."
import csv, itertools, json, os, re, shutil, subprocess, sys
from pathlib import Path

import pytest
import yaml

from curriculum_lab.core import LabError, read_json
from curriculum_lab.runs import load_experiment, run_experiment
from conftest import failure_text

ROOT = Path(__file__).resolve().parents[1]

def _spec(extra_param=None):
    sft = {'base_model': 'tiny', 'train_samples': 16, 'eval_samples': 4, 'max_length': 128, 'eval_max_new_tokens': 8,
           'learning_rate': 3e-3, 'batch_size': 8}
    if extra_param: sft.update(extra_param)
    return {'name': 'two', 'description': 'tiny SFT, then an evaluation of its model',
            'defaults': {'task': 'arithmetic', 'seed': 0},
            'runs': [{'name': 'sft', 'notebook': '30_sft', 'parameters': sft},
                     {'name': 'eval', 'notebook': '50_eval', 'needs': ['sft'],
                      'parameters': {'model_path': '${run:sft}', 'eval_samples': 6, 'max_new_tokens': 8, 'stage': 'final'}}]}

def test_two_runs_then_resume(tmp_path):
    out = tmp_path/'exp'
    s = run_experiment(_spec(), out, progress=False)
    assert [(r['run'], r['evaluation'], r['n']) for r in s['results']] == [('sft', 'full', 4), ('eval', 'final', 6)]
    assert read_json(out/'eval'/'run.json')['params']['model_path'] == str(out/'sft')
    rows = list(csv.DictReader(open(out/'results.csv')))
    assert len(rows) == 2 and rows[0]['method'] == 'sft' and rows[1]['method'] == 'eval'
    assert (out/'results.md').exists() and (out/'plots'/'sft_training.png').exists()
    assert (out/'notebooks'/'sft.ipynb').exists() and (out/'notebooks'/'eval.ipynb').exists()
    state = read_json(out/'state.json')
    assert state['sft']['status'] == state['eval']['status'] == 'completed'
    assert state['sft']['kernel'] == state['eval']['kernel'] == 'warm'    # two runs to do: both forked from one server
    # what each run cost: minutes and its kernel's own peak memory, as the server saw each kernel end
    assert [(c['run'], c['kernel']) for c in s['costs']] == [('sft', 'warm'), ('eval', 'warm')]
    assert all(0.2 < c['peak_rss_gb'] < 4 and c['seconds'] > 0 for c in s['costs']), s['costs']
    assert '## Cost of each run' in (out/'results.md').read_text() and (out/'costs.csv').exists()
    # resume: a second call skips both runs (their run.json files are untouched)
    before = {n: (out/n/'run.json').read_text() for n in ('sft', 'eval')}
    run_experiment(_spec(), out, progress=False)
    assert {n: (out/n/'run.json').read_text() for n in ('sft', 'eval')} == before
    # an interrupted experiment: drop the eval run's state, it alone runs again
    completions = lambda: [(r['prompt'], r['completion']) for r in csv.DictReader(open(read_json(out/'eval'/'metrics.json')['final']['csv']))]
    warm = completions()
    state['eval']['status'] = 'running'; (out/'state.json').write_text(json.dumps(state))
    run_experiment(_spec(), out, progress=False)
    assert (out/'sft'/'run.json').read_text() == before['sft'] and (out/'eval'/'run.json').read_text() != before['eval']
    # the first pass forked its two kernels from one server (warm); this one run started a kernel of its own (cold): same answers
    assert read_json(out/'state.json')['eval']['kernel'] == 'cold'
    assert completions() == warm and len(warm) == 6
    # a completed run whose parameters changed in the spec is neither skipped nor redone over the old one
    changed = _spec(); changed['runs'][1]['parameters']['eval_samples'] = 3
    with pytest.raises(LabError, match=r"run 'eval' .* other parameters \(eval_samples: 6 -> 3\).*another --output-dir"):
        run_experiment(changed, out, progress=False)

def test_unknown_parameter_rejected_before_anything_runs(tmp_path):
    with pytest.raises(LabError, match=r"run 'sft': unknown parameter\(s\) \['train_sample'\] for 30_sft.ipynb"):
        run_experiment(_spec({'train_sample': 8}), tmp_path/'exp')
    assert not (tmp_path/'exp').exists()
    bad = _spec(); bad['runs'][1]['needs'] = []
    with pytest.raises(LabError, match="does not list 'sft' in needs"):
        load_experiment(bad)

def test_failed_run_names_its_notebook(tmp_path):
    spec = _spec({'task_config': '{"tiers": [1]}'})
    with pytest.raises(LabError, match=r"run 'sft' failed in 30_sft.ipynb .*unknown config key\(s\) \['tiers'\].*Its executed notebook"):
        run_experiment(spec, tmp_path/'exp', progress=False)
    assert read_json(tmp_path/'exp'/'state.json')['sft']['status'] == 'failed'

def test_dead_kernel_names_memory(tmp_path):
    "A stage whose kernel is killed (as the OOM killer does) fails with a LabError that says what most often causes it."
    import nbformat
    nb = nbformat.v4.new_notebook()
    nb.metadata['kernelspec'] = {'name': 'python3', 'display_name': 'Python 3', 'language': 'python'}
    nb.metadata['curriculum_lab'] = {'method': 'eval'}     # a stage notebook says what its runs are
    nb.cells = [nbformat.v4.new_code_cell("output_dir = ''", metadata={'tags': ['parameters']}),
                nbformat.v4.new_code_cell('#| slow\nimport os, signal; os.kill(os.getpid(), signal.SIGKILL)')]   # the stage's work
    nbformat.write(nb, str(tmp_path/'killed.ipynb'))
    spec = {'name': 'killed', 'description': 'a kernel killed mid-run', 'runs': [{'name': 'k', 'notebook': str(tmp_path/'killed.ipynb')}]}
    with pytest.raises(LabError, match=r"run 'k': the kernel running killed.ipynb died, most often because the machine ran out of memory"):
        run_experiment(spec, tmp_path/'exp', progress=False)
    assert read_json(tmp_path/'exp'/'state.json')['k']['status'] == 'failed'

def test_a_kernel_dead_before_it_answers_starts_again(tmp_path, caplog):
    "A warm kernel killed before it answered (so nothing of the run ran) is started again in a new process, the reason in the log."
    import logging, signal, threading, time, nbformat
    from curriculum_lab.kernels import warm_kernels
    nb = nbformat.v4.new_notebook()
    nb.metadata['kernelspec'] = {'name': 'python3', 'display_name': 'Python 3', 'language': 'python'}
    nb.metadata['curriculum_lab'] = {'method': 'eval'}
    nb.cells = [nbformat.v4.new_code_cell("output_dir = ''", metadata={'tags': ['parameters']}),
                nbformat.v4.new_code_cell("#| slow\nimport os, pathlib; pathlib.Path(output_dir).mkdir(parents=True); (pathlib.Path(output_dir)/'ppid').write_text(str(os.getppid()))")]
    nbformat.write(nb, str(tmp_path/'early.ipynb'))
    out = tmp_path/'exp'
    spec = {'name': 'early', 'description': 'a kernel killed before it answers',
            'runs': [{'name': n, 'notebook': str(tmp_path/'early.ipynb'), 'parameters': {'output_dir': str(out/n)}} for n in ('a', 'b')]}
    logging.getLogger('curriculum_lab').addHandler(caplog.handler)
    try:
        with warm_kernels(preload=('ipykernel.kernelapp',)) as server:
            def kill_the_first():                     # as the OOM killer might, before the kernel has answered jupyter_client
                while not server.last: time.sleep(0.001)
                os.kill(server.last.pid, signal.SIGKILL)
            threading.Thread(target=kill_the_first, daemon=True).start()
            run_experiment(spec, out, progress=False)
            pids = server.proc.pid, server.forked
    finally: logging.getLogger('curriculum_lab').removeHandler(caplog.handler)
    state = read_json(out/'state.json')
    assert [(state[n]['status'], state[n]['kernel']) for n in 'ab'] == [('completed', 'cold'), ('completed', 'warm')]
    assert (out/'a'/'ppid').read_text() == str(os.getpid()) and (out/'b'/'ppid').read_text() == str(pids[0]) and pids[1] == 2
    said = [r.getMessage() for r in caplog.records if 'ended before it started' in r.getMessage()]
    assert len(said) == 1 and "run 'a': its kernel (warm, pid" in said[0] and 'exit code -9 (SIGKILL)' in said[0], said

SHIPPED = sorted(p.stem for p in (ROOT/'papermill_runs').glob('*.yaml'))
def test_repeats_over_seeds(tmp_path):
    "seeds: every run once per seed in seed_<s>/ with that seed; the table over seeds and the paired tests per seed and pooled."
    two = _spec()     # the start model and the SFT run's own evaluation: the same 4 test problems within a seed
    base = {'name': 'base', 'notebook': '50_eval', 'parameters': {'model_path': 'tiny', 'eval_samples': 4, 'max_new_tokens': 8, 'stage': 'base'}}
    spec = {**two, 'runs': [base, two['runs'][0]], 'seeds': [0, 1]}
    out = tmp_path/'rep'
    s = run_experiment(spec, out, progress=False)
    for seed in (0, 1):
        assert read_json(out/f'seed_{seed}'/'sft'/'run.json')['params']['seed'] == seed
        assert read_json(out/f'seed_{seed}'/'base'/'run.json')['params']['seed'] == seed
    assert {(r['arm'], r['seed']) for r in s['results']} == {(a, x) for a in ('base', 'sft') for x in (0, 1)}
    assert {r['arm']: r['seeds'] for r in s['seeds']} == {'base': 2, 'sft': 2}
    assert {(p['a'], p['b']) for p in s['paired']} == {('seed_0/base', 'seed_0/sft'), ('seed_1/base', 'seed_1/sft')}   # within a seed
    (pr,) = s['seeds_paired']
    assert (pr['a'], pr['b'], pr['seeds'], len(pr['strict_p_per_seed'])) == ('base', 'sft', 2, 2)
    assert '## Over seeds [0, 1]' in (out/'results.md').read_text() and (out/'seeds.csv').exists() and (out/'seeds_paired.csv').exists()
    # repeat: false runs once for every seed, references point to the same seed's runs, and a shared run cannot need one that repeats
    spec = {**two, 'runs': [{**base, 'repeat': False}, *two['runs']]}
    info, runs = load_experiment(spec, out, seeds=[3, 4])
    assert [r.name for r in runs] == ['base', 'seed_3/sft', 'seed_3/eval', 'seed_4/sft', 'seed_4/eval']
    assert runs[2].parameters['model_path'] == str(out/'seed_3'/'sft') and runs[2].needs == ['seed_3/sft'] and runs[2].parameters['seed'] == 3
    spec['runs'][2]['repeat'] = False
    with pytest.raises(LabError, match="repeat: false, but it needs 'sft', which runs once per seed"): load_experiment(spec, out, seeds=[3, 4])
    with pytest.raises(LabError, match='seeds must be a non-empty list of distinct integers'): load_experiment(spec, out, seeds=[1, 1])
    seeded = {**two, 'runs': [{**base, 'parameters': {**base['parameters'], 'seed': 7}}]}     # a run's own seed is not overridden silently
    with pytest.raises(LabError, match=r"sets seed=7, but the spec repeats every run over seeds \[3, 4\]"): load_experiment(seeded, out, seeds=[3, 4])
    assert [r.parameters['seed'] for r in load_experiment({**seeded, 'runs': [{**seeded['runs'][0], 'repeat': False}]}, out, seeds=[3, 4])[1]] == [7]

GSM = ROOT.parent/'shared'/'data'/'gsm8k'

def test_shipped_specs_load(monkeypatch, tmp_path):
    monkeypatch.setenv('GSM8K_PATH', str(tmp_path))
    for name in SHIPPED:
        info, runs = load_experiment(name)
        assert runs and info['name'] == name, name
    info, runs = load_experiment('seed001_exp1', variables={'budgets': [256, 512, 1024, 2048]})
    assert [r.name for r in runs if r.name.startswith('grpo_')] == ['grpo_256', 'grpo_512', 'grpo_1024', 'grpo_2048']
    monkeypatch.delenv('GSM8K_PATH')
    with pytest.raises(LabError, match=r'vars.gsm8k: \$\{GSM8K_PATH\} is not set: pass --var gsm8k=VALUE or set the environment variable GSM8K_PATH'):
        load_experiment('seed001_exp1')
    assert load_experiment('seed001_exp1', variables={'gsm8k': str(tmp_path)})[1][0].parameters['task_config'] == json.dumps({'path': str(tmp_path)})
    assert load_experiment('seed001_cpu_exp2')[0]['report'] == ['results', 'traces', 'paired', 'seeds', 'training']   # no budget plot
    with pytest.raises(LabError, match=r"report names unknown section\(s\) \['budgets'\]: use some of \['results', "):
        load_experiment({**_spec(), 'report': ['budgets']})

def _training_problems(run) -> list[str]:
    "The problems a seed-001 run trains or samples on (their split keys: GSM8K's question, a drill's operands), drawn as its trainer draws them."
    from curriculum_lab.tasks import get_task
    p = run.parameters
    n = p['prep_train_samples'] if p.get('stage') == 'prep' else p.get('train_samples', p.get('n'))
    t = get_task(p['task'], **json.loads(p['task_config']))
    return [t.split_key(ex) for ex in t.make_dataset(n, seed=p.get('seed', 0), skip=p.get('skip_samples', 0))]

def _by_seed(runs) -> dict:
    "{seed: {arm: run}} (seed None for a spec without seeds); a run shared by every seed is in each."
    seeds = sorted({r.seed for r in runs if r.seed is not None}) or [None]
    return {s: {r.arm: r for r in runs if r.seed in (s, None)} for s in seeds}

SEED001_SPECS = [('seed001_exp1', 'seed001_exp2', {'budgets': [256, 512, 1024, 2048], 'prep_n': 256},
                  {'budget': 1024, 'trace_n': 2048, 'prep_n': 256}),     # the seed's sizes (GPU), as the headers say
                 ('seed001_cpu_exp1', 'seed001_cpu_exp2', {}, {})]

@pytest.mark.skipif(not (GSM/'train.jsonl').exists(), reason='GSM8K files not beside the project')
@pytest.mark.parametrize('smoke', [True, False])
@pytest.mark.parametrize('exp1,exp2,sizes1,sizes2', SEED001_SPECS)
def test_seed001_budgets_are_disjoint_from_prep_and_nest(exp1, exp2, sizes1, sizes2, smoke):
    "Seed 001: no budget, GRPO run or trace repeats a prep problem; a larger budget adds problems; half the traces' problems are GRPO's."
    for seed, by in _by_seed(load_experiment(exp1, variables={'gsm8k': str(GSM), **({} if smoke else sizes1)}, smoke=smoke)[1]).items():
        data = {k: _training_problems(r) for k, r in by.items() if r.notebook.name in ('30_sft.ipynb', '40_grpo.ipynb')}
        prep = set(data.pop('prep_sft'))
        for method in ('full_sft_', 'grpo_'):
            budgets = sorted((v for k, v in data.items() if k.startswith(method)), key=len)
            assert len(budgets) >= 2 and all(not prep & set(b) for b in budgets), (exp1, seed, method)
            assert all(set(a) < set(b) for a, b in zip(budgets, budgets[1:])), (exp1, seed, method)   # nested: each adds problems
            assert all(len(set(b)) == len(b) for b in budgets), (exp1, seed, method)                  # no problem twice
        assert data['full_sft_' + str(len(budgets[-1]))] == budgets[-1]            # SFT and GRPO see the same problems per budget
    for seed, by in _by_seed(load_experiment(exp2, variables={'gsm8k': str(GSM), **({} if smoke else sizes2)}, smoke=smoke)[1]).items():
        prep, grpo, traces = (_training_problems(by[k]) for k in ('prep_sft', 'grpo', 'traces'))
        assert not set(prep) & set(traces) and traces[:len(grpo)] == grpo and len(traces) == 2 * len(grpo), (exp2, seed)
        assert not set(traces[len(grpo):]) & set(grpo)                             # the second half is new to GRPO
        for arm in ('traces_sft', 'references_sft', 'solved_sft', 'solved_references_sft'):   # the traces' files, every line
            p = by[arm].parameters
            assert p['train_samples'] == len(traces) and p['traces_file'].startswith(by['traces'].parameters['output_dir'] + '/traces.'), arm

def test_check_after_a_normal_install_imports_no_torch(tmp_path):
    "pip install . (not editable), then --check from another folder finds the shipped spec and notebooks, without torch."
    src = tmp_path/'src'
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns('.venv', '.git', 'out', '_site', '_proc', '__pycache__', '*.egg-info', 'build'))
    subprocess.run([sys.executable, '-m', 'pip', 'install', '--quiet', '--no-deps', '--no-build-isolation', '--target',
                    str(tmp_path/'site'), str(src)], check=True, capture_output=True)
    shutil.rmtree(src)
    code = ("import sys, curriculum_lab.runs as r; assert r.__file__.startswith(sys.argv[1]), r.__file__; r.main(['demo', '--check']); "
            "print('heavy', sorted(m for m in ('torch', 'trl', 'transformers', 'peft') if m in sys.modules))")
    r = subprocess.run([sys.executable, '-c', code, str(tmp_path/'site')], env={**os.environ, 'PYTHONPATH': str(tmp_path/'site')},
                       cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 0, failure_text(r.stderr, 2000)
    assert 'demo: 5 runs checked' in r.stdout and 'heavy []' in r.stdout, r.stdout

# a spec whose runs are another's with other variables is smoked through the other: the same runs, notebooks and
# parameters but the ones named here (and the output folder). The GSM8K specs of seed 001 are smoked through their CPU
# variants, which also repeat over seeds; GSM8K's rows are read by the data test above.
SMOKED_AS = {'seed003_cpu': ('seed003', {'config'}),
             'seed001_exp1': ('seed001_cpu_exp1', {'task', 'task_config'}),
             'seed001_exp2': ('seed001_cpu_exp2', {'task', 'task_config'})}

def _first_seed(info, runs):
    "The runs of a spec's first seed (or every run of a spec without seeds), keyed by arm, with run paths relative to the seed's folder."
    seed = min((r.seed for r in runs if r.seed is not None), default=None)
    rel = lambda v: re.sub('^' + re.escape(str(info['output_dir'])) + r'/(seed_\d+/)?', '', v) if isinstance(v, str) else v
    return {r.arm: (r.notebook.name, [n.split('/')[-1] for n in r.needs], {k: rel(v) for k, v in r.parameters.items() if k != 'seed'})
            for r in runs if r.seed in (None, seed)}

def test_specs_smoked_through_another_differ_only_in_variables(monkeypatch):
    "seed003_cpu is seed003 with another curriculum file; seed001_exp1/2 are their CPU variants on GSM8K: their smokes would repeat the others'."
    monkeypatch.setenv('GSM8K_PATH', str(GSM))
    for spec, (other, keys) in SMOKED_AS.items():
        a, b = (_first_seed(*load_experiment(s, smoke=True)) for s in (spec, other))
        assert list(a) == list(b), (spec, list(a), list(b))
        for arm in a:
            (na, ne_a, pa), (nb, ne_b, pb) = a[arm], b[arm]
            assert (na, ne_a) == (nb, ne_b), (spec, arm)
            assert {k for k in pa.keys() | pb.keys() if pa.get(k) != pb.get(k)} <= {'output_dir', *keys}, (spec, arm, pa, pb)

@pytest.mark.parametrize('spec', [s for s in SHIPPED if s not in SMOKED_AS])
def test_every_shipped_spec_runs_with_smoke(spec, tmp_path, monkeypatch):
    "--smoke: the whole spec end to end on tiny, with its table and plots, and no false papermill warnings in the log."
    if '${GSM8K_PATH}' in (ROOT/'papermill_runs'/f'{spec}.yaml').read_text() and not (GSM/'train.jsonl').exists():
        pytest.skip('GSM8K files not beside the project')
    monkeypatch.setenv('GSM8K_PATH', str(GSM))
    out = tmp_path/'smoke'
    r = subprocess.run([sys.executable, '-m', 'curriculum_lab.runs', spec, '--smoke', '--output-dir', str(out)],
                       cwd=tmp_path, capture_output=True, text=True, timeout=1200)
    assert r.returncode == 0, failure_text(r.stderr)
    for noise in ('Unable to parse', 'Passed unknown parameter'): assert noise not in r.stderr, noise
    state, summary = read_json(out/'state.json'), read_json(out/'summary.json')
    info, runs = load_experiment(spec, out, smoke=True)
    assert [s['status'] for s in state.values()] == ['completed'] * len(runs)
    for run in runs:
        rec = read_json(out/run.name/'run.json')
        model = rec['params'].get('base_model', rec['params'].get('model_path', rec['params'].get('model')))
        if run.notebook.name == '16_datasets.ipynb' or (run.notebook.name == '46_arc_search.ipynb' and rec['params'].get('action') == 'traces'):  # data
            model = None
            assert rec['status'] == 'completed' and model is None and (out/run.name/'dataset.json').exists(); continue
        if rec['params'].get('teacher') == 'mutation': assert rec['status'] == 'completed'; continue   # a search without a model
        assert rec['status'] == 'completed' and (model == 'tiny' or out in Path(model).parents), (run.name, model)   # tiny, or a run on tiny
        if (out/run.name/'model'/'curriculum_lab.json').exists(): assert read_json(out/run.name/'model'/'curriculum_lab.json')['base_model'] == 'tiny'
    table = (out/'results.md').read_text().split('\n## ')[0]        # the results table (final models follow for curricula)
    assert summary['results'] and table.count('\n|') == len(summary['results']) + 2   # header, rule, rows
    curricula = [r for r in runs if r.notebook.name == '31_curriculum.ipynb']
    if curricula:     # seed 003: each condition's final model side by side, the seed's files, a probe bar chart per condition
        assert [f['run'] for f in summary['final_models']] == [r.name for r in curricula]
        assert '## Final models' in (out/'results.md').read_text() and (out/'final_models.csv').exists()
        for r in curricula:
            assert (out/r.name/'gsm8k_results.json').exists() and (out/r.name/'arithmetic_results.json').exists(), r.name
            assert len(list((out/r.name).glob('stage_*/sft_results.json'))) == 3, r.name
        assert any(p.endswith('probes_by_group.png') for p in summary['plots']), summary['plots']
    searches = [r for r in runs if r.notebook.name == '46_arc_search.ipynb' and r.parameters.get('action') == 'search']
    for r in searches:    # seed 002: each search's test solve rate in the table, its reward-against-generation figure
        ev = read_json(out/r.name/'metrics.json')['search']
        assert ev['n'] > 0 and ev['executions'] >= ev['n'] and (out/r.name/'evolution.png').exists(), r.name
        assert any(row['run'] == r.name and row['method'] == 'search' for row in summary['results']), r.name
        assert 0 <= ev['start_test_solved'] <= 1 and ev['generations'] * ev['children'] > 0, r.name
    if searches:          # and side by side, with what their start programs already solved
        assert [x['run'] for x in summary['searches']] == [r.name for r in searches] and (out/'searches.csv').exists()
        assert '## Searches' in (out/'results.md').read_text() and str(out/'plots'/'evolution.png') in summary['plots']
    for by in info['compare_by']:       # seed 000: every evaluated model by level, as a table and a figure
        assert f'## Accuracy by {by}' in (out/'results.md').read_text() and summary['by_group'][by], by
        assert str(out/'plots'/f'by_{by}.png') in summary['plots']
        evals = [r.name for r in runs if r.notebook.name == '50_eval.ipynb']   # on the same problems: every pair tested
        assert {(p['a'], p['b']) for p in summary['paired']} >= set(itertools.combinations(evals, 2)), summary['paired']
        assert '## Paired comparisons' in (out/'results.md').read_text() and (out/'paired.csv').exists()
    if spec == 'seed000':     # the spec's claim: every Stage-2 arm samples the same number of completions (the screen counts)
        sampled = {r['run']: r['sampled'] for r in summary['results'] if r['run'].startswith(('eval_rl_', 'eval_rft_'))}
        assert len(sampled) == 4 and len(set(sampled.values())) == 1 and list(sampled.values())[0] > 0, sampled
    assert all(Path(p).exists() for p in summary['plots']) and any(p.endswith('_training.png') for p in summary['plots'])
    if spec.startswith('seed001'):    # Experiment 1 plots accuracy against the budget; Experiment 2's report leaves the section out
        assert any(p.endswith('budget.png') for p in summary['plots']) == ('exp1' in spec), summary['plots']
    # the report again from the run folders, in a fresh process: the same table, and neither torch nor the sandbox imported
    code = ("import sys; from curriculum_lab.runs import load_experiment, aggregate; s = aggregate(*load_experiment(sys.argv[1], sys.argv[2], smoke=True)); "
            "print(len(s['results']), sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'transformers', 'trl', 'peft') "
            "or m in ('curriculum_lab.sandbox', 'curriculum_lab.arc_search', 'curriculum_lab.arc_edits')))")
    r = subprocess.run([sys.executable, '-c', code, spec, str(out)], cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.split('\n')[-2] == f"{len(summary['results'])} []", (r.stdout[-500:], r.stderr[-2000:])

def test_command_line_error(tmp_path):
    p = tmp_path/'bad.yaml'; p.write_text(yaml.safe_dump({'runs': [{'name': 'x', 'notebook': '40_grpo', 'parameters': {'num_generation': 2}}]}))
    r = subprocess.run([sys.executable, '-m', 'curriculum_lab.runs', str(p)], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 2 and "unknown parameter(s) ['num_generation']" in r.stderr, r.stderr[-1500:]
