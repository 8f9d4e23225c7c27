package eval

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/semcodec/semcodec/internal/shareddata"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadAnchors(t *testing.T) {
	path := shareddata.Path(t, "anchors", "kodak_rd.csv")
	curves, err := ReadCurves(path)
	if err != nil {
		t.Fatal(err)
	}
	hp, paper := -1, -1
	for i, c := range curves {
		switch c.Name {
		case "bmshj2018-hyperprior":
			hp = i
		case "paper-bmshj2018-hyperprior":
			paper = i
		}
	}
	if hp < 0 || paper < 0 {
		t.Fatalf("anchors lack the hyperprior curves: %d curves", len(curves))
	}
	h := curves[hp].Results
	if len(h.BPP) != 8 || h.BPP[0] != 0.1313 || h.PSNR[7] != 40.5569 || h.MSSSIM[0] != 0.9174 || len(h.EncodingTime) != 8 {
		t.Errorf("hyperprior curve read as %+v", h)
	}
	// The paper curve has no MS-SSIM or times: those columns are dropped.
	if p := curves[paper].Results; len(p.BPP) != 8 || p.MSSSIM != nil || p.EncodingTime != nil {
		t.Errorf("paper curve read as %+v", p)
	}
}

func TestReadCurvesErrors(t *testing.T) {
	tests := []struct{ name, file, content string }{
		{"missing column", "a.csv", "codec,bpp\nx,0.1\n"},
		{"bad number", "a.csv", "codec,bpp,psnr_rgb\nx,0.1,abc\n"},
		{"empty required cell", "a.csv", "codec,bpp,psnr_rgb\nx,,30\n"},
		{"header only", "a.csv", "codec,bpp,psnr_rgb\n"},
		{"ragged row", "a.csv", "codec,bpp,psnr_rgb\nx,0.1\n"},
		{"not JSON", "a.json", "{"},
		{"JSON without results", "a.json", `{"name":"x"}`},
		{"JSON lengths differ", "a.json", `{"name":"x","results":{"bpp":[0.1,0.2],"psnr-rgb":[30]}}`},
		{"empty array", "a.json", `[]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadCurves(writeFile(t, tc.file, tc.content))
			if !errors.Is(err, ErrBadCurveFile) {
				t.Errorf("error = %v, want ErrBadCurveFile", err)
			}
		})
	}
	if _, err := ReadCurves(filepath.Join(t.TempDir(), "absent.csv")); err == nil {
		t.Error("absent file accepted")
	}
}

func TestReadCurvesJSONShapes(t *testing.T) {
	one := `{"name":"a","description":"d","results":{"psnr-rgb":[30,32],"ms-ssim-rgb":[0.9,null],"bpp":[0.2,0.4]}}`
	for name, content := range map[string]string{
		"object": one,
		"array":  "[" + one + "]",
		"report": `{"generator":"x","codecs":[` + one + `]}`,
	} {
		t.Run(name, func(t *testing.T) {
			c, err := ReadCurves(writeFile(t, "c.json", content))
			if err != nil {
				t.Fatal(err)
			}
			if len(c) != 1 || c[0].Name != "a" || c[0].Results.PSNR[1] != 32 || !math.IsNaN(c[0].Results.MSSSIM[1]) {
				t.Errorf("read %+v", c)
			}
		})
	}
}

func TestParseAgainst(t *testing.T) {
	csv := writeFile(t, "r.csv", "codec,bpp,psnr_rgb\n"+
		"a,0.1,30\na,0.2,32\na,0.4,34\na,0.8,36\n"+
		"b,0.1,31\nb,0.2,33\nb,0.4,35\nb,0.8,37\n")
	names := func(cs []Curve) string {
		var n []string
		for _, c := range cs {
			n = append(n, c.Name)
		}
		return strings.Join(n, ",")
	}
	tests := []struct{ spec, want, errPart string }{
		{csv + ":a", "a", ""},
		{csv + ":b," + "a", "b,a", ""},
		{csv, "a,b", ""},
		{csv + ":a, " + csv + ":b", "a,b", ""},
		{"a", "", "names no file"},
		{csv + ":c", "", `no curve "c" (it has a, b)`},
	}
	for _, tc := range tests {
		got, err := ParseAgainst(tc.spec)
		if tc.errPart != "" {
			if err == nil || !strings.Contains(err.Error(), tc.errPart) || !errors.Is(err, ErrBadCurveFile) {
				t.Errorf("%q: error %v, want one containing %q", tc.spec, err, tc.errPart)
			}
			continue
		}
		if err != nil || names(got) != tc.want {
			t.Errorf("%q: got %q, %v; want %q", tc.spec, names(got), err, tc.want)
		}
	}
}

func TestCurveJSONNonFinite(t *testing.T) {
	c := Curve{Name: "x", Results: CurveData{PSNR: []float64{math.Inf(1), 30}, MSSSIM: []float64{1, math.NaN()}, BPP: []float64{8, 1}}}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`"psnr-rgb":[null,30]`)) || !bytes.Contains(b, []byte(`"ms-ssim-rgb":[1,null]`)) {
		t.Errorf("JSON %s", b)
	}
	var back Curve
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(back.Results.PSNR[0]) || back.Results.PSNR[1] != 30 || back.Results.BPP[0] != 8 {
		t.Errorf("read back %+v", back.Results)
	}
}

func TestCurveJSONChannelBias(t *testing.T) {
	c := Curve{Name: "x", Results: CurveData{PSNR: []float64{30, 32}, BPP: []float64{0.5, 1},
		ChannelBias: [][3]float64{{-0.25, 1.5, 3}, {0, math.NaN(), -2}}}}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`"channel_bias":[[-0.25,1.5,3],[0,null,-2]]`)) {
		t.Errorf("JSON %s", b)
	}
	var back Curve
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	cb := back.Results.ChannelBias
	if len(cb) != 2 || cb[0] != [3]float64{-0.25, 1.5, 3} || cb[1][0] != 0 || !math.IsNaN(cb[1][1]) || cb[1][2] != -2 {
		t.Errorf("read back %v", cb)
	}
	// Without values the key is left out, and a file without it reads back
	// with none.
	c.Results.ChannelBias = nil
	if b, _ = json.Marshal(c); bytes.Contains(b, []byte("channel_bias")) {
		t.Errorf("JSON without bias %s", b)
	}
	back = Curve{}
	if err := json.Unmarshal(b, &back); err != nil || back.Results.ChannelBias != nil {
		t.Errorf("read back %v, %v", back.Results.ChannelBias, err)
	}
	bad := []byte(`{"name":"x","results":{"psnr-rgb":[30],"bpp":[1],"channel_bias":[[1,2]]}}`)
	if err := json.Unmarshal(bad, &back); err == nil || !strings.Contains(err.Error(), "want 3") {
		t.Errorf("a pair for a triple: error %v", err)
	}
	short := Curve{Name: "x", Results: CurveData{PSNR: []float64{30, 32}, BPP: []float64{0.5, 1}, ChannelBias: [][3]float64{{}}}}
	if err := short.validate(); err == nil {
		t.Error("1 channel_bias triple for 2 points accepted")
	}
}

// TestCommittedReportsStillLoad reads the results files committed before
// channel_bias existed: they must load, and their table must show "-" in
// the colour bias column.
func TestCommittedReportsStillLoad(t *testing.T) {
	for _, name := range []string{"kodak_baselines.json", "kodak_semcodec.json"} {
		path := filepath.Join("..", "results", name)
		if _, err := os.Stat(path); err != nil {
			t.Skip(err)
		}
		r, err := ReadReport(path)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var md bytes.Buffer
		if err := r.Markdown(&md, nil); err != nil {
			t.Fatal(err)
		}
		rows := 0
		points, _, _ := strings.Cut(md.String(), "\n\n") // the points table, before the BD tables
		for _, line := range strings.Split(points, "\n") {
			if strings.HasPrefix(line, "| "+r.Codecs[0].Name+" | ") {
				rows++
				if cells := strings.Split(strings.TrimSuffix(line, " |"), " | "); len(cells) < 9 || cells[8] != "-" {
					t.Errorf("%s: row without a \"-\" colour bias cell: %s", name, line)
				}
			}
		}
		if rows == 0 {
			t.Errorf("%s: no rows for %s in\n%s", name, r.Codecs[0].Name, md.String())
		}
		for _, c := range r.Codecs {
			if c.Results.ChannelBias != nil {
				t.Errorf("%s: %s has channel_bias %v", name, c.Name, c.Results.ChannelBias)
			}
		}
	}
}

// fakeRun builds a CompressionReport from rate/quality pairs, as if measured.
func fakeRun(curves map[string][][2]float64, order ...string) *CompressionReport {
	rep := &CompressionReport{Images: []string{"a.png"}, Pixels: 100}
	for _, name := range order {
		res := CodecResult{Name: name, Description: name + " codec"}
		for i, p := range curves[name] {
			res.Points = append(res.Points, Point{Quality: i, BPP: p[0], PSNR: p[1], MSSSIM: 1 - math.Pow(10, -p[1]/20),
				Images: []ImageScore{{}}})
		}
		rep.Results = append(rep.Results, res)
	}
	return rep
}

func TestReportBDAndRenaming(t *testing.T) {
	base := [][2]float64{{0.125, 28}, {0.25, 30}, {0.5, 32}, {1, 34}, {2, 36}}
	half := make([][2]float64, len(base))
	for i, p := range base {
		half[i] = [2]float64{p[0] / 2, p[1]}
	}
	run := fakeRun(map[string][][2]float64{"jpeg": base, "good": half}, "jpeg", "good")
	ref := fakeRun(map[string][][2]float64{"jpeg": base}, "jpeg").Results[0].Curve()
	r := NewReport(run, "data", []Curve{ref})
	if len(r.References) != 1 || r.References[0].Name != "jpeg (ref)" || ref.Name != "jpeg" {
		t.Fatalf("reference renamed to %q (caller's copy %q)", r.References[0].Name, ref.Name)
	}
	// 2 measured curves × (1 reference + 1 other measured curve).
	if len(r.BD) != 4 {
		t.Fatalf("%d BD entries: %+v", len(r.BD), r.BD)
	}
	for _, e := range r.BD {
		if e.Codec == e.Reference {
			t.Errorf("curve compared with itself: %+v", e)
		}
		if e.RatePSNR == nil || e.RateMSSSIM == nil {
			t.Errorf("missing values: %+v", e)
			continue
		}
		want := 0.0
		switch {
		case e.Codec == "good":
			want = -50
		case e.Reference == "good":
			want = 100
		}
		if math.Abs(*e.RatePSNR-want) > 1e-9 || math.Abs(*e.RateMSSSIM-want) > 1e-9 {
			t.Errorf("%s vs %s: BD-rate %v / %v, want %v", e.Codec, e.Reference, *e.RatePSNR, *e.RateMSSSIM, want)
		}
	}
	var md bytes.Buffer
	if err := r.Markdown(&md, nil); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| good | 4 | 1.0000 | 36.000 |", "against jpeg (ref)", "| good | -50.0% |"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md.String())
		}
	}
	path := filepath.Join(t.TempDir(), "r.json")
	if err := WriteReport(path, r); err != nil {
		t.Fatal(err)
	}
	back, err := ReadReport(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Codecs) != 2 || back.Codecs[1].Results.BPP[0] != 0.0625 || back.Conventions != Conventions {
		t.Errorf("report read back as %+v", back)
	}
	// A report is also a curve file for --against.
	cs, err := ParseAgainst(path + ":good")
	if err != nil || len(cs) != 1 || cs[0].Results.PSNR[4] != 36 {
		t.Errorf("ParseAgainst(report) = %+v, %v", cs, err)
	}
}

func TestCompareCurvesNotes(t *testing.T) {
	a := Curve{Name: "a", Results: CurveData{BPP: []float64{0.1, 0.2, 0.3}, PSNR: []float64{28, 30, 31}}}
	b := Curve{Name: "b", Results: CurveData{BPP: []float64{0.1, 0.2, 0.3, 0.4}, PSNR: []float64{28, 30, 31, 32}}}
	e := CompareCurves(a, b)
	if e.RatePSNR != nil || e.PSNR != nil || len(e.Notes) != 2 || !strings.Contains(e.Notes[0], "at least 4 points") {
		t.Errorf("entry %+v", e)
	}
	if e.RateMSSSIM != nil || e.MSSSIM != nil {
		t.Errorf("MS-SSIM deltas without MS-SSIM data: %+v", e)
	}
}
