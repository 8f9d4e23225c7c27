package datapack

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/png"
	"io"
	"math"

	"github.com/semcodec/semcodec/imageio"
	"github.com/semcodec/semcodec/metrics"
)

// Sample is one training example to pack.
type Sample struct {
	Name       string      // unique within the pack
	Classes    string      // class set name of Labels, e.g. "camvid"; "" when unlabelled
	NumClasses int         // K; Labels values must be 0..K-1 or IgnoreLabel
	Image      image.Image // any Go image; converted with imageio.ToRGB
	Labels     *image.Gray // same size as Image, or nil when unlabelled
}

// Options control packing. The zero value means the defaults.
type Options struct {
	Quality       int   // luma JPEG quality 1..100; 0 means DefaultQuality
	ChromaQuality int   // chroma JPEG quality; 0 means Quality-DefaultChromaDrop
	MaxBytes      int64 // size budget of the whole file; 0 means no limit
}

func (o *Options) qualities() (q, cq int, err error) {
	q, cq = DefaultQuality, 0
	if o != nil {
		if o.Quality != 0 {
			q = o.Quality
		}
		cq = o.ChromaQuality
	}
	if cq == 0 {
		cq = max(1, q-DefaultChromaDrop)
	}
	if q < 1 || q > 100 || cq < 1 || cq > 100 {
		return 0, 0, fmt.Errorf("datapack: JPEG quality %d/%d outside 1..100", q, cq)
	}
	return q, cq, nil
}

// Stat measures what packing did to one sample (or, summed, to a pack).
type Stat struct {
	Samples     int
	Pixels      int64
	ImageBytes  int64   // bytes of the three JPEG planes
	LabelBytes  int64   // bytes of the label PNG
	SquaredErr  float64 // sum over RGB values of (packed - original)², 8-bit scale
	WorstPSNR   float64 // lowest per-sample PSNR, dB
	SourceBytes int64   // caller's bookkeeping: bytes of the source files, if known
}

// PSNR is the pooled PSNR (dB, peak 255) of all packed samples against their
// originals; +Inf when packing was lossless.
func (s Stat) PSNR() float64 {
	if s.SquaredErr == 0 {
		return math.Inf(1)
	}
	return metrics.PSNRFromMSE(s.SquaredErr / float64(3*s.Pixels))
}

// add accumulates t into s.
func (s *Stat) add(t Stat) {
	if s.Samples == 0 || t.WorstPSNR < s.WorstPSNR {
		s.WorstPSNR = t.WorstPSNR
	}
	s.Samples += t.Samples
	s.Pixels += t.Pixels
	s.ImageBytes += t.ImageBytes
	s.LabelBytes += t.LabelBytes
	s.SquaredErr += t.SquaredErr
	s.SourceBytes += t.SourceBytes
}

// Encoded is a sample coded for a pack, ready for Writer.AddEncoded.
type Encoded struct {
	info  Info
	blobs [][]byte
	stat  Stat
}

// Stat reports the sample's sizes and coding error.
func (e *Encoded) Stat() Stat { return e.stat }

// Encode codes one sample and measures its coding error. It is safe to call
// from several goroutines; add the results to a Writer in a fixed order.
func Encode(s Sample, opts *Options) (*Encoded, error) {
	q, cq, err := opts.qualities()
	if err != nil {
		return nil, err
	}
	if s.Name == "" {
		return nil, &SampleError{Name: "(unnamed)", Err: errors.New("empty name")}
	}
	if s.Image == nil {
		return nil, &SampleError{Name: s.Name, Err: errors.New("no image")}
	}
	b := s.Image.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= 0 || h <= 0 || w > maxSide || h > maxSide || int64(w)*int64(h) > maxPixels {
		return nil, &SampleError{Name: s.Name, Err: fmt.Errorf("image size %dx%d outside 1..%d", w, h, maxSide)}
	}
	info := Info{Name: s.Name, Width: w, Height: h}
	if s.Labels != nil {
		if err := checkLabels(s.Labels, s.Classes, s.NumClasses, w, h); err != nil {
			return nil, &SampleError{Name: s.Name, Err: err}
		}
		info.Classes, info.NumClasses = s.Classes, s.NumClasses
	} else if s.Classes != "" || s.NumClasses != 0 {
		return nil, &SampleError{Name: s.Name, Err: errors.New("class set given without labels")}
	}
	rgb := imageio.ToRGB(s.Image)
	planes, err := encodePlanes(rgb, q, cq)
	if err != nil {
		return nil, &SampleError{Name: s.Name, Err: err}
	}
	back, err := decodePlanes(planes, w, h)
	if err != nil {
		return nil, &SampleError{Name: s.Name, Err: err}
	}
	mse, err := metrics.MSE(rgb, back)
	if err != nil {
		return nil, &SampleError{Name: s.Name, Err: err}
	}
	se := mse * float64(3*w*h)
	e := &Encoded{info: info, blobs: planes[:], stat: Stat{
		Samples: 1, Pixels: int64(w) * int64(h), SquaredErr: se,
		WorstPSNR:  metrics.PSNRFromMSE(mse),
		ImageBytes: int64(len(planes[0]) + len(planes[1]) + len(planes[2])),
	}}
	if s.Labels != nil {
		lb, err := encodeLabels(s.Labels)
		if err != nil {
			return nil, &SampleError{Name: s.Name, Err: err}
		}
		e.blobs = append(e.blobs, lb)
		e.stat.LabelBytes = int64(len(lb))
	}
	return e, nil
}

func checkLabels(l *image.Gray, classes string, k, w, h int) error {
	if classes == "" || k < 1 || k > maxClasses {
		return fmt.Errorf("labels need a class set name and 1..%d classes (got %q, %d)", maxClasses, classes, k)
	}
	if l.Bounds().Dx() != w || l.Bounds().Dy() != h {
		return fmt.Errorf("labels are %dx%d, image is %dx%d", l.Bounds().Dx(), l.Bounds().Dy(), w, h)
	}
	for y := l.Rect.Min.Y; y < l.Rect.Max.Y; y++ {
		row := l.Pix[l.PixOffset(l.Rect.Min.X, y):][:w]
		for x, v := range row {
			if int(v) >= k && v != IgnoreLabel {
				return fmt.Errorf("label %d at (%d,%d) outside 0..%d and not %d (ignore)", v, x, y-l.Rect.Min.Y, k-1, IgnoreLabel)
			}
		}
	}
	return nil
}

func encodeLabels(l *image.Gray) ([]byte, error) {
	// Re-base to (0,0) so the stored map never carries an offset.
	g := image.NewGray(image.Rect(0, 0, l.Rect.Dx(), l.Rect.Dy()))
	for y := 0; y < g.Rect.Dy(); y++ {
		copy(g.Pix[y*g.Stride:][:g.Rect.Dx()], l.Pix[l.PixOffset(l.Rect.Min.X, l.Rect.Min.Y+y):])
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, g); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Writer collects encoded samples and writes the pack.
type Writer struct {
	q, cq    int
	maxBytes int64
	entries  []*Encoded
	names    map[string]bool
	dataLen  int64
	stat     Stat
}

// NewWriter returns a Writer using opts (nil means defaults).
func NewWriter(opts *Options) (*Writer, error) {
	q, cq, err := opts.qualities()
	if err != nil {
		return nil, err
	}
	w := &Writer{q: q, cq: cq, names: map[string]bool{}}
	if opts != nil {
		w.maxBytes = opts.MaxBytes
	}
	return w, nil
}

// Options returns the effective options, for Encode calls made outside Add.
func (w *Writer) Options() *Options {
	return &Options{Quality: w.q, ChromaQuality: w.cq, MaxBytes: w.maxBytes}
}

// Add encodes s and appends it.
func (w *Writer) Add(s Sample) error {
	e, err := Encode(s, w.Options())
	if err != nil {
		return err
	}
	return w.AddEncoded(e)
}

// AddEncoded appends a sample produced by Encode with this Writer's Options.
func (w *Writer) AddEncoded(e *Encoded) error {
	if w.names[e.info.Name] {
		return &SampleError{Name: e.info.Name, Err: ErrDuplicate}
	}
	if len(w.entries) >= maxEntries {
		return fmt.Errorf("datapack: data pack holds at most %d samples", maxEntries)
	}
	w.names[e.info.Name] = true
	w.entries = append(w.entries, e)
	for _, b := range e.blobs {
		w.dataLen += int64(len(b))
	}
	w.stat.add(e.stat)
	return nil
}

// Stat returns the summed statistics of all samples added.
func (w *Writer) Stat() Stat { return w.stat }

func (w *Writer) index() ([]byte, error) {
	idx := indexJSON{Quality: w.q, ChromaQuality: w.cq, Entries: make([]entryJSON, len(w.entries))}
	var off int64
	for i, e := range w.entries {
		ej := entryJSON{Name: e.info.Name, Classes: e.info.Classes, NumClasses: e.info.NumClasses,
			Width: e.info.Width, Height: e.info.Height, Blobs: make([]blob, len(e.blobs))}
		for k, b := range e.blobs {
			ej.Blobs[k] = blob{Offset: off, Length: int64(len(b)), CRC32: crc32.ChecksumIEEE(b)}
			off += int64(len(b))
		}
		idx.Entries[i] = ej
	}
	return json.Marshal(idx)
}

// Size returns the number of bytes WriteTo would write now.
func (w *Writer) Size() (int64, error) {
	idx, err := w.index()
	if err != nil {
		return 0, err
	}
	return headerSize + int64(len(idx)) + w.dataLen, nil
}

// WriteTo writes the pack. It fails with ErrTooLarge, before writing
// anything, when the pack would exceed Options.MaxBytes.
func (w *Writer) WriteTo(out io.Writer) (int64, error) {
	if len(w.entries) == 0 {
		return 0, errors.New("datapack: data pack has no samples")
	}
	idx, err := w.index()
	if err != nil {
		return 0, err
	}
	if len(idx) > maxIndexBytes {
		return 0, fmt.Errorf("datapack: data pack index of %d bytes exceeds %d", len(idx), maxIndexBytes)
	}
	size := headerSize + int64(len(idx)) + w.dataLen
	if w.maxBytes > 0 && size > w.maxBytes {
		return 0, fmt.Errorf("%w: %d bytes > %d (lower the quality or pack fewer images)", ErrTooLarge, size, w.maxBytes)
	}
	var hdr [headerSize]byte
	copy(hdr[:4], Magic)
	binary.LittleEndian.PutUint16(hdr[4:], Version)
	binary.LittleEndian.PutUint32(hdr[8:], uint32(len(idx)))
	binary.LittleEndian.PutUint32(hdr[12:], crc32.ChecksumIEEE(idx))
	var n int64
	write := func(p []byte) error {
		m, err := out.Write(p)
		n += int64(m)
		return err
	}
	if err := write(hdr[:]); err != nil {
		return n, err
	}
	if err := write(idx); err != nil {
		return n, err
	}
	for _, e := range w.entries {
		for _, b := range e.blobs {
			if err := write(b); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// AddSourceBytes records the size of the files the sample was read from, for
// the pack's compression summary.
func (e *Encoded) AddSourceBytes(n int64) { e.stat.SourceBytes += n }
