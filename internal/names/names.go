// Package names checks user and room names and compares them the way a
// person reads them: after Unicode normalisation, case folding and the
// confusable-character skeleton of Unicode TR39, so "Alice", Cyrillic
// "аlice" or "alice" with a zero-width space are the same name as "alice".
package names

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mtibben/confusables"
	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Errors of Check; the returned error wraps one of them with detail.
var (
	ErrEmpty       = errors.New("is empty")
	ErrTooLong     = errors.New("is too long")
	ErrEncoding    = errors.New("is not valid UTF-8")
	ErrSpaces      = errors.New("starts or ends with a space or has two in a row")
	ErrCharacter   = errors.New("has a character that is not allowed")
	ErrMixedScript = errors.New("mixes scripts that look alike")
)

// Rules say what a name may contain: letters, combining marks and digits
// of any script, plus the listed punctuation.
type Rules struct {
	// Kind names the thing in errors ("user name", "room name").
	Kind string
	// MaxLength is the maximum length in characters (runes).
	MaxLength int
	// Punctuation lists the allowed characters besides letters, marks and
	// digits (a space allows single inner spaces).
	Punctuation string
	// NoLeadingDot refuses names that start with "." (hidden files, "..").
	NoLeadingDot bool
}

// UserRules are the default rules for user names: display names such as
// "Ann O'Neil" or "jo.smith@example" work.
var UserRules = Rules{Kind: "user name", MaxLength: 64, Punctuation: " -_.@'+"}

// RoomRules are the default rules for room names, which also appear in
// URLs, logs and file names: no quotes, slashes or markup.
var RoomRules = Rules{Kind: "room name", MaxLength: 100, Punctuation: " -_.", NoLeadingDot: true}

// Check returns nil when name follows the rules, otherwise an error that
// says what is wrong (it wraps one of the Err values).
func (r Rules) Check(name string) error {
	fail := func(err error, detail string) error {
		if detail != "" {
			return fmt.Errorf("the %s %w: %s", r.Kind, err, detail)
		}
		return fmt.Errorf("the %s %w", r.Kind, err)
	}
	switch {
	case name == "":
		return fail(ErrEmpty, "")
	case !utf8.ValidString(name):
		return fail(ErrEncoding, "")
	}
	if n := utf8.RuneCountInString(name); n > r.MaxLength {
		return fail(ErrTooLong, fmt.Sprintf("%d characters, at most %d", n, r.MaxLength))
	}
	if strings.HasPrefix(name, " ") || strings.HasSuffix(name, " ") || strings.Contains(name, "  ") {
		return fail(ErrSpaces, "")
	}
	if r.NoLeadingDot && strings.HasPrefix(name, ".") {
		return fail(ErrCharacter, `"." at the start`)
	}
	for i, c := range name {
		ok := unicode.IsLetter(c) || unicode.IsDigit(c) || (unicode.IsMark(c) && i > 0) || strings.ContainsRune(r.Punctuation, c)
		if !ok {
			return fail(ErrCharacter, fmt.Sprintf("%U %s (letters, digits and %q are allowed)", c, describe(c), r.Punctuation))
		}
	}
	if s := scripts(name); !restrictive(s) {
		return fail(ErrMixedScript, strings.Join(sortedKeys(s), " and "))
	}
	return nil
}

// Key is the comparison key of a name: two names with the same key are
// the same to a reader and must not name two participants (or rooms).
// NFKC folds compatibility forms (fullwidth, ligatures), default-ignorable
// characters (zero-width spaces, joiners) and outer spaces are dropped,
// case is folded, and the TR39 skeleton maps confusable characters
// (Cyrillic "а", Greek "ο", "1" and "l" …) to one prototype.
func Key(name string) string {
	s := norm.NFKC.String(name)
	s = strings.Map(func(c rune) rune {
		if unicode.Is(unicode.Other_Default_Ignorable_Code_Point, c) || unicode.In(c, unicode.Cf, unicode.Cc) {
			return -1
		}
		return c
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	// Case folding and the skeleton may each expose what the other maps
	// (Ϛ folds to ϛ, whose skeleton σ has the skeleton o): repeat them until
	// nothing changes, so the key of a key is itself.
	for i := 0; i < maxKeyRounds; i++ {
		next := norm.NFC.String(cases.Fold().String(confusables.Skeleton(cases.Fold().String(s))))
		if next == s {
			break
		}
		s = next
	}
	return s
}

// maxKeyRounds bounds the fold/skeleton rounds of Key; chains are short.
const maxKeyRounds = 8

func describe(c rune) string {
	switch {
	case unicode.In(c, unicode.Cf):
		return "(an invisible formatting character)"
	case unicode.IsControl(c):
		return "(a control character)"
	case unicode.IsSpace(c):
		return "(a space other than U+0020)"
	case unicode.IsMark(c):
		return "(a combining mark at the start)"
	}
	return fmt.Sprintf("%q", c)
}
