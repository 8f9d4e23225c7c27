// Package nn holds the neural-network pieces of the semcodec model as GoMLX
// graph code: convolutions (Conv, and ConvTranspose with hand-written
// gradients), GDN/IGDN, sub-pixel upsampling, ERFNet non-bottleneck-1D
// blocks and the entropy models (factorized bottleneck, Gaussian
// conditional).
//
// Everything here is plain graph code, so it runs on the CPU adapter of
// package backend and on XLA alike. Graph-building functions panic on bad
// shapes, as GoMLX's own do; callers turn panics into errors at their API
// boundary.
//
// Files of this package refer to GoMLX's graph package by name rather than
// dot-importing it: nn declares names (Conv, Relu, ...) that a dot import
// could clash with.
package nn
