#!/usr/bin/env bash
# Times `semcodec bench` (OpenBLAS and pure-Go sgemm, 1 and 2 cores) and the
# independent PyTorch reference (../shared/reference/bench.py) one after the
# other on this machine, and prints the README's comparison table.
#
#   scripts/bench-vs-reference.sh [OUT_DIR]    (default results/bench)
#
# Needs Debian's python3-torch for the reference (its bench is skipped, and
# its columns left empty, when torch is missing). The one-core runs of both
# sides are repeated three times, alternating, and the minimum kept: on a
# shared VM a whole invocation can run 2x slow. Takes about 10 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-results/bench}
mkdir -p "$out"
bin=$(mktemp -d)/semcodec
trap 'rm -rf "$(dirname "$bin")"' EXIT
go build -o "$bin" ./cmd/semcodec

ref=../shared/reference
have_ref=false
if /usr/bin/python3 -c 'import torch' 2>/dev/null && [ -f "$ref/bench.py" ]; then
	have_ref=true
else
	echo "bench-vs-reference: no PyTorch reference (python3-torch missing); its columns stay empty" >&2
fi
rm -f "$out"/pytorch-1thread*.json "$out"/go-openblas-1core*.json
for i in 1 2 3; do
	GOMAXPROCS=1 "$bin" bench --json --runs 5 >"$out/go-openblas-1core.$i.json"
	if $have_ref; then
		# One thread, and no OpenMP threads left spinning from the 2-thread runs.
		(cd "$ref" && OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE TRAIN_THREADS=1 \
			BENCH_OUT="$OLDPWD/$out/pytorch-1thread.$i.json" /usr/bin/python3 bench.py >/dev/null)
	fi
done
GOMAXPROCS=2 "$bin" bench --json --runs 5 >"$out/go-openblas-2core.json"
GOMAXPROCS=1 SEMCODEC_BLAS=off "$bin" bench --json --runs 3 >"$out/go-purego-1core.json"

/usr/bin/python3 - "$out" <<'EOF'
import json, os, sys
out = sys.argv[1]
def load(name):
    p = os.path.join(out, name)
    return json.load(open(p)) if os.path.exists(p) else None
def minimum(docs, rows, key):
    # The per-row minimum over repeated invocations.
    best = docs[0]
    for d in docs[1:]:
        for r, o in zip(rows(best), rows(d)):
            for k in ("wall_s", "cpu_s"):
                r[k] = min(r[k], o[k])
    return best
blas1 = minimum([load(f"go-openblas-1core.{i}.json") for i in (1, 2, 3)], lambda d: d["results"], None)
json.dump(blas1, open(os.path.join(out, "go-openblas-1core.json"), "w"), indent=1)
blas2, pure = load("go-openblas-2core.json"), load("go-purego-1core.json")
refs = [r for r in (load(f"pytorch-1thread.{i}.json") for i in (1, 2, 3)) if r]
ref = minimum(refs, lambda d: d, None) if refs else []
if ref:
    json.dump(ref, open(os.path.join(out, "pytorch-1thread.json"), "w"), indent=1)
# Which reference row measures the same work as each bench entry.
match = {
    "train_step_hyperprior": ("train step 8x128x128 small N64/M96", 1),
    "train_step_hyperprior_transposed": ("train step 8x128x128 small N64/M96", 1),
    "train_step_compact_plain": ("train step 4x96x96 (padded to 128) compact N32/M48", 1),
    "forward_hyperprior_n128": ("inference 1x768x512 bmshj2018 N128/M192", 1),
}
def refcpu(name):
    if name not in match:
        return None
    what, th = match[name]
    for r in ref:
        if r["what"] == what and r["threads"] == th:
            return r["cpu_s"]
    return None
def row(doc, name):
    return next(r for r in doc["results"] if r["name"] == name)
print(f"matmul: {blas1['matmul']}")
print()
print("| entry | Go + OpenBLAS, 1 core: CPU s | Go, pure-Go sgemm, 1 core: CPU s | PyTorch, 1 thread: CPU s | Go+OpenBLAS / PyTorch | wall 2 cores / wall 1 core |")
print("|---|---:|---:|---:|---:|---:|")
for r in blas1["results"]:
    n = r["name"]
    p = refcpu(n)
    ratio = f"{r['cpu_s'] / p:.2f}" if p else "-"
    pcol = f"{p:.3f}" if p else "-"
    scale = row(blas2, n)["wall_s"] / r["wall_s"]
    print(f"| `{n}` | {r['cpu_s']:.3f} | {row(pure, n)['cpu_s']:.3f} | {pcol} | {ratio} | {scale:.2f} |")
EOF
