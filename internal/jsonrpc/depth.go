package jsonrpc

import (
	"bytes"
	"encoding/json"
)

// Depth returns how deeply the arrays and objects of a frame nest, and the
// raw "id" member of the top-level object when it is a string or a number.
// It is one pass over the bytes without allocation, made to look at a frame
// before decoding it: encoding/json keeps a stack as deep as the input and
// copies every nested value it is asked to keep raw, so a protocol server
// refuses a frame deeper than any request it serves without decoding it,
// and can still name the request in its answer. Depth does not validate:
// a malformed frame is reported by DecodeRequest.
func Depth(frame []byte) (depth int, id json.RawMessage) {
	var (
		level    int
		inString bool
		escaped  bool
		key      bool // the string being read is a top-level key
		keyStart int
		lastKey  []byte
		idStart  = -1
	)
	for i, b := range frame {
		if inString {
			switch {
			case escaped:
				escaped = false
			case b == '\\':
				escaped = true
			case b == '"':
				inString = false
				if key {
					lastKey, key = frame[keyStart:i], false
					if string(lastKey) == "id" { // a repeated member: the last one counts, as for encoding/json
						idStart, id = -1, nil
					}
				}
			}
			continue
		}
		switch b {
		case '"':
			inString = true
			if level == 1 && isKeyPosition(frame[:i]) {
				key, keyStart = true, i+1
			} else if level == 1 && idStart < 0 && string(lastKey) == "id" {
				idStart = i
			}
		case '{', '[':
			level++
			depth = max(depth, level)
		case '}', ']':
			if level == 1 && idStart >= 0 && id == nil {
				id = scalar(frame[idStart:i])
			}
			level--
		case ',':
			if level == 1 {
				if idStart >= 0 && id == nil {
					id = scalar(frame[idStart:i])
				}
				lastKey = nil
			}
		default:
			if level == 1 && idStart < 0 && string(lastKey) == "id" && (b == '-' || b >= '0' && b <= '9') {
				idStart = i
			}
		}
	}
	return depth, id
}

// isKeyPosition reports whether a string starting after prefix is an
// object key: the last significant byte before it is '{' or ','.
func isKeyPosition(prefix []byte) bool {
	p := bytes.TrimRight(prefix, " \t\r\n")
	return len(p) > 0 && (p[len(p)-1] == '{' || p[len(p)-1] == ',')
}

// scalar returns raw trimmed when it is a valid JSON string or number.
func scalar(raw []byte) json.RawMessage {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || !json.Valid(raw) {
		return nil
	}
	if raw[0] != '"' && raw[0] != '-' && (raw[0] < '0' || raw[0] > '9') {
		return nil
	}
	return raw
}
