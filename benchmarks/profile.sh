#!/usr/bin/env bash
# A sampling profile of one kernel: perf (Debian's linux-perf) with cpu-clock samples, which work
# where the VM exposes no hardware counters, over the benchmarks' profile mode. The JIT's perf map
# names the compiled methods (W^X off, so the code sits where the map says); the JIT's disassembly of
# the hottest method, with code bytes, gives each sample its instruction. Prints the methods' shares,
# then that method's blocks (the JIT's IGs) with their shares and instructions, hottest first.
# usage: benchmarks/profile.sh OP N ROWS [SECONDS]      e.g. benchmarks/profile.sh softmax 4096 1
# METHOD=name: that method's blocks instead of the hottest one's; BLOCKS=k: its k hottest blocks (6).
# DISASM=names: more methods to disassemble (the JIT's DOTNET_JitDisasm list), for METHOD.
set -euo pipefail
cd "$(dirname "$0")/.."
op=$1 n=$2 rows=$3 seconds=${4:-5}
dotnet build benchmarks/FastSoftmax.Benchmarks -c Release -v q -nologo >/dev/null
work=$(mktemp -d /tmp/fastsoftmax-profile.XXXXXX)
rm -f /tmp/perf-*.map
DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 \
DOTNET_JitDisasm="Run Rows ShortRows RowTerms Row Evaluate Softmax OneShortRow Sweeps ${DISASM:-}" DOTNET_JitDisasmWithCodeBytes=1 DOTNET_JitStdOutFile="$work/disasm.txt" \
  perf record -F 5000 -e cpu-clock -o "$work/perf.data" -q \
  dotnet benchmarks/FastSoftmax.Benchmarks/bin/Release/net10.0/FastSoftmax.Benchmarks.dll profile "$op" "$n" "$rows" "$seconds"
perf script -i "$work/perf.data" -F ip,sym 2>/dev/null > "$work/samples.txt"
cat /tmp/perf-*.map > "$work/map.txt"
python3 - "$work" <<'PY'
import collections, re, sys
work = sys.argv[1]
samples = [l.split(None, 1) for l in open(f"{work}/samples.txt") if l.strip()]
total = len(samples)
by_symbol = collections.Counter(s[1].strip() if len(s) > 1 else "?" for s in samples)
print(f"{total} samples; share by method (top 8):")
for name, count in by_symbol.most_common(8):
    short = re.sub(r"valuetype |\[System[.A-Za-z]*\] ", "", name)
    print(f"  {100 * count / total:5.1f}%  {short[:150]}")
# The hottest method's code: its start and size from the perf map, its disassembly by that size.
import os
top = next((name for name, _ in by_symbol.most_common() if os.environ.get("METHOD", "\0") in name), by_symbol.most_common(1)[0][0])
start = size = None
for line in open(f"{work}/map.txt"):
    a, s, name = line.rstrip("\n").split(" ", 2)
    if name == top:
        start, size = int(a, 16), int(s, 16)
listings = open(f"{work}/disasm.txt").read().split("; Assembly listing for method ")
listing = next((l for l in listings if f"; Total bytes of code {size}" in l), None) if size else None
if listing is None:
    print("no disassembly of the hottest method with its size (not one of Run, Rows, ShortRows, RowTerms, Row, Evaluate, Softmax, OneShortRow)")
    sys.exit(0)
hits = collections.Counter(int(s[0], 16) - start for s in samples if len(s) > 1 and s[1].strip() == top)
blocks, offset = [], 0
for line in listing.splitlines():
    m = re.match(r"(G_M\d+_IG\d+):\s+;; offset=0x([0-9A-F]+)", line)
    if m:
        blocks.append([m.group(1), 0, []])
        offset = int(m.group(2), 16)
        continue
    m = re.match(r"\s+([0-9A-F]{2,})\s{2,}(\S.*)", line)
    if m and blocks:
        length = len(m.group(1)) // 2
        count = sum(hits[o] for o in range(offset, offset + length))
        blocks[-1][1] += count
        blocks[-1][2].append((count, m.group(2).strip()))
        offset += length
inside = sum(hits.values())
print(f"\nhottest method, {100 * inside / total:.1f}% of samples: {listing.splitlines()[0][:150]}")
for name, count, instructions in sorted(blocks, key=lambda b: -b[1])[:int(__import__("os").environ.get("BLOCKS", "6"))]:
    print(f"\n  {name}: {100 * count / inside:5.1f}% of the method, {len(instructions)} instructions")
    for c, text in instructions[:48]:
        print(f"    {100 * c / inside:5.1f}%  {text[:100]}")
PY
rm -rf "$work" /tmp/perf-*.map
