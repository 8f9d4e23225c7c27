package weights_test

import (
	"fmt"
	"log"

	"github.com/semcodec/semcodec/weights"
)

func Example() {
	f := weights.New(weights.Metadata{Model: "semcodec-small", Quality: 1, Lambda: 0.0018})
	w, err := weights.NewF16("hyper_synthesis/out/biases", []int{3}, []float32{0.5, -1, 2})
	if err != nil {
		log.Fatal(err)
	}
	if err := f.Add(w); err != nil {
		log.Fatal(err)
	}
	data, err := f.Bytes() // or weights.WriteFile(path, f)
	if err != nil {
		log.Fatal(err)
	}

	g, err := weights.Parse(data) // or weights.Read(path), weights.ReadFS(embedded, name)
	if err != nil {
		log.Fatal(err)
	}
	b, err := g.Float32("hyper_synthesis/out/biases", 3)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(g.Meta.Model, g.Meta.Quality, b)
	// Output: semcodec-small 1 [0.5 -1 2]
}
