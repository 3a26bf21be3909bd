package procelem

// output is one worker output: a source pad of the processed media type.
type output struct {
	*StreamOut
	desc string
}

// push sends one packet of worker element st out of the pad. It runs on
// st's delivery goroutine; b is valid during the call.
func (out *output) push(st *stage, j int, b []byte) {
	out.Push(b, st.out[j])
}
