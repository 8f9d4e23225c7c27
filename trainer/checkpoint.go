package trainer

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	mlctx "github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/semcodec/semcodec/model"
)

// Checkpoint layout. A checkpoint is a folder OUT/ckpt-<step, 9 digits>
// holding checkpoint.json (metadata and a tensor index) and the raw tensor
// data in shards data-000.bin, data-001.bin, ... of at most ShardBytes each
// (a tensor is never split), so that a run on a remote machine can return its
// checkpoint as a few files of bounded size. Tensor data is the GoMLX
// variable's raw little-endian bytes; every tensor carries a CRC-32.
//
// A checkpoint is written into a hidden temporary folder in OUT and renamed
// into place only when complete, so a crash or a Ctrl-C never leaves a
// partial checkpoint under a ckpt- name and never touches an existing one.
const (
	CheckpointFormat  = "semcodec-checkpoint"
	CheckpointVersion = 1
	checkpointPrefix  = "ckpt-"
	checkpointMeta    = "checkpoint.json"
	tmpPrefix         = ".ckpt-tmp-"
	// DefaultShardBytes keeps each shard under 16 MiB.
	DefaultShardBytes = 15 << 20
	maxMetaBytes      = 64 << 20
)

// Checkpoint states.
const (
	// StateFull saves every variable: weights, BatchNorm statistics, Adam
	// moments and step counters, the learning rate and the random state. A
	// run resumed from it continues exactly as if never stopped.
	StateFull = "full"
	// StateWeights omits the optimizer's moments (two thirds of the bytes);
	// a run resumed from it restarts Adam's moment estimates.
	StateWeights = "weights"
)

var (
	// ErrNoCheckpoint means a folder holds no checkpoint.
	ErrNoCheckpoint = errors.New("trainer: no checkpoint found")
)

// CheckpointError reports a checkpoint that cannot be read or used.
type CheckpointError struct {
	Path string
	Err  error
}

func (e *CheckpointError) Error() string {
	return fmt.Sprintf("trainer: checkpoint %s: %v", e.Path, e.Err)
}
func (e *CheckpointError) Unwrap() error { return e.Err }

// RunInfo records how a run was set up, for resuming and provenance.
type RunInfo struct {
	Seed         uint64   `json:"seed"`
	Batch        int      `json:"batch"`
	Crop         int      `json:"crop"`
	Steps        int      `json:"steps"`
	LearningRate float64  `json:"learning_rate"`
	Data         []string `json:"data,omitempty"`
	ClassSet     string   `json:"class_set,omitempty"`
	// Lambda and CEWeight weighed the loss; 0 in checkpoints written while
	// they were part of the network's configuration (see RunLambda).
	Lambda   float64 `json:"lambda,omitempty"`
	CEWeight float64 `json:"ce_weight,omitempty"`
}

// RunLambda returns the λ the checkpoint's run trained with, from its run
// settings or, in older checkpoints, its configuration.
func (m *CheckpointMeta) RunLambda() float64 {
	if m.Run.Lambda != 0 {
		return m.Run.Lambda
	}
	return m.Config.RetiredLambda
}

// RunCEWeight is RunLambda for the cross-entropy weight.
func (m *CheckpointMeta) RunCEWeight() float64 {
	if m.Run.CEWeight != 0 {
		return m.Run.CEWeight
	}
	return m.Config.RetiredCEWeight
}

// CheckpointMeta is the content of checkpoint.json.
type CheckpointMeta struct {
	Format  string       `json:"format"`
	Version int          `json:"version"`
	Step    int64        `json:"step"`
	State   string       `json:"state"`
	Config  model.Config `json:"config"`
	Run     RunInfo      `json:"run"`
	// MovingConfusion is the host-side state behind the logged moving mIoU.
	MovingConfusion []float64     `json:"moving_confusion,omitempty"`
	Tensors         []tensorEntry `json:"tensors"`
	Shards          []shardEntry  `json:"shards"`
}

type tensorEntry struct {
	Name   string `json:"name"`
	DType  string `json:"dtype"`
	Shape  []int  `json:"shape"`
	Shard  int    `json:"shard"`
	Offset int64  `json:"offset"`
	Length int64  `json:"length"`
	CRC32  uint32 `json:"crc32"`
}

type shardEntry struct {
	File string `json:"file"`
	Size int64  `json:"size"`
}

// Checkpoint is a loaded checkpoint.
type Checkpoint struct {
	Path    string
	Meta    CheckpointMeta
	Tensors map[string]*tensors.Tensor // keyed by variable scope and name, e.g. "/synthesis/up1/weights"
}

// varKey is the checkpoint name of a variable.
func varKey(scope, name string) string { return mlctx.JoinScope(scope, name) }

// optimizerState reports whether a variable belongs to the optimizer's
// moment estimates or step counter (dropped by StateWeights).
func optimizerState(key string) bool {
	return strings.HasPrefix(key, "/"+adamScope+"/") || strings.HasPrefix(key, "/"+auxScope+"/")
}

// checkpointName is the folder name of the checkpoint at step.
func checkpointName(step int64) string { return fmt.Sprintf("%s%09d", checkpointPrefix, step) }

// parseCheckpointName returns the step of a checkpoint folder name.
func parseCheckpointName(name string) (int64, bool) {
	digits, ok := strings.CutPrefix(name, checkpointPrefix)
	if !ok || len(digits) == 0 {
		return 0, false
	}
	step, err := strconv.ParseInt(digits, 10, 64)
	return step, err == nil && step >= 0
}

// ListCheckpoints returns the checkpoint folders in dir, oldest step first.
func ListCheckpoints(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	type ck struct {
		step int64
		path string
	}
	var cks []ck
	for _, e := range entries {
		if step, ok := parseCheckpointName(e.Name()); ok && e.IsDir() {
			cks = append(cks, ck{step, filepath.Join(dir, e.Name())})
		}
	}
	slices.SortFunc(cks, func(a, b ck) int { return int(a.step - b.step) })
	out := make([]string, len(cks))
	for i, c := range cks {
		out[i] = c.path
	}
	return out, nil
}

// FindCheckpoint resolves path to one checkpoint folder: path itself when it
// holds checkpoint.json, else the checkpoint with the highest step inside it.
func FindCheckpoint(path string) (string, error) {
	if _, err := os.Stat(filepath.Join(path, checkpointMeta)); err == nil {
		return path, nil
	}
	st, err := os.Stat(path)
	if err != nil {
		return "", &CheckpointError{Path: path, Err: err}
	}
	if !st.IsDir() {
		return "", &CheckpointError{Path: path, Err: errors.New("not a checkpoint folder")}
	}
	list, err := ListCheckpoints(path)
	if err != nil {
		return "", &CheckpointError{Path: path, Err: err}
	}
	if len(list) == 0 {
		return "", &CheckpointError{Path: path, Err: ErrNoCheckpoint}
	}
	return list[len(list)-1], nil
}

// SaveCheckpoint writes every variable of ctx (less the optimizer moments
// when meta.State is StateWeights) as a checkpoint in outDir, named after
// meta.Step, and then removes all but the newest keep checkpoints (keep <= 0
// keeps all). It returns the checkpoint's folder. A checkpoint of the same
// step that already exists and reads back valid is kept as it is.
func SaveCheckpoint(outDir string, ctx *mlctx.Context, meta CheckpointMeta, shardBytes int64, keep int) (string, error) {
	if shardBytes <= 0 {
		shardBytes = DefaultShardBytes
	}
	if meta.State == "" {
		meta.State = StateFull
	}
	meta.Format, meta.Version = CheckpointFormat, CheckpointVersion
	final := filepath.Join(outDir, checkpointName(meta.Step))
	if _, err := os.Stat(final); err == nil {
		if _, err := ReadCheckpointMeta(final); err == nil {
			return final, pruneCheckpoints(outDir, keep)
		}
		return "", &CheckpointError{Path: final, Err: errors.New("a damaged checkpoint of this step is in the way; move it aside")}
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(outDir, tmpPrefix)
	if err != nil {
		return "", err
	}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(tmp)
		}
	}()

	var vars []*mlctx.Variable
	ctx.EnumerateVariables(func(v *mlctx.Variable) {
		if meta.State == StateWeights && optimizerState(varKey(v.Scope(), v.Name())) {
			return
		}
		vars = append(vars, v)
	})
	slices.SortFunc(vars, func(a, b *mlctx.Variable) int {
		return strings.Compare(varKey(a.Scope(), a.Name()), varKey(b.Scope(), b.Name()))
	})

	var shard *os.File
	var shardLen int64
	closeShard := func() error {
		if shard == nil {
			return nil
		}
		err := shard.Sync()
		if cerr := shard.Close(); err == nil {
			err = cerr
		}
		meta.Shards[len(meta.Shards)-1].Size = shardLen
		shard = nil
		return err
	}
	meta.Tensors, meta.Shards = nil, nil
	for _, v := range vars {
		val, err := v.Value()
		if err != nil {
			return "", fmt.Errorf("trainer: checkpoint variable %s: %w", v.ScopeAndName(), err)
		}
		var data []byte
		if err := val.ConstBytes(func(b []byte) { data = slices.Clone(b) }); err != nil {
			return "", fmt.Errorf("trainer: checkpoint variable %s: %w", v.ScopeAndName(), err)
		}
		if shard == nil || (shardLen > 0 && shardLen+int64(len(data)) > shardBytes) {
			if err := closeShard(); err != nil {
				return "", err
			}
			name := fmt.Sprintf("data-%03d.bin", len(meta.Shards))
			if shard, err = os.Create(filepath.Join(tmp, name)); err != nil {
				return "", err
			}
			meta.Shards = append(meta.Shards, shardEntry{File: name})
			shardLen = 0
		}
		if _, err := shard.Write(data); err != nil {
			return "", err
		}
		sh := val.Shape()
		meta.Tensors = append(meta.Tensors, tensorEntry{
			Name: varKey(v.Scope(), v.Name()), DType: sh.DType.String(), Shape: slices.Clone(sh.Dimensions),
			Shard: len(meta.Shards) - 1, Offset: shardLen, Length: int64(len(data)), CRC32: crc32.ChecksumIEEE(data),
		})
		shardLen += int64(len(data))
	}
	if err := closeShard(); err != nil {
		return "", err
	}
	js, err := json.MarshalIndent(meta, "", " ")
	if err != nil {
		return "", err
	}
	if err := writeSynced(filepath.Join(tmp, checkpointMeta), js); err != nil {
		return "", err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, final); err != nil {
		return "", err
	}
	ok = true
	syncDir(outDir)
	return final, pruneCheckpoints(outDir, keep)
}

func writeSynced(path string, data []byte) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// syncDir makes a rename durable where the platform allows it.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// pruneCheckpoints removes all but the newest keep checkpoints, oldest first.
func pruneCheckpoints(dir string, keep int) error {
	if keep <= 0 {
		return nil
	}
	list, err := ListCheckpoints(dir)
	if err != nil {
		return err
	}
	for len(list) > keep {
		if err := os.RemoveAll(list[0]); err != nil {
			return err
		}
		list = list[1:]
	}
	return nil
}

// RemoveStaleTemps deletes temporary checkpoint folders a killed run left in
// dir. Only names this package creates are touched.
func RemoveStaleTemps(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), tmpPrefix) {
			os.RemoveAll(filepath.Join(dir, e.Name()))
		}
	}
}

// ReadCheckpointMeta reads and validates checkpoint.json and the shard sizes
// of the checkpoint folder path, without reading tensor data.
func ReadCheckpointMeta(path string) (*CheckpointMeta, error) {
	bad := func(format string, args ...any) error {
		return &CheckpointError{Path: path, Err: fmt.Errorf(format, args...)}
	}
	f, err := os.Open(filepath.Join(path, checkpointMeta))
	if err != nil {
		return nil, &CheckpointError{Path: path, Err: err}
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, maxMetaBytes+1))
	if err != nil {
		return nil, &CheckpointError{Path: path, Err: err}
	}
	if len(raw) > maxMetaBytes {
		return nil, bad("%s larger than %d bytes", checkpointMeta, maxMetaBytes)
	}
	var meta CheckpointMeta
	if err := json.Unmarshal(raw, &meta); err != nil {
		return nil, bad("%s: %v", checkpointMeta, err)
	}
	if meta.Format != CheckpointFormat {
		return nil, bad("format %q, want %q", meta.Format, CheckpointFormat)
	}
	if meta.Version != CheckpointVersion {
		return nil, bad("version %d, this build reads %d", meta.Version, CheckpointVersion)
	}
	if meta.State != StateFull && meta.State != StateWeights {
		return nil, bad("unknown state %q", meta.State)
	}
	if meta.Step < 0 {
		return nil, bad("negative step %d", meta.Step)
	}
	if err := meta.Config.Validate(); err != nil {
		return nil, bad("%v", err)
	}
	for i, s := range meta.Shards {
		if s.File != fmt.Sprintf("data-%03d.bin", i) {
			return nil, bad("shard %d is named %q", i, s.File)
		}
		st, err := os.Stat(filepath.Join(path, s.File))
		if err != nil {
			return nil, bad("%v", err)
		}
		if st.Size() != s.Size {
			return nil, bad("%s has %d bytes, want %d (truncated or overwritten)", s.File, st.Size(), s.Size)
		}
	}
	seen := map[string]bool{}
	next := make([]int64, len(meta.Shards))
	for _, t := range meta.Tensors {
		if t.Name == "" || seen[t.Name] {
			return nil, bad("empty or duplicate tensor name %q", t.Name)
		}
		seen[t.Name] = true
		dt, ok := dtypes.MapOfNames[t.DType]
		if !ok || dt == dtypes.InvalidDType || dt.Size() <= 0 {
			return nil, bad("tensor %s: unsupported dtype %q", t.Name, t.DType)
		}
		n := int64(1)
		for _, d := range t.Shape {
			if d < 0 || d > 1<<31 || (d > 0 && n > (1<<40)/int64(d)) {
				return nil, bad("tensor %s: bad shape %v", t.Name, t.Shape)
			}
			n *= int64(d)
		}
		if t.Shard < 0 || t.Shard >= len(meta.Shards) || t.Offset != next[t.Shard] || t.Length != n*int64(dt.Size()) {
			return nil, bad("tensor %s: bad location shard %d at %d+%d", t.Name, t.Shard, t.Offset, t.Length)
		}
		next[t.Shard] += t.Length
	}
	for i, s := range meta.Shards {
		if next[i] != s.Size {
			return nil, bad("%s: tensors cover %d of %d bytes", s.File, next[i], s.Size)
		}
	}
	return &meta, nil
}

// LoadCheckpoint reads and verifies the checkpoint at path: a checkpoint
// folder, or a folder of checkpoints (the newest is read). Every tensor's
// checksum is checked.
func LoadCheckpoint(path string) (*Checkpoint, error) {
	dir, err := FindCheckpoint(path)
	if err != nil {
		return nil, err
	}
	meta, err := ReadCheckpointMeta(dir)
	if err != nil {
		return nil, err
	}
	ck := &Checkpoint{Path: dir, Meta: *meta, Tensors: make(map[string]*tensors.Tensor, len(meta.Tensors))}
	shards := make([][]byte, len(meta.Shards))
	for i, s := range meta.Shards {
		if shards[i], err = os.ReadFile(filepath.Join(dir, s.File)); err != nil {
			return nil, &CheckpointError{Path: dir, Err: err}
		}
		if int64(len(shards[i])) != s.Size {
			return nil, &CheckpointError{Path: dir, Err: fmt.Errorf("%s changed while reading", s.File)}
		}
	}
	for _, t := range meta.Tensors {
		data := shards[t.Shard][t.Offset : t.Offset+t.Length]
		if crc32.ChecksumIEEE(data) != t.CRC32 {
			return nil, &CheckpointError{Path: dir, Err: fmt.Errorf("tensor %s: checksum mismatch (corrupt data)", t.Name)}
		}
		tt := tensors.FromShape(shapes.Make(dtypes.MapOfNames[t.DType], t.Shape...))
		if err := tt.MutableBytes(func(b []byte) { copy(b, data) }); err != nil {
			return nil, &CheckpointError{Path: dir, Err: err}
		}
		ck.Tensors[t.Name] = tt
	}
	return ck, nil
}

// assignVariables sets every variable of ctx (created by building a graph)
// to its value in vals, checking that the two match one to one in name and
// shape, except for variables mayMiss allows to be absent from vals (those
// keep their initializers). Values are copied, so vals stays usable.
func assignVariables(ctx *mlctx.Context, vals map[string]*tensors.Tensor, mayMiss func(key string) bool) error {
	var problems []string
	seen := map[string]bool{}
	var firstErr error
	ctx.EnumerateVariables(func(v *mlctx.Variable) {
		key := varKey(v.Scope(), v.Name())
		t, ok := vals[key]
		seen[key] = true
		switch {
		case !ok:
			if !mayMiss(key) {
				problems = append(problems, "missing "+key)
			}
			return
		case !t.Shape().Equal(v.Shape()):
			problems = append(problems, fmt.Sprintf("%s is %s, the network wants %s", key, t.Shape(), v.Shape()))
			return
		}
		c, err := cloneTensor(t)
		if err == nil {
			err = v.SetValue(c)
		}
		if err != nil && firstErr == nil {
			firstErr = fmt.Errorf("trainer: set %s: %w", key, err)
		}
	})
	for key := range vals {
		if !seen[key] {
			problems = append(problems, "unused "+key)
		}
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		if len(problems) > 6 {
			problems = append(problems[:6], fmt.Sprintf("... (%d problems)", len(problems)))
		}
		return fmt.Errorf("weights do not match the network: %s", strings.Join(problems, "; "))
	}
	return firstErr
}

func cloneTensor(t *tensors.Tensor) (*tensors.Tensor, error) {
	c := tensors.FromShape(t.Shape())
	var err error
	if cerr := t.ConstBytes(func(src []byte) {
		err = c.MutableBytes(func(dst []byte) { copy(dst, src) })
	}); cerr != nil {
		return nil, cerr
	}
	return c, err
}
