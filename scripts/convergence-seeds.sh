#!/usr/bin/env bash
# Trains the plain `compact` hyperprior and the independent PyTorch reference
# (../shared/reference) with the same recipe, for several seeds, one after the
# other on one core, and evaluates both on Kodak: the seed-to-seed spread is
# what a single-run comparison of rates cannot see.
#
#   scripts/convergence-seeds.sh OUT_DIR [LAMBDA ...]   (default λ: 0.013 0.0035)
#
# SEEDS (default "1 2 3"), STEPS (default 1290), SEMCODEC (a binary to use
# instead of building one) and REFERENCE=0 (skip the PyTorch side) may be set
# in the environment. Needs Debian's
# python3-torch for the reference side (skipped when missing). Each run takes
# about 2-3 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
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
		"$bin" train --config compact --no-semantic \
			--data ../shared/data/camvid/train,images:../shared/data/photos \
			--steps "$steps" --batch 4 --crop 96 --lr 1e-3 --decay-frac 0.15 --lambda "$l" \
			--seed "$s" --out "$work/$tag" --json-log "$out/semcodec-$tag.jsonl" \
			--val-every 0 --ckpt-every 0 -q
		"$bin" export --checkpoint "$work/$tag" -o "$work/$tag.smw" --dtype f32
		"$bin" eval compression --data ../shared/data/kodak --codecs semcodec \
			--model "$work/$tag.smw" --json "$out/semcodec-$tag-kodak.json" --quiet
		rm -rf "${work:?}/$tag" "$work/$tag.smw"
		if $have_ref; then
			(cd ../shared/reference && REF_OUT="$out" OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE \
				/usr/bin/python3 train.py --lmbda "$l" --milestones "$steps" --seed "$s" \
				--tag "reference-$tag" >/dev/null)
			rm -f "$out/reference-${tag}_$steps.pt" # its checkpoint: not a result
		fi
	done
done
rm -rf "$work"

# One line per run and the mean and spread per side and λ.
/usr/bin/python3 - "$out" <<'EOF'
import glob, json, os, statistics, sys
out = sys.argv[1]
rows = {}
for f in sorted(glob.glob(os.path.join(out, "semcodec-*-kodak.json"))):
    tag = os.path.basename(f)[len("semcodec-"):-len("-kodak.json")]
    r = json.load(open(f))["codecs"][0]["results"]
    rows.setdefault(("semcodec", tag.split("-")[0]), []).append(
        (tag, r["bpp"][0], r["bpp_estimate"][0], r["psnr-rgb"][0]))
for f in sorted(glob.glob(os.path.join(out, "reference-*_kodak.jsonl"))):
    tag = os.path.basename(f)[len("reference-"):-len("_kodak.jsonl")]
    last = [json.loads(x) for x in open(f) if x.strip()][-1]
    rows.setdefault(("reference", tag.split("-")[0]), []).append(
        (tag, None, last["kodak_bpp"], last["kodak_psnr"]))
print("| side | λ | runs | bpp (file) | bpp (estimate) mean ± sd | PSNR mean ± sd |")
print("|---|---|---:|---:|---:|---:|")
for (side, l), rs in sorted(rows.items()):
    est = [r[2] for r in rs]; ps = [r[3] for r in rs]
    sd = lambda v: statistics.stdev(v) if len(v) > 1 else 0.0
    files = [r[1] for r in rs if r[1] is not None]
    fb = f"{statistics.mean(files):.3f}" if files else "-"
    print(f"| {side} | 0.{l[1:]} | {len(rs)} | {fb} | {statistics.mean(est):.3f} ± {sd(est):.3f} | {statistics.mean(ps):.2f} ± {sd(ps):.2f} |")
EOF
