package codec

import (
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

func shapeOf(dims ...int) shapes.Shape { return shapes.Make(dtypes.Float32, dims...) }
