#!/usr/bin/env bash
# The seed paper's Table 1 at CPU scale (issue 17): the same network width,
# data, steps, λ and seed for every variant, then Kodak and CamVid val from
# the bitstream.
#
#   scripts/ablation.sh train VARIANT [WORK_DIR]   train (or resume) one variant
#   scripts/ablation.sh eval VARIANT [WORK_DIR]    export and evaluate it
#   scripts/ablation.sh sweep VARIANT [WORK_DIR]   Kodak curve over the λ sweep
#
# sweep exports the variant's runs at λ 0.0067, 0.013 and 0.025 (trained
# first with LAMBDA=...) as one three-quality family (qualities 3, 4, 5 of
# the shipped λ table) and measures it on Kodak from real files; a variant
# other than plain is compared (BD-rate) with plain's curve, so sweep plain
# first. For bqa it also scores the plain synthesis x̂ from the same files
# (semcodec-plain), which isolates the post-enhancement module at equal bpp.
#
# VARIANT: plain (scale hyperprior), baseline (semantic branch, y_sem neither
# quantized nor coded, no aggregation), bq (+ quantized y_sem), ba
# (+ aggregation), bqa (the full model), bqa-noenh (the full model without
# post-enhancement). Checkpoints go to WORK_DIR/VARIANT (default /tmp/abl),
# logs and results to results/ablation/. STEPS (5000), LAMBDA (0.013) and
# SEED (7) may be set; every variant must use the same steps and seed. A λ
# other than 0.013 (the BD-rate sweeps) names the run VARIANT-lλ, e.g.
# bqa-l025 for LAMBDA=0.025. Training is resumable
# (run the same command again after an interruption); a variant takes 10-50
# minutes on one core.
set -euo pipefail
cd "$(dirname "$0")/.."
cmd=${1:?train or eval}
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
tag=$variant
if [ "$lambda" != 0.013 ]; then tag=$variant-l${lambda#0.}; fi
out=$work/$tag
mkdir -p results/ablation
case $cmd in
train)
	start=(--config compact "${flags[@]}" --lambda "$lambda" --seed "$seed")
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
	fam=$work/family-$variant
	rm -rf "$fam" && mkdir -p "$fam"
	for q in 3:0.0067 4:0.013 5:0.025; do
		run=$work/$variant
		if [ "${q#*:}" != 0.013 ]; then run=$run-l${q#*:0.}; fi
		"$bin" export --checkpoint "$run" -o "$fam/q${q%%:*}.smw" --dtype f32 \
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
