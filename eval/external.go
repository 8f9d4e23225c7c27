package eval

import (
	"bufio"
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/semcodec/semcodec/imageio"
)

// toolSpec describes a baseline run through Debian's command-line encoder
// and decoder. Every tool is asked for a single thread, so that times are
// per image on one core like the rest of the harness.
type toolSpec struct {
	name, desc       string
	encoder, decoder string // executable names, looked up in PATH
	pkg              string // Debian package providing them
	ext              string // bitstream file extension
	input, output    string // exchange formats, "png" or "ppm"
	grid             []int
	minQ, maxQ       int
	encArgs          func(q int, in, out string) []string
	decArgs          func(in, out string) []string
}

// baselineTools lists the external baselines. Grids have eight points
// spanning about 0.1 to 2 bpp on Kodak, the range of CompressAI's published
// curves (a little beyond at the top, so BD-rate overlaps stay wide).
var baselineTools = []toolSpec{
	{
		name: "webp", desc: "WebP, libwebp cwebp/dwebp (-m 6, single thread); quality = cwebp -q",
		encoder: "cwebp", decoder: "dwebp", pkg: "webp", ext: "webp", input: "ppm", output: "ppm",
		grid: []int{0, 10, 20, 40, 60, 75, 85, 95}, minQ: 0, maxQ: 100,
		encArgs: func(q int, in, out string) []string {
			return []string{"-quiet", "-q", fmt.Sprint(q), "-m", "6", in, "-o", out}
		},
		decArgs: func(in, out string) []string { return []string{"-quiet", in, "-ppm", "-o", out} },
	},
	{
		name: "jpeg2000", desc: "JPEG 2000, OpenJPEG opj_compress/opj_decompress (irreversible 9/7 DWT, .j2k codestream, one thread); quality = compression ratio against 24-bit RGB (-r), so bpp is about 24/quality",
		encoder: "opj_compress", decoder: "opj_decompress", pkg: "libopenjp2-tools", ext: "j2k", input: "ppm", output: "ppm",
		grid: []int{192, 128, 64, 48, 32, 24, 16, 12}, minQ: 1, maxQ: 10000,
		encArgs: func(q int, in, out string) []string {
			return []string{"-i", in, "-o", out, "-r", fmt.Sprint(q), "-I", "-threads", "1"}
		},
		decArgs: func(in, out string) []string {
			return []string{"-quiet", "-i", in, "-o", out, "-threads", "1"}
		},
	},
	{
		name: "avif", desc: "AVIF, libavif avifenc/avifdec with libaom (4:4:4, speed 6, one job); quality = AV1 quantizer (--min = --max, 0..63, lower is better)",
		encoder: "avifenc", decoder: "avifdec", pkg: "libavif-bin", ext: "avif", input: "png", output: "png",
		grid: []int{60, 54, 48, 42, 36, 30, 24, 18}, minQ: 0, maxQ: 63,
		encArgs: func(q int, in, out string) []string {
			return []string{"-j", "1", "-s", "6", "-y", "444", "--min", fmt.Sprint(q), "--max", fmt.Sprint(q), in, out}
		},
		decArgs: func(in, out string) []string { return []string{"-j", "1", "-d", "8", in, out} },
	},
	{
		name: "heif", desc: "HEIF/HEVC intra, libheif heif-enc/heif-convert with x265 (4:4:4, tune psnr, one thread pool; stand-in for BPG); quality = heif-enc -q",
		encoder: "heif-enc", decoder: "heif-convert", pkg: "libheif-examples", ext: "heic", input: "png", output: "png",
		grid: []int{10, 15, 20, 25, 30, 35, 45, 55}, minQ: 0, maxQ: 100,
		encArgs: func(q int, in, out string) []string {
			return []string{"-q", fmt.Sprint(q), "-p", "chroma=444", "-p", "tune=psnr", "-p", "x265:pools=1", "-o", out, in}
		},
		decArgs: func(in, out string) []string { return []string{"--quiet", in, out} },
	},
	{
		name: "jxl", desc: "JPEG XL, libjxl cjxl/djxl (effort 7, no threads); quality = cjxl -q",
		encoder: "cjxl", decoder: "djxl", pkg: "libjxl-tools", ext: "jxl", input: "ppm", output: "ppm",
		grid: []int{10, 20, 35, 50, 65, 80, 90, 95}, minQ: 1, maxQ: 99,
		encArgs: func(q int, in, out string) []string {
			return []string{in, out, "-q", fmt.Sprint(q), "--num_threads=0", "--quiet"}
		},
		decArgs: func(in, out string) []string { return []string{in, out, "--num_threads=0", "--quiet"} },
	},
	{
		name: "jpeg-turbo", desc: "JPEG, libjpeg-turbo cjpeg/djpeg (4:2:0, standard Huffman tables, fancy upsampling); quality = JPEG quality",
		encoder: "cjpeg", decoder: "djpeg", pkg: "libjpeg-turbo-progs", ext: "jpg", input: "ppm", output: "ppm",
		grid: []int{5, 10, 20, 30, 50, 70, 85, 95}, minQ: 1, maxQ: 100,
		encArgs: func(q int, in, out string) []string {
			return []string{"-quality", fmt.Sprint(q), "-outfile", out, in}
		},
		decArgs: func(in, out string) []string { return []string{"-ppm", "-outfile", out, in} },
	},
}

func init() {
	for _, s := range baselineTools {
		Register(s.name, func(opts Options) (Codec, error) { return newToolCodec(s, opts) })
	}
}

// toolCodec runs one baseline through temporary files in a private folder.
type toolCodec struct {
	spec             toolSpec
	encPath, decPath string
	dir              string      // temporary folder, made on first use
	src              *image.RGBA // image currently written to the input file
	last             time.Duration
}

func newToolCodec(spec toolSpec, _ Options) (Codec, error) {
	enc, err := exec.LookPath(spec.encoder)
	if err != nil {
		return nil, &UnavailableError{spec.name, fmt.Sprintf("%s not found in PATH (Debian package %s; see scripts/install-baselines.sh)", spec.encoder, spec.pkg)}
	}
	dec, err := exec.LookPath(spec.decoder)
	if err != nil {
		return nil, &UnavailableError{spec.name, fmt.Sprintf("%s not found in PATH (Debian package %s; see scripts/install-baselines.sh)", spec.decoder, spec.pkg)}
	}
	return &toolCodec{spec: spec, encPath: enc, decPath: dec}, nil
}

func (c *toolCodec) Name() string                 { return c.spec.name }
func (c *toolCodec) Description() string          { return c.spec.desc }
func (c *toolCodec) Qualities() []int             { return append([]int(nil), c.spec.grid...) }
func (c *toolCodec) LastRunTime() time.Duration   { return c.last }
func (c *toolCodec) path(name, ext string) string { return filepath.Join(c.dir, name+"."+ext) }

// Prepare writes img to the encoder's input file, outside the timed region.
func (c *toolCodec) Prepare(img *image.RGBA) error {
	if c.dir == "" {
		dir, err := os.MkdirTemp("", "semcodec-eval-"+c.spec.name+"-")
		if err != nil {
			return err
		}
		c.dir = dir
	}
	c.src = nil
	in := c.path("input", c.spec.input)
	var err error
	if c.spec.input == "ppm" {
		err = writePPM(in, img)
	} else {
		err = writeFastPNG(in, img)
	}
	if err != nil {
		return fmt.Errorf("eval: write %s input: %w", c.spec.name, err)
	}
	c.src = img
	return nil
}

func (c *toolCodec) Encode(img *image.RGBA, q int) ([]byte, error) {
	if q < c.spec.minQ || q > c.spec.maxQ {
		return nil, fmt.Errorf("eval: %s quality %d outside %d..%d", c.spec.name, q, c.spec.minQ, c.spec.maxQ)
	}
	if c.src != img {
		if err := c.Prepare(img); err != nil {
			return nil, err
		}
	}
	out := c.path("encoded", c.spec.ext)
	defer os.Remove(out)
	if err := c.run(c.encPath, c.spec.encArgs(q, c.path("input", c.spec.input), out)); err != nil {
		return nil, err
	}
	return os.ReadFile(out)
}

func (c *toolCodec) Decode(data []byte) (*image.RGBA, error) {
	if c.dir == "" {
		dir, err := os.MkdirTemp("", "semcodec-eval-"+c.spec.name+"-")
		if err != nil {
			return nil, err
		}
		c.dir = dir
	}
	in := c.path("decode-in", c.spec.ext)
	out := c.path("decoded", c.spec.output)
	defer os.Remove(in)
	defer os.Remove(out)
	if err := os.WriteFile(in, data, 0o600); err != nil {
		return nil, err
	}
	if err := c.run(c.decPath, c.spec.decArgs(in, out)); err != nil {
		return nil, err
	}
	if c.spec.output == "ppm" {
		return readPPM(out)
	}
	return imageio.ReadImage(out)
}

// Close removes the temporary folder.
func (c *toolCodec) Close() error {
	if c.dir == "" {
		return nil
	}
	err := os.RemoveAll(c.dir)
	c.dir, c.src = "", nil
	return err
}

// run executes a tool and records its wall time; the process start is part
// of it, as it is for anyone using these tools.
func (c *toolCodec) run(bin string, args []string) error {
	cmd := exec.Command(bin, args...)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	start := time.Now()
	err := cmd.Run()
	c.last = time.Since(start)
	if err != nil {
		msg := strings.TrimSpace(out.String())
		if len(msg) > 400 {
			msg = msg[:400] + "..."
		}
		return fmt.Errorf("eval: %s %s: %v: %s", filepath.Base(bin), strings.Join(args, " "), err, msg)
	}
	return nil
}

// writeFastPNG writes an 8-bit PNG quickly: the file only carries pixels to a
// tool, so compression effort would be wasted. image/png writes opaque RGBA
// images as RGB without alpha.
func writeFastPNG(path string, img *image.RGBA) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<16)
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(w, img); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Version names the Debian package and version of the tools, when dpkg
// knows them.
func (c *toolCodec) Version() string {
	out, err := exec.Command("dpkg-query", "-W", "-f=${Version}", c.spec.pkg).Output()
	if err != nil || len(out) == 0 {
		return ""
	}
	return c.spec.pkg + " " + strings.TrimSpace(string(out))
}
