package main

// The learned codec joins the evaluation harness by registration: with this
// import, "semcodec" (post-enhanced reconstruction) and "semcodec-plain"
// (plain synthesis) are codec names for `eval compression --codecs`,
// `eval gallery --codecs` (which adds the decoded segmentation as a tile) and
// `eval segmentation` (its default codec). --model takes a .smw file, a
// folder of .smw files or a glob, one quality per file; without it the
// models embedded in the codec are used.
import _ "github.com/semcodec/semcodec/eval/learned"
