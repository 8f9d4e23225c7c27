#!/usr/bin/env bash
# Trains the plain `compact` hyperprior and the independent PyTorch reference
# (../shared/reference) with the same recipe, for several seeds, one after the
# other on one core, and evaluates both on Kodak: the seed-to-seed spread is
# what a single-run comparison of rates cannot see.
#
#   scripts/convergence-seeds.sh OUT_DIR [LAMBDA ...]   (default λ: 0.013 0.0035)
#   scripts/convergence-seeds.sh --summary DIR[:SIDE] ...   (tables of earlier
#        runs, all DIRs pooled; DIR:semcodec or DIR:reference reads one side)
#
# SEEDS (default "1 2 3"), STEPS (default 1290; a list such as 1290,2500,5000
# trains in segments, as the reference's --milestones), SEMCODEC (a binary to use
# instead of building one) and REFERENCE=0 (skip the PyTorch side) may be set
# in the environment. Needs Debian's
# python3-torch for the reference side (skipped when missing). Each run takes
# about 2-3 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."

# summary DIR...: one line per side and λ over every run in the DIRs, and
# semcodec's difference from the reference with its standard error.
summary() {
	/usr/bin/python3 - "$@" <<'EOF'
import glob, json, math, os, statistics, sys
rows = {}
for arg in sys.argv[1:]:
    out, _, only = arg.partition(":")
    for f in sorted(glob.glob(os.path.join(out, "semcodec-*-kodak.json")) if only != "reference" else []):
        tag = os.path.basename(f)[len("semcodec-"):-len("-kodak.json")]
        r = json.load(open(f))["codecs"][0]["results"]
        rows.setdefault((tag.split("-")[0], "semcodec"), []).append(
            (r["bpp"][0], r["bpp_estimate"][0], r["psnr-rgb"][0]))
    for f in sorted(glob.glob(os.path.join(out, "reference-*_kodak.jsonl")) if only != "semcodec" else []):
        tag = os.path.basename(f)[len("reference-"):-len("_kodak.jsonl")]
        last = [json.loads(x) for x in open(f) if x.strip()][-1]
        rows.setdefault((tag.split("-")[0], "reference"), []).append(
            (None, last["kodak_bpp"], last["kodak_psnr"]))
sd = lambda v: statistics.stdev(v) if len(v) > 1 else 0.0
print("| side | λ | runs | bpp (file) | bpp (estimate) mean ± sd | PSNR mean ± sd |")
print("|---|---|---:|---:|---:|---:|")
for (l, side), rs in sorted(rows.items()):
    est = [r[1] for r in rs]; ps = [r[2] for r in rs]
    files = [r[0] for r in rs if r[0] is not None]
    fb = f"{statistics.mean(files):.3f}" if files else "-"
    print(f"| {side} | 0.{l[1:]} | {len(rs)} | {fb} | {statistics.mean(est):.3f} ± {sd(est):.3f} | {statistics.mean(ps):.2f} ± {sd(ps):.2f} |")
for (l, side), rs in sorted(rows.items()):
    ref = rows.get((l, "reference"))
    if side != "semcodec" or not ref or len(rs) < 2 or len(ref) < 2:
        continue
    for i, what in ((1, "bpp"), (2, "PSNR")):
        a, b = [r[i] for r in rs], [r[i] for r in ref]
        d = statistics.mean(a) - statistics.mean(b)
        se = math.sqrt(statistics.variance(a) / len(a) + statistics.variance(b) / len(b))
        rel = f" ({100 * d / statistics.mean(b):+.1f}% ± {100 * se / statistics.mean(b):.1f}%)" if i == 1 else ""
        print(f"λ 0.{l[1:]}: semcodec − reference {what} {d:+.4f} ± {se:.4f} (standard error){rel}")
EOF
}

if [ "${1:-}" = --summary ]; then
	shift
	summary "$@"
	exit 0
fi
out=$1
shift
lambdas=${*:-0.013 0.0035}
seeds=${SEEDS:-1 2 3}
steps=${STEPS:-1290}
mkdir -p "$out"
out=$(cd "$out" && pwd)
bin=${SEMCODEC:-}
if [ -z "$bin" ]; then
	bin=$(mktemp -d)/semcodec
	trap 'rm -rf "$(dirname "$bin")"' EXIT
	go build -o "$bin" ./cmd/semcodec
fi
have_ref=false
if [ "${REFERENCE:-1}" != 0 ] && /usr/bin/python3 -c 'import torch' 2>/dev/null; then have_ref=true; fi

work=$(mktemp -d)
for l in $lambdas; do
	for s in $seeds; do
		tag=l${l#0.}-s$s
		# One run per segment, each resuming the last, with the last 15% of
		# the segment (a fraction of all steps so far) at a tenth of the rate.
		prev=0 resume=()
		for m in ${steps//,/ }; do
			frac=$(awk -v a="$prev" -v b="$m" 'BEGIN { printf "%.6f", 0.15 * (b - a) / b }')
			"$bin" train --config compact --no-semantic \
				--data ../shared/data/camvid/train,images:../shared/data/photos \
				--steps "$m" --batch 4 --crop 96 --lr 1e-3 --decay-frac "$frac" --lambda "$l" \
				--seed "$s" --out "$work/$tag" --json-log "$out/semcodec-$tag.jsonl" \
				--val-every 0 --ckpt-every 0 -q "${resume[@]}"
			prev=$m resume=(--resume)
		done
		"$bin" export --checkpoint "$work/$tag" -o "$work/$tag.smw" --dtype f32
		"$bin" eval compression --data ../shared/data/kodak --codecs semcodec \
			--model "$work/$tag.smw" --json "$out/semcodec-$tag-kodak.json" --quiet
		rm -rf "${work:?}/$tag" "$work/$tag.smw"
		if $have_ref; then
			(cd ../shared/reference && REF_OUT="$out" OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE \
				/usr/bin/python3 train.py --lmbda "$l" --milestones "$steps" --seed "$s" \
				--tag "reference-$tag" >/dev/null)
			rm -f "$out/reference-${tag}_"*.pt # its checkpoints: not results
		fi
	done
done
rm -rf "$work"

summary "$out"
