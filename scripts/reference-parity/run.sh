#!/usr/bin/env bash
# Scores semcodec and the independent PyTorch reference (../shared/reference)
# on the same weights: a reference checkpoint is converted into a semcodec
# model file (the plain `compact` network with transposed synthesis and
# hyper-synthesis) and both evaluate Kodak. Equal figures say the two
# networks and rate models agree, so any gap between separately trained runs
# comes from training, not from the architecture.
#
#   scripts/reference-parity/run.sh CHECKPOINT.pt [LAMBDA]
#
# semcodec gives the total bpp only (eval network); the reference gives y and
# z apart, with z rounded to integers (semcodec's way) and around its medians
# (its own). Needs /usr/bin/python3 with torch, numpy and PIL (Debian's
# python3-torch, python3-numpy, python3-pil); skipped, with exit status 0,
# without them.
set -euo pipefail
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: $0 CHECKPOINT.pt [LAMBDA]" >&2
	exit 2
fi
if [ ! -f "$1" ]; then
	echo "reference-parity: no checkpoint $1" >&2
	exit 1
fi
ckpt=$(realpath "$1")
lambda=${2:-0}
cd "$(dirname "$0")/../.."
here=scripts/reference-parity
py=/usr/bin/python3
if ! "$py" -c 'import torch, numpy, PIL' 2>/dev/null; then
	echo "reference-parity: skipped: $py cannot import torch, numpy and PIL" >&2
	exit 0
fi
kodak=../shared/data/kodak
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMP_NUM_THREADS=1

"$py" "$here/dump.py" "$ckpt" "$work/raw"
go build -o "$work/semcodec" ./cmd/semcodec
go run "$here/convert.go" -lambda "$lambda" -source "$(basename "$ckpt")" "$work/raw" "$work/ref.smw"
"$work/semcodec" eval network --model "$work/ref.smw" --data "images:$kodak" --json "$work/semcodec.json" >/dev/null
"$py" "$here/reference_eval.py" "$ckpt" "$kodak" ../shared/reference >"$work/reference.json"

"$py" - "$work/semcodec.json" "$work/reference.json" "$ckpt" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["results"][0]
r = json.load(open(sys.argv[2]))
print("%s on Kodak (%d images), same weights" % (sys.argv[3], s["images"]))
print("%-22s %8s %8s %8s %10s" % ("", "bpp", "bpp_y", "bpp_z", "PSNR (dB)"))
print("%-22s %8.5f %8s %8s %10.3f" % ("semcodec", s["bpp"], "-", "-", s["psnr"]))
for mode, name in (("integer_z", "reference, integer z"), ("median_z", "reference, median z")):
    m = r[mode]
    print("%-22s %8.5f %8.5f %8.5f %10.3f" % (name, m["bpp"], m["bpp_y"], m["bpp_z"], m["psnr"]))
PY
