package player

import (
	"fmt"
	"strings"
)

// Describe renders the player's media chain in Graphviz DOT (KMS returns
// its private GStreamer pipeline as elementGstreamerDot): the source, each
// track and how it is sent.
func (pl *Player) Describe() string {
	pl.mu.Lock()
	sess, state, info := pl.sess, pl.state, pl.info
	pl.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "digraph player {\n  rankdir=LR;\n  source [shape=box,label=%q];\n",
		fmt.Sprintf("%s\\n%s, seekable %v, %v", redact(pl.opts.URI), state, info.Seekable, info.Duration))
	if sess != nil {
		sess.mu.Lock()
		for i, o := range sess.outs {
			if o == nil {
				continue
			}
			how := "as is"
			if o.leg != nil {
				how = "transcoded in the worker"
			}
			fmt.Fprintf(&b, "  track%d [label=%q];\n  source -> track%d;\n  track%d -> %s;\n", i,
				fmt.Sprintf("%s %s (%s), %d frames", o.kind, o.codec.MimeType, how, o.frames.Load()), i, i, o.kind)
		}
		sess.mu.Unlock()
	}
	b.WriteString("}\n")
	return b.String()
}
