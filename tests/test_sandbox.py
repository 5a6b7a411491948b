"The adversarial sandbox suite: every attack returns within its limits with a clear error and changes nothing outside."
import os, time
from pathlib import Path

import pytest
from curriculum_lab.sandbox import Sandbox, run_many, run_program

ROOT = Path(__file__).resolve().parents[1]
GRAB = ('def grab(name):\n'
        '    for c in ().__class__.__base__.__subclasses__():\n'
        '        g = getattr(getattr(c, "__init__", None), "__globals__", None)\n'
        '        if isinstance(g, dict) and name in g: return g[name]\n'
        '    raise LookupError(name)\n')

ATTACKS = {  # name: (code, expected error_type(s))
    'infinite loop': ('while True: pass', {'Timeout'}),
    'cpu burn in a comprehension': ('result = sum(i * i for i in range(10**12))', {'Timeout'}),
    'fork bomb via os': ('import os\nwhile True: os.fork()', {'ImportError'}),
    'fork bomb via subclasses': (GRAB + 'fork = grab("fork")\nwhile True: fork()', {'PermissionError', 'BlockingIOError'}),
    'memory bomb': ('x = bytearray(16 * 2**30)', {'MemoryError'}),
    'slow memory growth': ('x = []\nwhile True: x.append("y" * 10**6)', {'MemoryError'}),
    'huge output': ('while True: print("z" * 10000)', {'OutputLimitExceeded', 'Timeout'}),
    'huge result': ('result = "r" * (20 * 2**20)', {'ResultTooLarge'}),
    'deep recursion': ('def f(n): return f(n + 1)\nf(0)', {'RecursionError'}),
    'read /etc/passwd': ('result = open("/etc/passwd").read()', {'FileNotFoundError', 'PermissionError'}),
    'read the project': (f'result = open({str(ROOT / "settings.ini")!r}).read()', {'FileNotFoundError', 'PermissionError'}),
    'write outside': (f'open({str(ROOT / "PWNED")!r}, "w").write("x")', {'FileNotFoundError', 'PermissionError'}),
    'delete the project file': (GRAB + f'grab("remove")({str(ROOT / "settings.ini")!r})', {'FileNotFoundError', 'PermissionError'}),
    'os.system via __import__': ('__import__("os").system("touch /tmp/curriculum_lab_pwned")', {'ImportError'}),
    'os.system via subclasses': (GRAB + 'grab("system")("touch /tmp/curriculum_lab_pwned")', {'PermissionError'}),
    'builtins __import__ trick': ('b = __builtins__\nimp = b["__import__"] if isinstance(b, dict) else b.__import__\nimp("subprocess")', {'ImportError'}),
    'open a socket': ('import socket\nsocket.create_connection(("1.1.1.1", 80))', {'ImportError'}),
    'socket via subclasses': ([GRAB + 'import json\n'
                               'S = [c for c in ().__class__.__base__.__subclasses__() if c.__name__ == "socket"]\n'
                               'S[0]() if S else grab("create_connection")(("1.1.1.1", 80))'][0],
                              {'PermissionError'}),
    'kill the parent': (GRAB + 'kill = grab("kill")\nkill(grab("getppid")(), 9)', {'PermissionError'}),
    'ctypes': ('import ctypes\nctypes.CDLL(None).system(b"touch /tmp/curriculum_lab_pwned")', {'ImportError'}),
    'signal the zygote': (GRAB + 'grab("killpg")(0, 9)', {'PermissionError'}),
    'exit the interpreter': ('raise SystemExit(0)', {'SystemExit'}),
    'keyboard interrupt': ('raise KeyboardInterrupt', {'KeyboardInterrupt'}),
    'sleep via blocking read': ('input()', {'EOFError'}),
}

@pytest.fixture(scope='module', params=['auto', 'audit'])
def sandbox(request):
    "The jail (root) and the audit-hook fallback used without root; both must stop every attack."
    sb = Sandbox(isolation=request.param); yield sb; sb.close()

def test_adversarial_suite(sandbox):
    before = {p: p.stat().st_mtime_ns for p in ROOT.iterdir() if p.is_file()}
    names = list(ATTACKS)
    t0 = time.time()
    res = sandbox.run_many([ATTACKS[n][0] for n in names], timeout=3, memory_mb=256, max_output=1000)
    elapsed = time.time() - t0
    for n, r in zip(names, res):
        assert not r.ok, (n, r)
        assert r.error_type in ATTACKS[n][1], (n, r.error_type, r.error)
        assert r.wall_time <= 3.5, (n, r.wall_time)
        assert r.error, n
    assert elapsed < 30
    assert not Path('/tmp/curriculum_lab_pwned').exists() and not (ROOT / 'PWNED').exists()
    assert {p: p.stat().st_mtime_ns for p in ROOT.iterdir() if p.is_file()} == before
    # the sandbox (and this process) still work afterwards
    assert sandbox.run('result = 2 + 2').value == 4

def test_isolation_is_the_jail_when_root(sandbox):
    r = sandbox.run('result = 1')
    assert r.isolation == ('jail' if os.geteuid() == 0 and sandbox.requested_isolation == 'auto' else 'audit')

def test_no_state_between_programs(sandbox):
    rs = sandbox.run_many(['import math\nmath.pi = 3\nresult = math.pi', 'import math\nresult = math.pi',
                           'open("f.txt", "w").write("a")\nresult = 1', 'result = open("f.txt").read()'])
    assert rs[0].value == 3 and abs(rs[1].value - 3.14159) < 1e-4
    assert rs[2].ok and rs[3].error_type == 'FileNotFoundError'

def test_entry_args_and_errors(sandbox):
    r = sandbox.run('def solve(g):\n    return [row[::-1] for row in g]', entry='solve', args=([[1, 2], [3, 4]],))
    assert r.value == [[2, 1], [4, 3]]
    r = sandbox.run('x = 1', entry='solve')
    assert r.error_type == 'NameError' and 'solve' in r.error
    r = sandbox.run('def solve(:\n  pass', entry='solve')
    assert r.error_type == 'SyntaxError'

def test_zygote_death_is_recovered():
    sb = Sandbox()
    assert sb.run('result = 1').value == 1
    sb._proc.kill(); sb._proc.wait()
    assert sb.run('result = 5').value == 5
    sb.close()
