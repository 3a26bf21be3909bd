package names

import (
	"sort"
	"unicode"
)

// scripts returns the scripts of a name's characters, ignoring Common
// (digits, punctuation) and Inherited (combining marks).
func scripts(name string) map[string]bool {
	out := map[string]bool{}
	for _, c := range name {
		if c < 0x80 {
			if ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') {
				out["Latin"] = true
			}
			continue
		}
		for sname, table := range unicode.Scripts {
			if sname == "Common" || sname == "Inherited" {
				continue
			}
			if unicode.Is(table, c) {
				out[sname] = true
				break
			}
		}
	}
	return out
}

// restrictive reports whether a script set passes Unicode TR39's "highly
// restrictive" level: one script, or Latin with the scripts Japanese,
// Chinese or Korean writing combines with it. Mixing Latin with Cyrillic
// or Greek — the look-alike attack — fails.
func restrictive(s map[string]bool) bool {
	if len(s) <= 1 {
		return true
	}
	for _, allowed := range [][]string{
		{"Latin", "Han", "Hiragana", "Katakana"},
		{"Latin", "Han", "Bopomofo"},
		{"Latin", "Han", "Hangul"},
	} {
		if subset(s, allowed) {
			return true
		}
	}
	return false
}

func subset(s map[string]bool, of []string) bool {
	n := 0
	for _, x := range of {
		if s[x] {
			n++
		}
	}
	return n == len(s)
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
