#!/usr/bin/env bash
# Measures the shipped (or a given) model the way the README reports it, and
# writes the results under results/:
#   kodak_rd.json, kodak_rd.png/.svg  Kodak RD (PSNR, MS-SSIM) of semcodec and
#                                     every baseline encoder installed, in one
#                                     run, against CompressAI's published curves
#   camvid_seg.json                   CamVid val mIoU from the bitstream at every
#                                     quality and for the uncompressed input
#   kodak_rate_steps.txt              the smallest file-size rise from each
#                                     quality to the next over the Kodak images
#   kodak_gallery.png                 kodim23 by every codec at about 0.3 bpp
#
#   scripts/eval-shipped.sh [MODEL.smw]   (default: the embedded default)
#
# Needs ../shared (Kodak, CamVid) and, for the baselines,
# scripts/install-baselines.sh. SEG_LIMIT (default 101: all of CamVid val)
# bounds the segmentation images. Takes 20-40 minutes on two cores.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(mktemp -d)/semcodec
trap 'rm -rf "$(dirname "$bin")"' EXIT
go build -o "$bin" ./cmd/semcodec
model=()
if [ $# -gt 0 ]; then model=(--model "$1"); fi

"$bin" eval compression --data ../shared/data/kodak --workers 2 --quiet \
	--codecs semcodec,jpeg,jpeg-turbo,webp,jpeg2000,avif,heif,jxl "${model[@]}" \
	--json results/kodak_rd.json --plot results/kodak_rd.png \
	--against ../shared/anchors/kodak_rd.csv:bmshj2018-hyperprior,mbt2018-mean
levels=$(python3 -c 'import json; print(len(json.load(open("results/kodak_rd.json"))["codecs"][0]["quality"]))')
scripts/rate-steps.sh "$bin" "$levels" "${model[@]:1}" | tee results/kodak_rate_steps.txt
"$bin" eval segmentation --data ../shared/data/camvid --split val --quiet \
	--limit "${SEG_LIMIT:-101}" "${model[@]}" --json results/camvid_seg.json
"$bin" eval gallery --image ../shared/data/kodak/kodim23.png --bpp 0.3 \
	--codecs semcodec,jpeg-turbo,webp,avif --crop 256,96,320,256 "${model[@]}" \
	--out results/kodak_gallery.png
