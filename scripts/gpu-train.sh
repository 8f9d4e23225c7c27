#!/usr/bin/env bash
# Train semcodec on a remote GPU machine (GoMLX's XLA backend) in relays of
# under ten minutes, each resuming from the checkpoint the previous one
# returned. See docs/training.md ("Training on the GPU machine").
#
# On this machine:
#   scripts/gpu-train.sh prepare [CONFIG] [RESUME_DIR]
#     Builds the trainer for linux/amd64 with cgo and -tags xla into
#     carry/semcodec-xla.xz, packs the training data into carry/train.pack
#     (once: later relays must see the same pack) and carry/val.pack, copies
#     the newest checkpoint under RESUME_DIR (the folder a previous run sent
#     back) to carry/resume/, and checks that everything travels (64 MiB).
#
# On the GPU machine (through the device tool, carrying "carry"):
#   bash scripts/gpu-train.sh run "$OUT/run" STEPS
#     Trains CONFIG until the global step reaches STEPS or TRAIN_SECONDS
#     pass (then Ctrl-C: a checkpoint is saved), exports the model, and
#     leaves in $OUT/run at most 8 files of at most 16 MiB each.
#   bash scripts/gpu-train.sh bench "$OUT/bench"
#     Times small and base train steps at batch 8x256x256.
#
# Environment (with defaults): CONFIG=small LAMBDA=0.013 BATCH=8 CROP=256
# SEED=1 CKPT_STATE=full BACKEND=xla:<the CUDA PJRT plugin> TRAIN_SECONDS=480 CKPT_EVERY=2000 VAL_EVERY=2000
# TRAIN_DATA=../shared/data/camvid/train. INIT=MODEL.smw (a file in the tree,
# e.g. the shipped zoo/models/semcodec-small.smw) starts from a model's
# weights when there is no checkpoint to resume; GAIN_LEVELS=N makes a
# fixed-rate network variable-rate over qualities 1..N.
# bf16/mixed precision is not used: it was never measured here.
set -euo pipefail

cd "$(dirname "$0")/.."
CARRY=carry
CONFIG=${CONFIG:-small}
LAMBDA=${LAMBDA:-0.013}
BATCH=${BATCH:-8}
CROP=${CROP:-256}
SEED=${SEED:-1}
CKPT_STATE=${CKPT_STATE:-full}
TRAIN_SECONDS=${TRAIN_SECONDS:-480}
CKPT_EVERY=${CKPT_EVERY:-2000}
VAL_EVERY=${VAL_EVERY:-2000}
SHARED=${SHARED:-../shared/data}
# CamVid train alone leaves room for a full checkpoint at about 39 dB PSNR
# of packing loss; add ",$SHARED/photos" with CKPT_STATE=weights.
TRAIN_DATA=${TRAIN_DATA:-$SHARED/camvid/train}
PLUGIN=/opt/torch/.venv/lib/python3.12/site-packages/jax_plugins/xla_cuda13/xla_cuda_plugin.so
BACKEND=${BACKEND:-xla:$PLUGIN} # BACKEND=semcpu rehearses "run" on a CPU
LIMIT=$((64 << 20))   # the device tool's working-tree limit, carried files included
MARGIN=$((2 << 20))

die() { echo "gpu-train: $*" >&2; exit 1; }

# Bytes that travel besides carry/: tracked and untracked, not ignored, files.
tree_bytes() {
	git ls-files -z --cached --others --exclude-standard | du -cb --files0-from=- 2>/dev/null | tail -1 | cut -f1
}

# Checkpoint size estimate (bytes) for a config and state, measured with
# this repository's networks: all variables (full) or without Adam moments.
ckpt_estimate() {
	case "$1/$2" in
	tiny/*) echo $((1 << 20)) ;;
	small/full) echo 25800000 ;;
	small/weights) echo 8600000 ;;
	base/weights) echo 37200000 ;;
	base/full) die "a full base checkpoint (about 111 MB) cannot travel: use CKPT_STATE=weights" ;;
	*) die "unknown CONFIG/CKPT_STATE $1/$2" ;;
	esac
}

prepare() {
	CONFIG=${1:-$CONFIG}
	local resume_from=${2:-}
	mkdir -p "$CARRY"
	command -v go >/dev/null || die "go is not installed"
	echo "building the trainer (linux/amd64, cgo, -tags xla)"
	CGO_ENABLED=1 GOOS=linux GOARCH=amd64 go build -tags xla -trimpath -ldflags "-s -w" -o "$CARRY/semcodec-xla" ./cmd/semcodec
	xz -6 -T0 -f "$CARRY/semcodec-xla"

	rm -rf "$CARRY/resume"
	local ckpt_bytes
	if [ -n "$resume_from" ]; then
		local latest
		latest=$(ls -d "$resume_from"/ckpt-* 2>/dev/null | sort | tail -1)
		[ -n "$latest" ] || die "no ckpt-* folder in $resume_from"
		mkdir -p "$CARRY/resume"
		cp -r "$latest" "$CARRY/resume/"
		ckpt_bytes=$(du -sb "$CARRY/resume" | cut -f1)
		echo "resuming from $latest ($ckpt_bytes bytes)"
	else
		ckpt_bytes=$(ckpt_estimate "$CONFIG" "$CKPT_STATE")
	fi

	if [ ! -f "$CARRY/val.pack" ]; then
		# 16 CamVid validation images, enough to follow PSNR, bpp and mIoU.
		local tmp
		tmp=$(mktemp -d)
		mkdir -p "$tmp/val" "$tmp/valannot"
		for f in $(ls "$SHARED/camvid/val" | head -16); do
			ln -s "$(realpath "$SHARED/camvid/val/$f")" "$tmp/val/$f"
			ln -s "$(realpath "$SHARED/camvid/valannot/$f")" "$tmp/valannot/$f"
		done
		go run ./cmd/semcodec data pack -q --data "$tmp/val" -o "$CARRY/val.pack" --quality 95 --max-bytes 0
		rm -rf "$tmp"
	fi

	local fixed budget
	fixed=$(( $(tree_bytes) + $(stat -c %s "$CARRY/semcodec-xla.xz") + $(stat -c %s "$CARRY/val.pack") ))
	if [ ! -f "$CARRY/train.pack" ]; then
		# Room left for the training pack once the largest checkpoint of the
		# series travels too; the pack is made once and reused by every relay.
		budget=$(( LIMIT - MARGIN - fixed - ckpt_bytes ))
		[ "$budget" -gt $((4 << 20)) ] || die "no room for training data (budget $budget bytes)"
		echo "packing training data into $budget bytes"
		go run ./cmd/semcodec data pack -q --data "$TRAIN_DATA" \
			-o "$CARRY/train.pack" --quality auto --max-bytes "$budget"
	fi
	local total=$(( fixed + $(stat -c %s "$CARRY/train.pack") + ckpt_bytes ))
	echo "travelling: $total of $LIMIT bytes"
	[ "$total" -le "$LIMIT" ] || die "too large to travel; remove $CARRY/train.pack to repack smaller"
	cat <<EOF
ready. Call the device tool with
  command: bash scripts/gpu-train.sh run "\$OUT/run" 200000
  carry:   ["carry"]
  timeout_s: 600
(set CONFIG=$CONFIG etc. in front of "bash" if not the defaults). Then, to
continue: scripts/gpu-train.sh prepare $CONFIG <files_at>/run
EOF
}

unpack_binary() {
	local bin=/tmp/semcodec
	if command -v xz >/dev/null; then
		xz -dc "$CARRY/semcodec-xla.xz" >"$bin"
	else
		python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2],"wb"))' \
			"$CARRY/semcodec-xla.xz" "$bin"
	fi
	chmod +x "$bin"
	echo "$bin"
}

gpu_env() {
	export GOPJRT_CUDA_CHECKS=0
	export GOMLX_BACKEND="$BACKEND"
	nvidia-smi -L || true
}

run_remote() {
	local out=${1:?output folder} steps=${2:?total steps}
	local bin
	bin=$(unpack_binary)
	gpu_env
	mkdir -p "$out"
	# A resumed run and one from INIT keep their network (and λ); only a
	# fresh run names CONFIG and LAMBDA.
	local start=(--config "$CONFIG" --lambda "$LAMBDA")
	if ls -d "$CARRY"/resume/ckpt-* >/dev/null 2>&1; then
		cp -r "$CARRY"/resume/ckpt-* "$out/"
		start=(--resume)
	elif [ -n "${INIT:-}" ]; then
		start=(--init "$INIT")
	fi
	if [ -n "${GAIN_LEVELS:-}" ]; then
		start+=(--gain-levels "$GAIN_LEVELS")
	fi
	local rc=0
	timeout -s INT -k 60 "$TRAIN_SECONDS" "$bin" train -q "${start[@]}" \
		--data "$CARRY/train.pack" --val "$CARRY/val.pack" --val-every "$VAL_EVERY" \
		--steps "$steps" --batch "$BATCH" --crop "$CROP" --seed "$SEED" \
		--ckpt-every "$CKPT_EVERY" --keep 1 --ckpt-state "$CKPT_STATE" --shard-size 15MiB \
		--out "$out" --json-log "$out/train.jsonl" 2>"$out/train.log" || rc=$?
	tail -5 "$out/train.log"
	# 124: the time limit sent Ctrl-C and the run saved its checkpoint.
	[ "$rc" -eq 0 ] || [ "$rc" -eq 124 ] || die "train failed with exit code $rc"
	if [ "$CONFIG" != base ]; then # a float16 base model (about 19 MB) exceeds 16 MiB: export it locally
		"$bin" export --checkpoint "$out" -o "$out/model.smw" --dtype f16
	fi
	local n
	n=$(find "$out" -type f | wc -l)
	find "$out" -type f -printf '%s\t%p\n'
	[ "$n" -le 8 ] || echo "gpu-train: warning: $n files, only 8 come back" >&2
	find "$out" -type f -size +16M | grep -q . && echo "gpu-train: warning: a file exceeds 16 MiB" >&2 || true
}

bench_remote() {
	local out=${1:?output folder}
	local bin
	bin=$(unpack_binary)
	gpu_env
	mkdir -p "$out"
	for cfg in small base; do
		"$bin" train -q --config "$cfg" --data "$CARRY/train.pack" --steps 40 --batch 8 --crop 256 \
			--ckpt-every 0 --ckpt-state weights --out "/tmp/bench-$cfg" 2>&1 | tee "$out/bench-$cfg.txt" | grep -E 'steps/s|error' || true
	done
}

case "${1:-}" in
prepare) shift; prepare "$@" ;;
run) shift; run_remote "$@" ;;
bench) shift; bench_remote "$@" ;;
*) sed -n '2,26p' "$0"; exit 2 ;;
esac
