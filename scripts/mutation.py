"""Run mutmut 3 over domain files and report the mutation score (see scripts/mutation).

Timeouts count as killed. Mutants listed in tests/equivalent_mutants.txt (one per line:
``<mutant name>  <reason>``) are left out of the total; every entry needs a reason, and an
entry that no longer names a surviving mutant is reported so the list stays reviewed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = Path("src/crmcore/domain")
EQUIVALENT = Path("tests/equivalent_mutants.txt")
LOG = Path("mutants/mutation-run.log")
WORKERS = 2


def _config() -> dict[str, object]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    config: dict[str, object] = data["tool"]["mutmut"]
    return config


def _files(args: list[str]) -> list[Path]:
    skipped = {Path(p) for p in _config().get("do_not_mutate", [])}  # type: ignore[attr-defined]
    if args:
        files = [Path(a) for a in args]
        for f in files:
            if not (ROOT / f).is_file() or f.parent != DOMAIN or f.suffix != ".py":
                sys.exit(f"scripts/mutation: {f} is not a file of {DOMAIN}")
            if f in skipped:
                sys.exit(f"scripts/mutation: {f} is excluded by [tool.mutmut] do_not_mutate")
        return files
    return [
        f.relative_to(ROOT)
        for f in sorted((ROOT / DOMAIN).glob("*.py"))
        if f.relative_to(ROOT) not in skipped and f.name != "__init__.py"
    ]


def _module(path: Path) -> str:
    return ".".join(path.with_suffix("").parts[1:])


def _equivalents() -> dict[str, str]:
    out: dict[str, str] = {}
    for n, line in enumerate((ROOT / EQUIVALENT).read_text("utf-8").splitlines(), 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        name, _, reason = text.partition(" ")
        if not reason.strip():
            sys.exit(f"{EQUIVALENT}:{n}: {name} needs a reason")
        out[name] = reason.strip()
    return out


def main(args: list[str]) -> int:
    os.chdir(ROOT)
    report_only = "--report" in args
    survivors_only = "--survivors" in args
    files = _files([a for a in args if a not in ("--report", "--survivors")])
    modules = [_module(f) for f in files]
    if survivors_only:
        names = _not_killed(files)
        if not names:
            print("no surviving mutant to re-run")
            return _report(files, modules)
        code = _run(names, len(files))
        if code != 0:
            return code
    elif not report_only:
        code = _run([f"{m}.*" for m in modules], len(files))
        if code != 0:
            return code
    return _report(files, modules)


def _not_killed(files: list[Path]) -> list[str]:
    """The mutants of ``files`` that the last run(s) left alive (or never ran), less the
    listed equivalents: after new tests, re-running these is enough to update the score."""
    from mutmut.stats import status_by_exit_code

    equivalent = _equivalents()
    names: list[str] = []
    for path in files:
        meta = Path("mutants") / (str(path) + ".meta")
        if not meta.exists():
            continue
        codes: dict[str, int | None] = json.loads(meta.read_text("utf-8"))["exit_code_by_key"]
        names += [
            name
            for name, code in sorted(codes.items())
            if name not in equivalent and status_by_exit_code[code] not in ("killed", "timeout")
        ]
    return names


def _run(patterns: list[str], count: int) -> int:
    LOG.parent.mkdir(exist_ok=True)
    env = {**os.environ, "HYPOTHESIS_PROFILE": "mutation"}
    env.pop("CI", None)
    command = [
        str(Path(sys.executable).parent / "mutmut"),
        "run",
        "--max-children",
        str(WORKERS),
        *patterns,
    ]
    print(f"running mutmut on {count} file(s), {WORKERS} workers; output in {LOG}")
    with LOG.open("w") as log:
        done = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, env=env, check=False)
    if done.returncode != 0:
        print(LOG.read_text("utf-8", errors="replace")[-3000:])
        print(f"mutmut failed with exit code {done.returncode}")
    return done.returncode


def _report(files: list[Path], modules: list[str]) -> int:
    from mutmut.stats import status_by_exit_code

    equivalent = _equivalents()
    seen_equivalent: set[str] = set()
    survivors: list[str] = []
    killed_all = total_all = 0
    for path, module in zip(files, modules, strict=True):
        meta = Path("mutants") / (str(path) + ".meta")
        if not meta.exists():
            continue
        codes: dict[str, int | None] = json.loads(meta.read_text("utf-8"))["exit_code_by_key"]
        counts: dict[str, int] = {}
        killed = total = 0
        for name, code in sorted(codes.items()):
            status = status_by_exit_code[code]
            if name in equivalent:
                seen_equivalent.add(name)
                if status in ("killed", "timeout"):
                    print(f"  note: {name} is listed as equivalent but was killed")
                counts["equivalent"] = counts.get("equivalent", 0) + 1
                continue
            counts[status] = counts.get(status, 0) + 1
            total += 1
            if status in ("killed", "timeout"):
                killed += 1
            else:
                survivors.append(f"{name}  ({status})")
        if total == 0 and not counts:
            continue
        detail = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        share = 100.0 * killed / total if total else 100.0
        print(f"{module:<32} {killed:>4} / {total:<4} {share:5.1f}%  ({detail})")
        killed_all += killed
        total_all += total
    listed_here = {e for e in equivalent if any(e.startswith(m + ".") for m in modules)}
    for stale in sorted(listed_here - seen_equivalent):
        print(f"  note: {EQUIVALENT} lists {stale}, which is no longer a mutant")
    Path("mutants/survivors.txt").write_text("".join(s + "\n" for s in survivors), "utf-8")
    print(f"{len(survivors)} not killed: mutants/survivors.txt (`.venv/bin/mutmut show NAME`)")
    score = 100.0 * killed_all / total_all if total_all else 100.0
    print(f"mutation score: {score:.1f}% (killed {killed_all} of {total_all})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
