package codec

import (
	"fmt"
	"math"

	"github.com/semcodec/semcodec/model"
	"github.com/semcodec/semcodec/weights"
)

// A variable-rate model (model.Config.GainLambdas, model/gain.go) codes
// round(y ⊙ g) and synthesises from ŷ ⊙ g', the gains of its quality. The
// codec applies them in Go, outside the graphs, so one compiled graph serves
// every quality. A quality is stored as its integer part and 256ths
// (bitstream.Header.QualityFraction); the gains are computed from that
// stored value, in float64, so encoder and decoder use identical ones.

// qualitySteps is the resolution of a stored quality.
const qualitySteps = 256

// rate is the quality a file is coded at and the gains it selects (nil for
// a fixed-rate model).
type rate struct {
	quality, fraction uint8
	gain, inverse     []float32 // [LatentChannels]
}

// Quality returns the stored quality as a number.
func (r rate) Quality() float64 {
	return float64(r.quality) + float64(r.fraction)/qualitySteps
}

// gainTables holds a variable-rate model's log-gain tables, [levels][channels].
type gainTables struct {
	logGain, logInverse [][]float64
}

// loadGains reads the gain tables of a variable-rate model file.
func loadGains(f *weights.File, cfg model.Config) (*gainTables, error) {
	l, c := cfg.GainLevels(), cfg.LatentChannels()
	read := func(name string) ([][]float64, error) {
		full := model.ScopeGain + "/" + name
		t, err := f.Tensor(full)
		if err != nil {
			return nil, err
		}
		if !t.HasShape(l, c) {
			return nil, weights.FormatError(fmt.Sprintf("%s has shape %v, want [%d %d]", full, t.Shape, l, c))
		}
		v, err := t.Float32()
		if err != nil {
			return nil, err
		}
		rows := make([][]float64, l)
		for i := range rows {
			rows[i] = make([]float64, c)
			for j := range rows[i] {
				x := float64(v[i*c+j])
				// exp of a log-gain beyond ±30 is no quantizer step a
				// trained model has; such a file is corrupt.
				if !(math.Abs(x) <= 30) {
					return nil, weights.FormatError(fmt.Sprintf("%s[%d][%d] = %g", full, i, j, x))
				}
				rows[i][j] = x
			}
		}
		return rows, nil
	}
	g := &gainTables{}
	var err error
	if g.logGain, err = read(model.VarLogGain); err != nil {
		return nil, err
	}
	if g.logInverse, err = read(model.VarLogInverseGain); err != nil {
		return nil, err
	}
	return g, nil
}

// Levels returns the number of rate levels of a variable-rate model, whose
// qualities are any value from 1 to Levels; 0 for a fixed-rate model.
func (m *Model) Levels() int { return m.cfg.GainLevels() }

// rateFor resolves the quality to encode at: a fixed-rate model has only
// its own (q is ignored); a variable-rate one takes q in [1, Levels],
// rounded to 1/256, with 0 meaning DefaultQuality (or the nearest level).
func (m *Model) rateFor(q float64) (rate, error) {
	if m.gains == nil {
		return rate{quality: uint8(m.Quality())}, nil
	}
	levels := float64(m.Levels())
	if q == 0 {
		q = min(max(DefaultQuality, 1), levels)
	}
	if !(q >= 1 && q <= levels) {
		return rate{}, fmt.Errorf("%w: %g (model %s has qualities 1 to %d)", ErrQuality, q, m.Name(), m.Levels())
	}
	steps := int(math.Round(q * qualitySteps))
	return m.rateAt(uint8(steps/qualitySteps), uint8(steps%qualitySteps))
}

// rateAt returns the rate of a stored quality, checking it against the model.
func (m *Model) rateAt(quality, fraction uint8) (rate, error) {
	r := rate{quality: quality, fraction: fraction}
	if m.gains == nil {
		if fraction != 0 {
			return rate{}, FormatError(fmt.Sprintf("quality %g for fixed-rate model %s", r.Quality(), m.Name()))
		}
		return r, nil
	}
	q := r.Quality()
	if q < 1 || q > float64(m.Levels()) {
		return rate{}, FormatError(fmt.Sprintf("quality %g outside model %s's 1 to %d", q, m.Name(), m.Levels()))
	}
	// Level i-1 (quality i) and the next share the weight linearly; the
	// gains interpolate geometrically, as in training (model.RateWeights).
	i, t := int(quality)-1, float64(fraction)/qualitySteps
	mix := func(rows [][]float64) []float32 {
		out := make([]float32, len(rows[i]))
		for c := range out {
			v := rows[i][c]
			if t > 0 {
				v = (1-t)*v + t*rows[i+1][c]
			}
			out[c] = float32(math.Exp(v))
		}
		return out
	}
	r.gain, r.inverse = mix(m.gains.logGain), mix(m.gains.logInverse)
	return r, nil
}

// rateWeights is the [1, Levels] rate input of the estimate graph.
func (r rate) weights(levels int) []float32 {
	w := make([]float32, levels)
	i, t := int(r.quality)-1, float32(r.fraction)/qualitySteps
	w[i] = 1 - t
	if t > 0 {
		w[i+1] = t
	}
	return w
}

// scaleChannels multiplies HWC data by a per-channel factor.
func scaleChannels(v []float32, by []float32) {
	c := len(by)
	for i := range v {
		v[i] *= by[i%c]
	}
}
