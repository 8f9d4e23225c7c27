package eval

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/semcodec/semcodec/atomicfile"
)

// Conventions is recorded in every report so that its numbers can be read
// without this package's documentation.
const Conventions = "bpp = 8*bytes/(width*height) per image from the real encoded size; " +
	"every value of a point is the mean over images of per-image values (CompressAI's convention); " +
	"PSNR and MS-SSIM on 8-bit RGB, data range 255; encoding_time/decoding_time in seconds per image, " +
	"one encoder or decoder running at a time, external tools timed as whole processes on single-threaded settings; " +
	"channel_bias = [R, G, B] mean of decoded minus original per channel, in 8-bit levels"

// Report is the JSON file written by `semcodec eval compression`: one
// object whose "codecs" array holds a CompressAI-shaped results object per
// measured codec, with run metadata, the reference curves used and the
// Bjøntegaard table.
type Report struct {
	Generator   string    `json:"generator"`
	Command     string    `json:"command,omitempty"`
	Date        string    `json:"date"`
	Machine     string    `json:"machine"`
	GoVersion   string    `json:"go_version"`
	Data        string    `json:"data"`
	Images      int       `json:"images"`
	Pixels      int64     `json:"pixels"`
	Conventions string    `json:"conventions"`
	Codecs      []Curve   `json:"codecs"`
	References  []Curve   `json:"references,omitempty"`
	BD          []BDEntry `json:"bd"`
	Skipped     []Skipped `json:"skipped,omitempty"`
}

// NewReport assembles a report from a run and the reference curves it is
// compared with. A reference named like a measured codec (CompressAI's
// "jpeg" next to ours) is renamed "NAME (ref)" so tables and legends stay
// unambiguous.
func NewReport(run *CompressionReport, data string, refs []Curve) *Report {
	r := &Report{
		Generator:   "semcodec eval compression",
		Date:        time.Now().UTC().Format(time.RFC3339),
		Machine:     Machine(),
		GoVersion:   runtime.Version(),
		Data:        data,
		Images:      len(run.Images),
		Pixels:      run.Pixels,
		Conventions: Conventions,
		Codecs:      []Curve{},
		Skipped:     run.Skipped,
	}
	taken := map[string]bool{}
	for _, res := range run.Results {
		r.Codecs = append(r.Codecs, res.Curve())
		taken[res.Name] = true
	}
	r.References = make([]Curve, len(refs))
	for i, c := range refs {
		for taken[c.Name] {
			c.Name += " (ref)"
		}
		taken[c.Name] = true
		r.References[i] = c
	}
	r.BD = BDTable(r.Codecs, r.References)
	if r.BD == nil {
		r.BD = []BDEntry{}
	}
	return r
}

// WriteReport writes r as indented JSON, atomically.
func WriteReport(path string, r *Report) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("eval: encode report: %w", err)
	}
	return atomicfile.WriteBytes(path, append(b, '\n'))
}

// ReadReport reads a report written by WriteReport.
func ReadReport(path string) (*Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("eval: read report: %w", err)
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%w %s: %v", ErrBadCurveFile, path, err)
	}
	if r.Generator == "" || len(r.Codecs) == 0 {
		return nil, fmt.Errorf("%w %s: not a report of semcodec eval compression", ErrBadCurveFile, path)
	}
	for _, c := range append(append([]Curve(nil), r.Codecs...), r.References...) {
		if err := c.validate(); err != nil {
			return nil, fmt.Errorf("%w %s: %v", ErrBadCurveFile, path, err)
		}
	}
	return &r, nil
}

// Markdown writes the report's points as one table and, for each name in
// bdRefs (all references when empty), a table of the Bjøntegaard deltas of
// the report's codecs against it.
func (r *Report) Markdown(w io.Writer, bdRefs []string) error {
	bw := bufio.NewWriter(w)
	// Every row shows its colour bias (mean decoded − original per channel,
	// "-" for curves from files that predate it); learned codecs add their
	// own rate estimate and the worst image's file size against it.
	estimates := false
	for _, c := range r.Codecs {
		estimates = estimates || len(c.Results.BPPEstimate) > 0
	}
	fmt.Fprintf(bw, "| codec | quality | bpp | PSNR (dB) | MS-SSIM | MS-SSIM (dB) | encode (s) | decode (s) | colour bias R/G/B |")
	if estimates {
		fmt.Fprintf(bw, " estimate (bpp) | file vs estimate, worst image |")
	}
	fmt.Fprintf(bw, "\n|---|---:|---:|---:|---:|---:|---:|---:|---:|")
	if estimates {
		fmt.Fprintf(bw, "---:|---:|")
	}
	fmt.Fprintf(bw, "\n")
	for _, c := range r.Codecs {
		d := c.Results
		for i := range d.BPP {
			q := ""
			if i < len(c.Quality) {
				q = fmt.Sprint(c.Quality[i])
			}
			fmt.Fprintf(bw, "| %s | %s | %.4f | %.3f | %.4f | %.2f | %.3f | %.3f |", c.Name, q,
				d.BPP[i], d.PSNR[i], at(d.MSSSIM, i), MSSSIMdB(at(d.MSSSIM, i)), at(d.EncodingTime, i), at(d.DecodingTime, i))
			fmt.Fprintf(bw, " %s |", fmtBias(d.ChannelBias, i))
			if estimates {
				if i < len(d.BPPEstimate) && i < len(d.EstimateGap) {
					fmt.Fprintf(bw, " %.4f | %+.2f%% |", d.BPPEstimate[i], d.EstimateGap[i])
				} else {
					fmt.Fprintf(bw, " – | – |")
				}
			}
			fmt.Fprintf(bw, "\n")
		}
	}
	if len(bdRefs) == 0 {
		for _, ref := range r.References {
			bdRefs = append(bdRefs, ref.Name)
		}
	}
	shown := map[string]bool{}
	for _, c := range r.Codecs {
		shown[c.Name] = true
	}
	for _, ref := range bdRefs {
		fmt.Fprintf(bw, "\nBjøntegaard deltas against %s (negative BD-rate: fewer bits for the same quality):\n\n", ref)
		fmt.Fprintf(bw, "| codec | BD-rate PSNR | BD-PSNR | BD-rate MS-SSIM | BD-MS-SSIM |\n|---|---:|---:|---:|---:|\n")
		for _, e := range r.BD {
			if e.Reference != ref || !shown[e.Codec] {
				continue
			}
			fmt.Fprintf(bw, "| %s | %s | %s | %s | %s |\n", e.Codec,
				fmtPtr(e.RatePSNR, "%+.1f%%"), fmtPtr(e.PSNR, "%+.2f dB"),
				fmtPtr(e.RateMSSSIM, "%+.1f%%"), fmtPtr(e.MSSSIM, "%+.2f dB"))
		}
	}
	if len(r.Skipped) > 0 {
		fmt.Fprintf(bw, "\nSkipped:\n")
		for _, s := range r.Skipped {
			fmt.Fprintf(bw, "- %s: %s\n", s.Codec, s.Reason)
		}
	}
	return bw.Flush()
}

func at(v []float64, i int) float64 {
	if i < len(v) {
		return v[i]
	}
	return math.NaN()
}

// fmtBias formats point i's colour bias as "R/G/B" with signs, e.g.
// "-0.4/+1.2/+3.0"; "-" when the curve has none (files written before it
// was measured).
func fmtBias(v [][3]float64, i int) string {
	if i >= len(v) {
		return "-"
	}
	b := v[i]
	return fmt.Sprintf("%+.1f/%+.1f/%+.1f", b[0], b[1], b[2])
}

func fmtPtr(v *float64, format string) string {
	if v == nil {
		return "n/a"
	}
	return fmt.Sprintf(format, *v)
}

// Machine describes the computer a run is measured on: CPU model, logical
// CPUs, OS and architecture.
func Machine() string {
	cpu := "unknown CPU"
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	return fmt.Sprintf("%s, %d logical CPUs, %s/%s", cpu, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH)
}
