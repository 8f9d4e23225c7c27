// Command mosaic tiles the Kodak images into large test pictures for
// scripts/measure-large.sh: each WxH argument gives OUT/mosaic-WxH.png,
// filled row by row with 768x512 tiles (portrait images turned), the images
// in name order, repeating.
package main

import (
	"flag"
	"fmt"
	"image"
	"image/draw"
	"log"
	"path/filepath"
	"sort"

	"github.com/semcodec/semcodec/imageio"
)

func main() {
	kodak := flag.String("kodak", "../shared/data/kodak", "folder of the Kodak PNGs")
	out := flag.String("out", ".", "output folder")
	flag.Parse()
	names, err := filepath.Glob(filepath.Join(*kodak, "*.png"))
	if err != nil || len(names) == 0 {
		log.Fatalf("mosaic: no PNG in %s", *kodak)
	}
	sort.Strings(names)
	tiles := make([]*image.RGBA, len(names))
	for i, n := range names {
		img, err := imageio.ReadImage(n)
		if err != nil {
			log.Fatal(err)
		}
		if img.Rect.Dx() < img.Rect.Dy() {
			img = turn(img)
		}
		tiles[i] = img
	}
	for _, size := range flag.Args() {
		var w, h int
		if _, err := fmt.Sscanf(size, "%dx%d", &w, &h); err != nil || w < 1 || h < 1 {
			log.Fatalf("mosaic: size %q, want WxH", size)
		}
		m := image.NewRGBA(image.Rect(0, 0, w, h))
		i := 0
		for y := 0; y < h; y += 512 {
			for x := 0; x < w; x += 768 {
				draw.Draw(m, image.Rect(x, y, x+768, y+512), tiles[i%len(tiles)], image.Point{}, draw.Src)
				i++
			}
		}
		if err := imageio.WritePNG(filepath.Join(*out, "mosaic-"+size+".png"), m); err != nil {
			log.Fatal(err)
		}
	}
}

// turn rotates a portrait image a quarter turn clockwise.
func turn(src *image.RGBA) *image.RGBA {
	w, h := src.Rect.Dx(), src.Rect.Dy()
	dst := image.NewRGBA(image.Rect(0, 0, h, w))
	for y := range h {
		for x := range w {
			dst.SetRGBA(h-1-y, x, src.RGBAAt(x, y))
		}
	}
	return dst
}
