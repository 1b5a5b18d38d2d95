#!/usr/bin/env python3
"""Adds new public symbols to each project's PublicAPI.Unshipped.txt and drops removed ones.

Builds the given project (or the solution), reads the RS0016 (undeclared) and RS0017 (removed)
diagnostics, and edits the files next to each project. Run it after changing public API, review the diff.
"""
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

target = sys.argv[1] if len(sys.argv) > 1 else "PeerManagement.sln"
out = subprocess.run(
    ["dotnet", "build", target, "-p:TreatWarningsAsErrors=false", "-nologo", "-clp:NoSummary"],
    capture_output=True, text=True).stdout
pattern = re.compile(r"^(?P<file>/[^(]+)\(\d+,\d+\): (?:warning|error) (?P<id>RS001[67]): Symbol '(?P<sym>.+?)' is (?:not part of the declared public API|part of the declared API, but is either not public or could not be found).*\[(?P<proj>[^\]]+\.csproj)", re.M)
added, removed = defaultdict(set), defaultdict(set)
for m in pattern.finditer(out):
    folder = Path(m["proj"]).parent
    (added if m["id"] == "RS0016" else removed)[folder].add(m["sym"])
for folder in set(added) | set(removed):
    path = folder / "PublicAPI.Unshipped.txt"
    lines = [l for l in path.read_text().splitlines() if l.strip()] if path.exists() else ["#nullable enable"]
    header, body = lines[0], set(lines[1:])
    body = (body | added[folder]) - removed[folder]
    path.write_text("\n".join([header] + sorted(body)) + "\n")
    print(f"{path}: +{len(added[folder])} -{len(removed[folder])}")
