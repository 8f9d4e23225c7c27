package entropy_test

import (
	"fmt"

	"github.com/semcodec/semcodec/entropy"
)

// Code a latent with the Gaussian conditional: each element's predicted
// scale picks its table, and the decoder, which predicts the same scales,
// recovers the symbols exactly.
func Example() {
	symbols := []int32{0, -1, 3, 0, 0, 12, -250000}
	scales := []float64{0.2, 1.5, 2.5, 0.11, 0.5, 6, 3}
	indexes := make([]int32, len(scales))
	for i, s := range scales {
		indexes[i] = int32(entropy.GaussianIndex(s))
	}
	tables := entropy.GaussianTables()
	data, err := entropy.Encode(symbols, indexes, tables)
	if err != nil {
		panic(err)
	}
	back, err := entropy.Decode(data, indexes, tables)
	if err != nil {
		panic(err)
	}
	fmt.Println(indexes)
	fmt.Println(back)
	// Output:
	// [5 21 25 0 12 32 27]
	// [0 -1 3 0 0 12 -250000]
}

// The integer scale-to-index mapping for fixed-point scales agrees with the
// float one on every representable value.
func ExampleGaussianIndexQ16() {
	fmt.Println(entropy.GaussianIndexQ16(98304), entropy.GaussianIndex(1.5))
	// Output: 21 21
}
