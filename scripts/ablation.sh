#!/usr/bin/env bash
# The seed paper's Table 1 at CPU scale (issue 17): the same network width,
# data, steps, λ and seed for every variant, then Kodak and CamVid val from
# the bitstream.
#
#   scripts/ablation.sh train VARIANT [WORK_DIR]   train (or resume) one variant
#   scripts/ablation.sh eval VARIANT [WORK_DIR]    export and evaluate it
#   scripts/ablation.sh sweep VARIANT [WORK_DIR]   Kodak curve over the λ sweep
#   scripts/ablation.sh table                      the paper's Table 1 from results/ablation
#
# sweep exports the variant's runs at λ 0.0067, 0.013 and 0.025 (trained
# first with LAMBDA=...) as one three-quality family (qualities 3, 4, 5 of
# the shipped λ table) and measures it on Kodak from real files; a variant
# other than plain is compared (BD-rate) with plain's curve, so sweep plain
# first. For bqa it also scores the plain synthesis x̂ from the same files
# (semcodec-plain), the decoder without the post-enhancement module at
# equal bpp.
#
# LEVELS=0.0067,0.013,0.025 makes train one variable-rate network over those
# λ (gain units, each crop at a level drawn for it; run VARIANT-vr) and
# sweep then measures that one network's levels, against plain-vr's curve:
# fixed-rate runs this short are not ordered by their λ (training noise
# moves a point more than λ does), one network's levels are.
#
# VARIANT: plain (scale hyperprior), baseline (semantic branch, y_sem neither
# quantized nor coded, no aggregation), bq (+ quantized y_sem), ba
# (+ aggregation), bqa (the full model), bqa-noenh (the full model without
# post-enhancement). Checkpoints go to WORK_DIR/VARIANT (default /tmp/abl),
# logs and results to results/ablation/. STEPS (5000), LAMBDA (0.013) and
# SEED (7) may be set; every variant must use the same steps and seed. A λ
# other than 0.013 (the BD-rate sweeps) names the run VARIANT-lλ, e.g.
# bqa-l025 for LAMBDA=0.025, and a seed other than 7 adds -sSEED (bqa-s8).
# Training is resumable
# (run the same command again after an interruption); a variant takes 10-50
# minutes on one core.
set -euo pipefail
cd "$(dirname "$0")/.."
cmd=${1:?train, eval, sweep or table}
if [ "$cmd" = table ]; then
	# Table 1 (Baseline, B+Q, B+A, B+Q+A) and the other variants at λ 0.013,
	# then the full model against plain at equal rate (the LEVELS sweeps):
	# the mean over seeds and each seed's figure. Kodak from real files where
	# a file can carry the latent, else from the likelihoods (eval network);
	# CamVid val mIoU decoded from the bitstream, else the network's on the
	# original image.
	exec /usr/bin/python3 - <<'EOF'
import json, os, statistics
R = "results/ablation"
def load(name):
    p = os.path.join(R, name)
    return json.load(open(p)) if os.path.exists(p) else None
rows = [("plain", "plain scale hyperprior"), ("baseline", "Baseline"), ("bq", "B+Q"),
        ("ba", "B+A"), ("bqa", "B+Q+A"), ("bqa-noenh", "B+Q+A, no post-enhancement")]
paper = {"baseline": "72.1", "bq": "71.2", "ba": "72.8", "bqa": "72.5"}
print("| variant | seeds | Kodak PSNR (dB) | Kodak MS-SSIM | Kodak bpp | CamVid val mIoU (%) | uncompressed input | paper mIoU (Cityscapes) |")
print("|---|---|---:|---:|---:|---:|---:|---:|")
for v, label in rows:
    runs = []
    for seed, tag in ((7, v), (8, v + "-s8")):
        files, seg = load(tag + "-kodak.json"), load(tag + "-camvid.json")
        net, segnet = load(tag + "-kodak-network.json"), load(tag + "-camvid-network.json")
        if files is None and net is None:
            continue
        if files:
            r = files["codecs"][0]["results"]
            psnr, bpp, msssim = r["psnr-rgb"][0], r["bpp"][0], r["ms-ssim-rgb"][0]
        else:  # eval network scores no MS-SSIM
            psnr, bpp, msssim = net["results"][0]["psnr"], net["results"][0]["bpp"], None
        miou = upper = None
        if seg:
            miou, upper = seg["points"][0]["decoded"]["miou"], seg["upper_bound"]["miou"]
        elif segnet:
            miou = upper = segnet["results"][0]["miou"]
        runs.append((seed, psnr, bpp, miou, upper, files is not None, msssim))
    if not runs:
        continue
    def cell(i, f, k=1):
        if runs[0][i] is None:
            return "–"
        out = f % (k * statistics.mean(r[i] for r in runs))
        if len(runs) > 1:
            out += " (" + " / ".join(f % (k * r[i]) for r in runs) + ")"
        return out
    src = "" if runs[0][5] else " (likelihood)"
    print(f"| {label} | {', '.join(str(r[0]) for r in runs)} | {cell(1, '%.2f')} | {cell(6, '%.4f')} | {cell(2, '%.3f')}{src} | "
          f"{cell(3, '%.1f', 100)} | {cell(4, '%.1f', 100)} | {paper.get(v, '–')} |")

# The full model against the plain hyperprior at equal rate, from the two
# variable-rate sweeps: each full-model point against the plain curve
# interpolated linearly in log(bpp). Three levels per curve are too few for
# a Bjøntegaard cubic, and these curves' PSNR ranges need not overlap.
import math
def curve(tag):
    r = load(f"sweep-{tag}-kodak.json")
    if r is None:
        return None
    res = r["codecs"][0]["results"]
    return sorted(zip(res["bpp"], res["psnr-rgb"]))
plain, full = curve("plain-vr"), curve("bqa-vr")
if plain and full:
    print()
    print("| full model (B+Q+A), variable rate | plain hyperprior at that bpp | difference |")
    print("|---|---:|---:|")
    for b, p in full:
        ref = None
        for (b0, p0), (b1, p1) in zip(plain, plain[1:]):
            if b0 <= b <= b1:
                t = (math.log(b) - math.log(b0)) / (math.log(b1) - math.log(b0))
                ref = p0 + t * (p1 - p0)
        if ref is None:
            print(f"| {p:.2f} dB at {b:.3f} bpp | outside the plain curve's {plain[0][0]:.3f}-{plain[-1][0]:.3f} bpp | – |")
        else:
            print(f"| {p:.2f} dB at {b:.3f} bpp | {ref:.2f} dB | {p - ref:+.2f} dB |")
EOF
fi
variant=${2:?variant}
work=${3:-/tmp/abl}
steps=${STEPS:-5000}
lambda=${LAMBDA:-0.013}
seed=${SEED:-7}
case $variant in
plain) flags=(--no-semantic) ;;
baseline) flags=(--no-quantize-semantic --no-aggregation) ;;
bq) flags=(--no-aggregation) ;;
ba) flags=(--no-quantize-semantic) ;;
bqa) flags=() ;;
bqa-noenh) flags=(--no-enhancement) ;;
*) echo "ablation: unknown variant $variant" >&2; exit 1 ;;
esac
bin=${SEMCODEC:-}
if [ -z "$bin" ]; then
	bin=$(mktemp -d)/semcodec
	trap 'rm -rf "$(dirname "$bin")"' EXIT
	go build -o "$bin" ./cmd/semcodec
fi
levels=${LEVELS:-}
# tag_of LAMBDA names a run of this variant, seed and LEVELS at that λ.
tag_of() {
	local t=$variant
	if [ "$1" != 0.013 ]; then t=$t-l${1#0.}; fi
	if [ "$seed" != 7 ]; then t=$t-s$seed; fi
	if [ -n "$levels" ]; then t=$t-vr; fi
	echo "$t"
}
tag=$(tag_of "$lambda")
out=$work/$tag
mkdir -p results/ablation
case $cmd in
train)
	start=(--config compact "${flags[@]}" --lambda "$lambda" --seed "$seed")
	if [ -n "$levels" ]; then start+=(--gain-lambdas "$levels"); fi
	if ls -d "$out"/ckpt-* >/dev/null 2>&1; then start=(--resume); fi
	"$bin" train "${start[@]}" --data ../shared/data/camvid/train,images:../shared/data/photos \
		--steps "$steps" --batch 4 --crop 96 --lr 1e-3 --decay-frac 0.15 \
		--out "$out" --json-log "results/ablation/$tag.jsonl" --val-every 0 --ckpt-every 500 --keep 1 -q
	;;
eval)
	"$bin" export --checkpoint "$out" -o "$work/$tag.smw" --dtype f32
	# Every variant the same way, from the likelihoods (what training
	# validates; it also measures the variants no bitstream can carry) ...
	"$bin" eval network --model "$work/$tag.smw" --data images:../shared/data/kodak \
		--json "results/ablation/$tag-kodak-network.json"
	if [ "$variant" != plain ]; then
		"$bin" eval network --model "$work/$tag.smw" --data camvid:../shared/data/camvid:val \
			--json "results/ablation/$tag-camvid-network.json"
	fi
	# ... and, where a file can carry the latent, from real files.
	if [ "$variant" != baseline ] && [ "$variant" != ba ]; then
		"$bin" eval compression --data ../shared/data/kodak --codecs semcodec --model "$work/$tag.smw" \
			--json "results/ablation/$tag-kodak.json" --quiet
		if [ "$variant" != plain ]; then
			"$bin" eval segmentation --data ../shared/data/camvid --split val --model "$work/$tag.smw" \
				--json "results/ablation/$tag-camvid.json" --quiet
		fi
	fi
	;;
sweep)
	if [ -n "$levels" ]; then
		"$bin" export --checkpoint "$out" -o "$work/$tag.smw" --dtype f32 --model "ablation-$tag"
		against=()
		if [ "$variant" != plain ]; then
			against=(--against "results/ablation/sweep-plain-vr-kodak.json:semcodec")
		fi
		"$bin" eval compression --data ../shared/data/kodak --codecs semcodec --model "$work/$tag.smw" \
			"${against[@]}" --json "results/ablation/sweep-$tag-kodak.json" --quiet
		exit
	fi
	fam=$work/family-$variant
	rm -rf "$fam" && mkdir -p "$fam"
	for q in 3:0.0067 4:0.013 5:0.025; do
		"$bin" export --checkpoint "$work/$(tag_of "${q#*:}")" -o "$fam/q${q%%:*}.smw" --dtype f32 \
			--model "ablation-$variant" --quality "${q%%:*}"
	done
	codecs=semcodec against=()
	if [ "$variant" = bqa ]; then codecs=semcodec,semcodec-plain; fi
	if [ "$variant" != plain ]; then
		against=(--against "results/ablation/sweep-plain-kodak.json:semcodec")
	fi
	"$bin" eval compression --data ../shared/data/kodak --codecs "$codecs" --model "$fam" \
		"${against[@]}" --json "results/ablation/sweep-$variant-kodak.json" --quiet
	;;
*) echo "ablation: unknown command $cmd" >&2; exit 1 ;;
esac
