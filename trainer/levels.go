package trainer

import (
	"fmt"
	"math"
	"slices"

	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/semcodec/semcodec/model"
)

// addsLevels reports whether the level λs want extend a variable-rate
// network's levels have: more levels, every old one among them, both in
// increasing order.
func addsLevels(have, want []float64) bool {
	if len(have) == 0 || len(want) <= len(have) || !slices.IsSorted(have) || !slices.IsSorted(want) {
		return false
	}
	for _, l := range have {
		if !slices.Contains(want, l) {
			return false
		}
	}
	return true
}

// regainTables rewrites the gain tables in vals, trained for the levels have,
// for the levels want (addsLevels(have, want)): a kept level keeps its row; a
// new one starts on the line through its two nearest trained levels in
// log-gain against log λ, the relation the tables start from (log g = ½·log λ
// + c) and which a trained table keeps roughly per channel. The tables'
// optimizer state is dropped, to start fresh.
func regainTables(vals map[string]*tensors.Tensor, have, want []float64) error {
	for key := range vals {
		if gainVariable(key) && !modelVariable(key) {
			delete(vals, key)
		}
	}
	for _, name := range []string{model.VarLogGain, model.VarLogInverseGain} {
		key := "/" + model.ScopeGain + "/" + name
		t, ok := vals[key]
		if !ok {
			return fmt.Errorf("no gain table %s", key)
		}
		rows, ok := t.Value().([][]float32)
		if !ok || len(rows) != len(have) {
			return fmt.Errorf("gain table %s is %s, want %d levels", key, t.Shape(), len(have))
		}
		m := len(rows[0])
		out := make([]float32, 0, len(want)*m)
		for _, lam := range want {
			if i := slices.Index(have, lam); i >= 0 {
				out = append(out, rows[i]...)
				continue
			}
			// The two trained levels nearest in log λ (both below or above
			// the new one when it lies outside the trained range).
			above, _ := slices.BinarySearch(have, lam)
			j := min(max(above, 1), len(have)-1)
			i := j - 1
			t := (math.Log(lam) - math.Log(have[i])) / (math.Log(have[j]) - math.Log(have[i]))
			for c := range m {
				out = append(out, rows[i][c]+float32(t)*(rows[j][c]-rows[i][c]))
			}
		}
		vals[key] = tensors.FromFlatDataAndDimensions(out, len(want), m)
	}
	return nil
}
