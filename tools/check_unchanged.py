#!/usr/bin/env python
"""Run a command and fail if it changed any file under the given folders.

    python tools/check_unchanged.py "what it checks" "fix hint" DIR [DIR ...] -- CMD [ARGS ...]

Used by `make check` for "notebooks are clean" (nbdev_clean) and "package in sync" (nbdev_export):
both tools rewrite files in place, so a change means the committed files were not clean/in sync.
Works on any work tree (committed or not), unlike `git diff`.
"""
import hashlib, subprocess, sys
from pathlib import Path

def snapshot(dirs):
    out = {}
    for d in dirs:
        for p in sorted(Path(d).rglob('*')):
            if p.is_file() and '__pycache__' not in p.parts and '.ipynb_checkpoints' not in p.parts:
                out[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out

def main(argv):
    if '--' not in argv or len(argv) < 5: sys.exit(__doc__)
    i = argv.index('--')
    what, hint, dirs, cmd = argv[0], argv[1], argv[2:i], argv[i+1:]
    before = snapshot(dirs)
    r = subprocess.run(cmd)
    if r.returncode: sys.exit(f'FAILED: {what}: `{" ".join(cmd)}` exited with {r.returncode}')
    after = snapshot(dirs)
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    if changed:
        print(f'FAILED: {what}: `{" ".join(cmd)}` changed {len(changed)} file(s):', *changed, sep='\n  ')
        print(f'Fix: {hint}')
        sys.exit(1)
    print(f'ok: {what}')

if __name__ == '__main__': main(sys.argv[1:])
