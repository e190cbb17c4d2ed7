"""What users would use instead of tracker, on the same data: DeepDiff and git.

The git anchor keeps each draft as ``draft.yaml`` in a repository, one commit per draft whose
parents are the draft's parents (a merge draft is a merge commit), and a tag per draft, so
``git blame dNNNN`` walks exactly that draft's lineage.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from synthetic import Negotiation

FILE = "draft.yaml"


def build_git_repo(neg: Negotiation, folder: Path) -> Path:
    """A repository holding every draft of ``neg`` (fast-import: one pass, packed)."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(folder)], check=True)
    proc = subprocess.Popen(["git", "fast-import", "--quiet"], stdin=subprocess.PIPE, cwd=folder)
    assert proc.stdin is not None
    marks = {d.id: i for i, d in enumerate(neg.drafts, start=1)}
    for i, d in enumerate(neg.drafts, start=1):
        assert d.path is not None, "write the drafts first"
        content = d.path.read_bytes()
        message = f"{d.id} tabled by {', '.join(d.tabled_by)}".encode()
        when = 1_700_000_000 + i * 86_400
        out = [f"commit refs/tags/{d.id}\nmark :{i}\ncommitter Bench <bench@example.invalid> {when} +0000\n".encode()]
        out.append(b"data %d\n%s\n" % (len(message), message))
        for j, parent in enumerate(d.parents):
            out.append(f"{'from' if j == 0 else 'merge'} :{marks[parent]}\n".encode())
        out.append(f"M 100644 inline {FILE}\n".encode())
        out.append(b"data %d\n" % len(content) + content + b"\n")
        proc.stdin.write(b"".join(out))
    proc.stdin.close()
    if proc.wait() != 0:
        raise RuntimeError("git fast-import failed")
    return folder


def git_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in (folder / ".git").rglob("*") if p.is_file())


def git_commands(repo: Path, old: str, new: str, first: str) -> dict[str, list[str]]:
    """The git command lines matching each tracker operation."""
    git = ["git", "-C", str(repo), "--no-pager"]
    return {
        "git diff (adjacent)": [*git, "diff", old, new, "--", FILE],
        "git diff (first → latest)": [*git, "diff", first, new, "--", FILE],
        "git blame": [*git, "blame", new, "--", FILE],
        "git log -p": [*git, "log", "-p", new, "--", FILE],
    }
