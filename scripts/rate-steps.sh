#!/usr/bin/env bash
# Checks that the file size rises with quality on every Kodak image: each
# image is compressed at every quality of the model (real files), and the
# smallest step from one quality to the next, over the 24 images, is printed
# per pair. Exits non-zero if any step is not a rise.
#
#   scripts/rate-steps.sh SEMCODEC_BINARY LEVELS [MODEL.smw]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$1 levels=$2
model=()
if [ $# -gt 2 ]; then model=(--model "$3"); fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for img in ../shared/data/kodak/kodim*.png; do
	name=$(basename "$img" .png)
	for q in $(seq "$levels"); do
		"$bin" compress -q "$q" "${model[@]}" -o "$tmp/$name-$q.smc" "$img" >/dev/null
	done
done
fail=0
for q in $(seq 2 "$levels"); do
	min=
	for img in ../shared/data/kodak/kodim*.png; do
		name=$(basename "$img" .png)
		a=$(stat -c %s "$tmp/$name-$((q - 1)).smc") b=$(stat -c %s "$tmp/$name-$q.smc")
		step=$(((b - a) * 1000 / a)) # per mille
		if [ -z "$min" ] || [ "$step" -lt "$min" ]; then min=$step minname=$name; fi
	done
	echo "q$((q - 1)) -> q$q: smallest rise $((min / 10)).$((min % 10))% ($minname)"
	if [ "$min" -le 0 ]; then fail=1; fi
done
exit $fail
