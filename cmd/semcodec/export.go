package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/semcodec/semcodec/trainer"
	"github.com/semcodec/semcodec/weights"
)

func init() { register(newExportCmd) }

func newExportCmd() *cobra.Command {
	var ckpt, out, dtype, name, backendSpec string
	var quality int
	var fold bool
	cmd := &cobra.Command{
		Use:   "export --checkpoint DIR -o FILE.smw",
		Short: "Write a checkpoint's network as one model file",
		Long: `export writes the network of a training checkpoint (DIR/ckpt-<step>, or the
newest checkpoint inside DIR) as one .smw model file: the safetensors layout
with the configuration, λ, quality index, class names and palette as metadata
(docs/model-format.md). Optimizer state, step counters and the random state
are left out. BatchNorm parameters are kept as they are, unless --fold-bn
folds each into the convolution before it (metadata batchnorm=folded; a
loader sets those BatchNorms to identities).

--dtype f16 stores the convolution kernels as float16 (half the bytes) and
everything else as float32; f32 stores all as float32, so that the loaded
network gives the checkpoint's outputs bit for bit. The file is read back and
checked against the network before it is written.

Exit codes: 0 success, 1 usage error, 2 unreadable or damaged checkpoint.`,
		Example: "  semcodec export --checkpoint out/small -o models/semcodec-small-q4.smw --quality 4",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ck, err := trainer.LoadCheckpoint(ckpt)
			if err != nil {
				return badInput(err)
			}
			be, err := newBackend(backendSpec)
			if err != nil {
				return err
			}
			back, err := trainer.Export(ck, trainer.ExportOptions{DType: dtype, Quality: quality, Model: name,
				FoldBatchNorm: fold, Backend: be})
			if err != nil {
				if isInputError(err) {
					return badInput(err)
				}
				return err
			}
			frozen := "entropy tables frozen"
			if cfgErr := ck.Meta.Config.Codable(); cfgErr != nil {
				frozen = "not codable: " + cfgErr.Error()
			}
			data, err := back.Bytes()
			if err != nil {
				return err
			}
			if err := weights.WriteFile(out, back); err != nil {
				return err
			}
			id, _ := back.ID()
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %s step %d, %d tensors, %.2f MiB (%s), λ=%g, quality %d, model ID %s, %s\n",
				out, back.Meta.Model, ck.Meta.Step, back.Len(), mib(int64(len(data))), dtype, back.Meta.Lambda, back.Meta.Quality, id, frozen)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&ckpt, "checkpoint", "", "checkpoint folder, or a training --out folder (required)")
	fl.StringVarP(&out, "output", "o", "", "model file to write (required)")
	fl.StringVar(&dtype, "dtype", trainer.ExportF16, "f16 or f32")
	fl.IntVar(&quality, "quality", 1, "quality index of the model within its family (1 = lowest rate)")
	fl.StringVar(&name, "model", "", `model (family) name (default "semcodec-<config>")`)
	fl.BoolVar(&fold, "fold-bn", false, "fold BatchNorm into the preceding convolutions")
	fl.StringVar(&backendSpec, "backend", "", "GoMLX backend used to check the file")
	cmd.MarkFlagRequired("checkpoint")
	cmd.MarkFlagRequired("output")
	return cmd
}
