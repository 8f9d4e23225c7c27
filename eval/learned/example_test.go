package learned_test

import (
	"errors"
	"fmt"

	"github.com/semcodec/semcodec/eval"
	_ "github.com/semcodec/semcodec/eval/learned" // registers "semcodec" and "semcodec-plain"
)

// Importing the package is all a harness needs: the codec is then found by
// name. Until its models are at hand it reports itself unavailable, which
// the harness turns into a skipped codec with a note.
func Example() {
	c, err := eval.New("semcodec", eval.Options{Model: "trained-models/"}) // .smw files, one per quality
	var un *eval.UnavailableError
	switch {
	case errors.As(err, &un):
		fmt.Println("skipping", un.Codec)
	case err != nil:
		fmt.Println(err)
	default:
		fmt.Println(c.Name(), c.Qualities())
	}
	// Output: skipping semcodec
}
