// Package zoo holds semcodec's shipped models, in the manner of CompressAI's
// zoo: importing it registers them as the codec's defaults.
//
//	import _ "github.com/semcodec/semcodec/zoo"
//
// after which codec.Encode and codec.Decode work without a model of their
// own. A program that always passes its own models (codec.LoadModel) need not
// import it, and then carries none of their bytes.
//
// models/*.smw is the default family: one variable-rate file, or one file per
// quality level. models/legacy/*.smw are earlier defaults, kept so that the
// files they made still decode. The quality→λ table the family was trained
// with is Lambdas.
package zoo

import (
	"embed"
	"fmt"

	"github.com/semcodec/semcodec/codec"
)

//go:embed models
var models embed.FS

func init() { codec.RegisterDefaults(models) }

// Lambdas is the rate-distortion λ (CompressAI's MSE scale,
// L = λ·255²·MSE + bpp) of each quality, index 0 being quality 1: the table
// of CompressAI's zoo, which the shipped family follows so that equal
// qualities mean equal trade-offs.
var Lambdas = [...]float64{0.0018, 0.0035, 0.0067, 0.0130, 0.0250, 0.0483, 0.0932, 0.1800}

// Lambda returns the λ of a quality.
func Lambda(quality int) (float64, error) {
	if quality < 1 || quality > len(Lambdas) {
		return 0, fmt.Errorf("zoo: quality %d outside 1..%d", quality, len(Lambdas))
	}
	return Lambdas[quality-1], nil
}
