package eval

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/semcodec/semcodec/eval/bdrate"
)

// Curve is one codec's rate-distortion curve in the shape of CompressAI's
// results files ({"name", "description", "results": {...}}), which lets
// CompressAI's own plotting read our files. Quality and Images are our
// additions; readers that do not know them ignore them.
type Curve struct {
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Results     CurveData `json:"results"`
	Quality     []int     `json:"quality,omitempty"`
	Images      int       `json:"images,omitempty"`
}

// CurveData holds one value per point, in the same order in every slice.
// Times are seconds per image. Non-finite values (PSNR of a lossless point)
// are written as JSON null and read back as NaN.
type CurveData struct {
	PSNR         []float64 `json:"psnr-rgb"`
	MSSSIM       []float64 `json:"ms-ssim-rgb"`
	BPP          []float64 `json:"bpp"`
	EncodingTime []float64 `json:"encoding_time,omitempty"`
	DecodingTime []float64 `json:"decoding_time,omitempty"`
	// BPPEstimate is the codec's own mean rate estimate (learned codecs),
	// and EstimateGap, in percent, the file size against its estimate on the
	// image furthest from it (eval.Point).
	BPPEstimate []float64 `json:"bpp_estimate,omitempty"`
	EstimateGap []float64 `json:"bpp_vs_estimate_max_percent,omitempty"`
	// ChannelBias is the colour bias of each point, [R, G, B]: the mean
	// over images of decoded − original per channel, in 8-bit levels
	// (eval.Point). Files written before it existed lack it.
	ChannelBias [][3]float64 `json:"channel_bias,omitempty"`
}

type nullable []float64

func (v nullable) MarshalJSON() ([]byte, error) {
	out := make([]*float64, len(v))
	for i := range v {
		if !math.IsNaN(v[i]) && !math.IsInf(v[i], 0) {
			out[i] = &v[i]
		}
	}
	return json.Marshal(out)
}

func (v *nullable) UnmarshalJSON(b []byte) error {
	var in []*float64
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	*v = make([]float64, len(in))
	for i, p := range in {
		(*v)[i] = math.NaN()
		if p != nil {
			(*v)[i] = *p
		}
	}
	return nil
}

// nullableTriples is a list of [r, g, b] triples whose non-finite values
// are JSON null.
type nullableTriples [][3]float64

func (v nullableTriples) MarshalJSON() ([]byte, error) {
	out := make([]nullable, len(v))
	for i := range v {
		out[i] = v[i][:]
	}
	return json.Marshal(out)
}

func (v *nullableTriples) UnmarshalJSON(b []byte) error {
	var in []nullable
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	*v = make([][3]float64, len(in))
	for i, t := range in {
		if len(t) != 3 {
			return fmt.Errorf("channel_bias[%d] has %d values, want 3 (R, G, B)", i, len(t))
		}
		(*v)[i] = [3]float64(t)
	}
	return nil
}

// curveDataJSON mirrors CurveData with null-aware slices.
type curveDataJSON struct {
	PSNR         nullable        `json:"psnr-rgb"`
	MSSSIM       nullable        `json:"ms-ssim-rgb"`
	BPP          nullable        `json:"bpp"`
	EncodingTime nullable        `json:"encoding_time,omitempty"`
	DecodingTime nullable        `json:"decoding_time,omitempty"`
	BPPEstimate  nullable        `json:"bpp_estimate,omitempty"`
	EstimateGap  nullable        `json:"bpp_vs_estimate_max_percent,omitempty"`
	ChannelBias  nullableTriples `json:"channel_bias,omitempty"`
}

func (d CurveData) MarshalJSON() ([]byte, error) {
	return json.Marshal(curveDataJSON{d.PSNR, d.MSSSIM, d.BPP, d.EncodingTime, d.DecodingTime, d.BPPEstimate, d.EstimateGap, d.ChannelBias})
}

func (d *CurveData) UnmarshalJSON(b []byte) error {
	var j curveDataJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*d = CurveData{j.PSNR, j.MSSSIM, j.BPP, j.EncodingTime, j.DecodingTime, j.BPPEstimate, j.EstimateGap, j.ChannelBias}
	return nil
}

// Curve converts a measured result to its results-file form.
func (r CodecResult) Curve() Curve {
	c := Curve{Name: r.Name, Description: r.Description}
	if r.Version != "" {
		c.Description += " [" + r.Version + "]"
	}
	estimated := len(r.Points) > 0
	for _, p := range r.Points {
		estimated = estimated && p.EstimateBPP > 0
	}
	for _, p := range r.Points {
		if estimated {
			c.Results.BPPEstimate = append(c.Results.BPPEstimate, p.EstimateBPP)
			c.Results.EstimateGap = append(c.Results.EstimateGap, p.EstimateGap)
		}
		c.Quality = append(c.Quality, p.Quality)
		c.Results.PSNR = append(c.Results.PSNR, p.PSNR)
		c.Results.MSSSIM = append(c.Results.MSSSIM, p.MSSSIM)
		c.Results.BPP = append(c.Results.BPP, p.BPP)
		c.Results.EncodingTime = append(c.Results.EncodingTime, p.EncodeSeconds)
		c.Results.DecodingTime = append(c.Results.DecodingTime, p.DecodeSeconds)
		c.Results.ChannelBias = append(c.Results.ChannelBias, p.ChannelBias)
		c.Images = len(p.Images)
	}
	return c
}

// MSSSIMdB expresses an MS-SSIM value in decibels, -10·log10(1 - ms), the
// usual way to spread values near 1 on a plot.
func MSSSIMdB(ms float64) float64 { return -10 * math.Log10(1-ms) }

// PSNRPoints returns the curve as (bpp, PSNR) points.
func (c Curve) PSNRPoints() []bdrate.Point {
	return c.points(c.Results.PSNR, func(v float64) float64 { return v })
}

// MSSSIMPoints returns the curve as (bpp, MS-SSIM in dB) points.
func (c Curve) MSSSIMPoints() []bdrate.Point { return c.points(c.Results.MSSSIM, MSSSIMdB) }

func (c Curve) points(q []float64, f func(float64) float64) []bdrate.Point {
	n := min(len(q), len(c.Results.BPP))
	pts := make([]bdrate.Point, 0, n)
	for i := 0; i < n; i++ {
		pts = append(pts, bdrate.Point{Rate: c.Results.BPP[i], Quality: f(q[i])})
	}
	return pts
}

func (c Curve) validate() error {
	r := c.Results
	if c.Name == "" {
		return errors.New("curve without a name")
	}
	if len(r.BPP) == 0 || len(r.PSNR) != len(r.BPP) || (len(r.MSSSIM) != 0 && len(r.MSSSIM) != len(r.BPP)) {
		return fmt.Errorf("curve %s has %d bpp, %d psnr-rgb and %d ms-ssim-rgb values",
			c.Name, len(r.BPP), len(r.PSNR), len(r.MSSSIM))
	}
	if len(r.ChannelBias) != 0 && len(r.ChannelBias) != len(r.BPP) {
		return fmt.Errorf("curve %s has %d bpp and %d channel_bias values", c.Name, len(r.BPP), len(r.ChannelBias))
	}
	return nil
}

// ReadCurves reads reference curves from a file:
//   - CSV with a header naming at least codec, bpp and psnr_rgb columns
//     (ms_ssim_rgb, encode_s, decode_s optional), one row per point, as in
//     ../shared/anchors/kodak_rd.csv;
//   - a CompressAI results JSON object, an array of them, or a report
//     written by WriteReport (its "codecs").
func ReadCurves(path string) ([]Curve, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("eval: read curves: %w", err)
	}
	defer f.Close()
	var curves []Curve
	if strings.EqualFold(filepath.Ext(path), ".csv") {
		curves, err = readCurvesCSV(f)
	} else {
		curves, err = readCurvesJSON(f)
	}
	if err == nil && len(curves) == 0 {
		err = errors.New("no curves")
	}
	for _, c := range curves {
		if err == nil {
			err = c.validate()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%w %s: %v", ErrBadCurveFile, path, err)
	}
	return curves, nil
}

func readCurvesCSV(r io.Reader) ([]Curve, error) {
	rows, err := csv.NewReader(r).ReadAll()
	if err != nil {
		return nil, err
	}
	if len(rows) < 2 {
		return nil, errors.New("no data rows")
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[strings.TrimSpace(strings.ToLower(h))] = i
	}
	for _, need := range []string{"codec", "bpp", "psnr_rgb"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("CSV lacks a %q column", need)
		}
	}
	var curves []Curve
	index := map[string]int{}
	for n, row := range rows[1:] {
		// An empty optional cell (a curve published without MS-SSIM or
		// times) is recorded as NaN, and a column that is NaN throughout a
		// curve is dropped below.
		get := func(name string, required bool) (float64, bool, error) {
			i, ok := col[name]
			if !ok {
				return 0, false, nil
			}
			cell := strings.TrimSpace(row[i])
			if cell == "" && !required {
				return math.NaN(), true, nil
			}
			v, err := strconv.ParseFloat(cell, 64)
			if err != nil {
				return 0, false, fmt.Errorf("row %d column %s: %v", n+2, name, err)
			}
			return v, true, nil
		}
		name := strings.TrimSpace(row[col["codec"]])
		i, ok := index[name]
		if !ok {
			i = len(curves)
			index[name] = i
			curves = append(curves, Curve{Name: name, Description: "reference curve (CSV)"})
		}
		c := &curves[i]
		for _, f := range []struct {
			col      string
			dst      *[]float64
			required bool
		}{
			{"bpp", &c.Results.BPP, true}, {"psnr_rgb", &c.Results.PSNR, true}, {"ms_ssim_rgb", &c.Results.MSSSIM, false},
			{"encode_s", &c.Results.EncodingTime, false}, {"decode_s", &c.Results.DecodingTime, false},
		} {
			v, ok, err := get(f.col, f.required)
			if err != nil {
				return nil, err
			}
			if ok {
				*f.dst = append(*f.dst, v)
			}
		}
	}
	for i := range curves {
		r := &curves[i].Results
		for _, v := range []*[]float64{&r.MSSSIM, &r.EncodingTime, &r.DecodingTime} {
			if allNaN(*v) {
				*v = nil
			}
		}
	}
	return curves, nil
}

func allNaN(v []float64) bool {
	for _, x := range v {
		if !math.IsNaN(x) {
			return false
		}
	}
	return true
}

func readCurvesJSON(r io.Reader) ([]Curve, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	var one Curve
	if err := json.Unmarshal(b, &one); err == nil && one.Name != "" {
		return []Curve{one}, nil
	}
	var many []Curve
	if err := json.Unmarshal(b, &many); err == nil {
		return many, nil
	}
	var rep struct {
		Codecs []Curve `json:"codecs"`
	}
	if err := json.Unmarshal(b, &rep); err == nil && len(rep.Codecs) > 0 {
		return rep.Codecs, nil
	}
	return nil, errors.New("not a CompressAI results object, an array of them, or a semcodec report")
}

// ParseAgainst reads the reference curves named by an --against value: a
// comma-separated list whose items are "FILE:NAME" (the curve NAME of
// FILE), "FILE" (every curve of FILE) or "NAME" (a curve of the previous
// item's file), e.g. "kodak_rd.csv:bmshj2018-hyperprior,mbt2018-mean".
func ParseAgainst(spec string) ([]Curve, error) {
	var (
		out     []Curve
		file    string
		loaded  = map[string][]Curve{}
		wantAll bool
	)
	load := func(path string) ([]Curve, error) {
		if c, ok := loaded[path]; ok {
			return c, nil
		}
		c, err := ReadCurves(path)
		if err != nil {
			return nil, err
		}
		loaded[path] = c
		return c, nil
	}
	for _, item := range strings.Split(spec, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name := item
		wantAll = false
		if i := strings.LastIndex(item, ":"); i >= 0 {
			file, name = item[:i], item[i+1:]
		} else if isCurveFile(item) {
			file, name, wantAll = item, "", true
		}
		if file == "" {
			return nil, fmt.Errorf("%w: %q names no file (write FILE:NAME)", ErrBadCurveFile, item)
		}
		curves, err := load(file)
		if err != nil {
			return nil, err
		}
		if wantAll {
			out = append(out, curves...)
			continue
		}
		found := false
		var names []string
		for _, c := range curves {
			names = append(names, c.Name)
			if c.Name == name {
				out = append(out, c)
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("%w: %s has no curve %q (it has %s)", ErrBadCurveFile, file, name, strings.Join(names, ", "))
		}
	}
	return out, nil
}

func isCurveFile(s string) bool {
	switch strings.ToLower(filepath.Ext(s)) {
	case ".csv", ".json":
		return true
	}
	return false
}

// BDEntry holds the Bjøntegaard deltas of one curve against a reference.
// Nil values could not be computed; Notes say why.
type BDEntry struct {
	Codec     string `json:"codec"`
	Reference string `json:"reference"`
	// RatePSNR is the BD-rate in percent at equal PSNR (negative: fewer bits).
	RatePSNR *float64 `json:"bd_rate_psnr_percent"`
	// PSNR is the BD-PSNR in dB at equal rate (positive: better).
	PSNR *float64 `json:"bd_psnr_db"`
	// RateMSSSIM is the BD-rate in percent at equal MS-SSIM (in dB).
	RateMSSSIM *float64 `json:"bd_rate_msssim_percent"`
	// MSSSIM is the BD-MS-SSIM in dB at equal rate.
	MSSSIM *float64 `json:"bd_msssim_db"`
	Notes  []string `json:"notes,omitempty"`
}

// CompareCurves returns the deltas of test against ref.
func CompareCurves(test, ref Curve) BDEntry {
	e := BDEntry{Codec: test.Name, Reference: ref.Name}
	do := func(what string, f func(a, b []bdrate.Point) (float64, error), a, b []bdrate.Point) *float64 {
		v, err := f(a, b)
		if err != nil {
			e.Notes = append(e.Notes, what+": "+strings.TrimPrefix(err.Error(), "eval: "))
			return nil
		}
		return &v
	}
	e.RatePSNR = do("bd-rate psnr", bdrate.Rate, ref.PSNRPoints(), test.PSNRPoints())
	e.PSNR = do("bd-psnr", bdrate.PSNR, ref.PSNRPoints(), test.PSNRPoints())
	if len(test.Results.MSSSIM) > 0 && len(ref.Results.MSSSIM) > 0 {
		e.RateMSSSIM = do("bd-rate ms-ssim", bdrate.Rate, ref.MSSSIMPoints(), test.MSSSIMPoints())
		e.MSSSIM = do("bd-ms-ssim", bdrate.PSNR, ref.MSSSIMPoints(), test.MSSSIMPoints())
	}
	return e
}

// BDTable compares every measured curve against every reference curve and
// against every other measured curve.
func BDTable(measured, references []Curve) []BDEntry {
	var out []BDEntry
	for i, t := range measured {
		for _, r := range references {
			out = append(out, CompareCurves(t, r))
		}
		for j, r := range measured {
			if i != j {
				out = append(out, CompareCurves(t, r))
			}
		}
	}
	return out
}
