package main

import (
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/semcodec/semcodec/atomicfile"
	"github.com/semcodec/semcodec/datapack"
	"github.com/semcodec/semcodec/dataset"
	"github.com/semcodec/semcodec/trainer"
)

func init() { register(newDataCmd) }

func newDataCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "data",
		Short: "Pack and inspect training data",
	}
	cmd.AddCommand(newDataPackCmd(), newDataInfoCmd())
	return cmd
}

type packFlags struct {
	data, out, quality, maxBytes string
	chromaQuality                int
	quiet                        bool
}

func newDataPackCmd() *cobra.Command {
	var f packFlags
	cmd := &cobra.Command{
		Use:   "pack --data DIR[,DIR...] -o FILE",
		Short: "Write a training set as one compact, checksummed file",
		Long: `pack reads data sets (CamVid or Cityscapes layout folders, plain image
folders; see "semcodec train --help" for the spec syntax) and writes them as one
data pack: each image as three full-resolution JPEG planes (Y, Cb, Cr; chroma is
not subsampled), each label map as a lossless PNG, with a checksummed index.
"semcodec train --data FILE" reads the pack directly.

It prints the pack's size and the PSNR of the packed images against the
originals (pooled over all pixels, and the worst image). With --quality auto
it picks the highest luma quality whose pack fits --max-bytes.

Exit codes: 0 success, 1 usage error or pack over budget, 2 bad input data.`,
		Example: `  semcodec data pack --data ../shared/data/camvid/train,../shared/data/camvid/val,../shared/data/photos -o carry/train.pack`,
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, _ []string) error { return runDataPack(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.data, "data", "", "comma-separated data specs (required)")
	fl.StringVarP(&f.out, "output", "o", "", "pack file to write (required)")
	fl.StringVar(&f.quality, "quality", strconv.Itoa(datapack.DefaultQuality), `luma JPEG quality 1..100, or "auto"`)
	fl.IntVar(&f.chromaQuality, "chroma-quality", 0, fmt.Sprintf("chroma JPEG quality (0: luma quality - %d)", datapack.DefaultChromaDrop))
	fl.StringVar(&f.maxBytes, "max-bytes", "48MiB", "size budget of the pack (0: none)")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "print only the summary")
	cmd.MarkFlagRequired("data")
	cmd.MarkFlagRequired("output")
	return cmd
}

// parseSize reads "48MiB", "50MB", "16M", "1048576".
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v < 0 || v*float64(mult) > 1<<50 {
		return 0, fmt.Errorf("bad size %q (e.g. 48MiB)", s)
	}
	return int64(v * float64(mult)), nil
}

func runDataPack(cmd *cobra.Command, f packFlags) error {
	maxBytes, err := parseSize(f.maxBytes)
	if err != nil {
		return err
	}
	specs := trainer.SplitSpecs(f.data)
	samples, err := dataset.ListAll(specs)
	if err != nil {
		return badInput(err)
	}
	names := trainer.RelativeNames(samples)
	stderr := cmd.ErrOrStderr()
	if f.quiet {
		stderr = io.Discard
	}
	opts := &datapack.Options{ChromaQuality: f.chromaQuality, MaxBytes: maxBytes}
	if f.quality == "auto" {
		if maxBytes == 0 {
			return errors.New("--quality auto needs a --max-bytes budget")
		}
		q, err := estimateQuality(samples, names, f.chromaQuality, maxBytes)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "auto quality: %d (estimated from a sample of the images)\n", q)
		opts.Quality = q
	} else if opts.Quality, err = strconv.Atoi(f.quality); err != nil {
		return fmt.Errorf("--quality %q: want 1..100 or auto", f.quality)
	}
	for attempt := 0; ; attempt++ {
		w, err := packSamples(samples, names, opts, stderr)
		if err != nil {
			return err
		}
		size, err := w.Size()
		if err != nil {
			return err
		}
		if maxBytes > 0 && size > maxBytes && f.quality == "auto" && attempt < 4 && opts.Quality > 2 {
			fmt.Fprintf(stderr, "quality %d gives %d bytes, over %d: retrying at %d\n", opts.Quality, size, maxBytes, opts.Quality-2)
			opts.Quality -= 2
			continue
		}
		if err := atomicfile.WriteFile(f.out, func(out io.Writer) error { _, err := w.WriteTo(out); return err }); err != nil {
			return err
		}
		st := w.Stat()
		labelled := 0
		for _, s := range samples {
			if s.Label != "" {
				labelled++
			}
		}
		q := w.Options()
		fmt.Fprintf(cmd.OutOrStdout(),
			"%s: %d images (%d labelled), %.2f MiB (images %.2f MiB, labels %.2f MiB; sources %.1f MiB)\n"+
				"JPEG quality %d luma / %d chroma, 4:4:4; PSNR vs originals %.2f dB pooled, worst image %.2f dB\n",
			f.out, st.Samples, labelled, mib(size), mib(st.ImageBytes), mib(st.LabelBytes), mib(st.SourceBytes),
			q.Quality, q.ChromaQuality, st.PSNR(), st.WorstPSNR)
		return nil
	}
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

// loadSample reads one listed sample as a pack sample.
func loadSample(s dataset.Sample, name string) (datapack.Sample, int64, error) {
	img, lab, err := s.Load()
	if err != nil {
		return datapack.Sample{}, 0, err
	}
	var src int64
	for _, p := range []string{s.Image, s.Label} {
		if st, err := os.Stat(p); p != "" && err == nil {
			src += st.Size()
		}
	}
	ps := datapack.Sample{Name: name, Image: img}
	if s.Label != "" && s.Layout != dataset.Images {
		w, h := img.Rect.Dx(), img.Rect.Dy()
		g := image.NewGray(image.Rect(0, 0, w, h))
		for i, v := range lab {
			if v < 0 || v >= datapack.IgnoreLabel {
				g.Pix[i] = datapack.IgnoreLabel
			} else {
				g.Pix[i] = uint8(v)
			}
		}
		ps.Labels, ps.Classes, ps.NumClasses = g, s.Layout.String(), s.Layout.NumClasses()
	}
	return ps, src, nil
}

// packSamples encodes samples on every core, adding them in listing order.
func packSamples(samples []dataset.Sample, names []string, opts *datapack.Options, progress io.Writer) (*datapack.Writer, error) {
	w, err := datapack.NewWriter(opts)
	if err != nil {
		return nil, err
	}
	type result struct {
		e   *datapack.Encoded
		err error
	}
	results := make([]chan result, len(samples))
	for i := range results {
		results[i] = make(chan result, 1)
	}
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				s, src, err := loadSample(samples[i], names[i])
				if err != nil {
					results[i] <- result{err: badInput(err)}
					continue
				}
				e, err := datapack.Encode(s, w.Options())
				if err != nil {
					results[i] <- result{err: badInput(err)}
					continue
				}
				e.AddSourceBytes(src)
				results[i] <- result{e: e}
			}
		}()
	}
	go func() {
		for i := range samples {
			jobs <- i
		}
		close(jobs)
	}()
	var firstErr error
	for i := range samples {
		r := <-results[i]
		if firstErr != nil {
			continue // drain the workers
		}
		if r.err != nil {
			firstErr = r.err
			continue
		}
		if err := w.AddEncoded(r.e); err != nil {
			firstErr = badInput(err)
			continue
		}
		if (i+1)%50 == 0 || i+1 == len(samples) {
			fmt.Fprintf(progress, "packed %d/%d\n", i+1, len(samples))
		}
	}
	wg.Wait()
	return w, firstErr
}

// estimateQuality packs every k-th image at a few qualities and returns the
// highest whose extrapolated pack size fits 97% of maxBytes.
func estimateQuality(samples []dataset.Sample, names []string, chroma int, maxBytes int64) (int, error) {
	k := max(1, len(samples)/24)
	var sub []dataset.Sample
	var subNames []string
	for i := 0; i < len(samples); i += k {
		sub, subNames = append(sub, samples[i]), append(subNames, names[i])
	}
	var total, part int64
	for i, s := range samples {
		px := int64(s.Width) * int64(s.Height)
		total += px
		if i%k == 0 {
			part += px
		}
	}
	for q := 98; q >= 30; q -= 3 {
		w, err := packSamples(sub, subNames, &datapack.Options{Quality: q, ChromaQuality: chroma}, io.Discard)
		if err != nil {
			return 0, err
		}
		size, err := w.Size()
		if err != nil {
			return 0, err
		}
		if float64(size)*float64(total)/float64(part) <= 0.97*float64(maxBytes) {
			return q, nil
		}
	}
	return 0, fmt.Errorf("no JPEG quality fits %d bytes: pack fewer images", maxBytes)
}

func newDataInfoCmd() *cobra.Command {
	var list bool
	cmd := &cobra.Command{
		Use:   "info PACK",
		Short: "Verify a data pack and print what it holds",
		Long: `info reads a data pack, checks every checksum and prints its entries by class
set. Exit codes: 0 valid, 1 usage error, 2 corrupt or unreadable pack.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := datapack.Open(args[0])
			if err != nil {
				return badInput(err)
			}
			cfg := p.Config()
			sets := map[string]int{}
			var px int64
			for _, e := range cfg.Entries {
				key := e.Classes
				if key == "" {
					key = "unlabelled"
				}
				sets[key]++
				px += int64(e.Width) * int64(e.Height)
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "%s: %d images, %.1f Mpixels, JPEG quality %d/%d\n", args[0], p.Len(), float64(px)/1e6, cfg.Quality, cfg.ChromaQuality)
			for _, k := range []string{"camvid", "cityscapes", "unlabelled"} {
				if sets[k] > 0 {
					fmt.Fprintf(out, "  %-10s %d\n", k, sets[k])
				}
			}
			if list {
				for _, e := range cfg.Entries {
					fmt.Fprintf(out, "%s\t%dx%d\t%s\n", e.Name, e.Width, e.Height, e.Classes)
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&list, "list", false, "list every entry")
	return cmd
}
