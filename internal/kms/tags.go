package kms

import (
	"github.com/gorento/gorento/pkg/kurento/wire"
)

// Tags are key/value strings clients attach to objects (addTag …) and may
// have sent in every event of the object (sendTagsInEvents). They are
// bounded per object in count and bytes (kurento.maxTagsPerObject,
// kurento.maxTagBytesPerObject), so the tags an event carries stay small.
//
// The ServerManager is shared by every session: a tag set on it belongs to
// the session that set it and is dropped with that session, and so is
// sendTagsInEvents when a session turned it on. Elsewhere tags live as long
// as their object, which sessions reference. A client sees and changes the
// tags set under its own Kurento credential only (scope.go), and events
// carry those of the credential they go to.

// ownedTag is one tag, the session that set it and its credential.
type ownedTag struct {
	wire.Tag
	owner      string
	credential string
}

func tagSize(key, value string) int { return len(key) + len(value) }

// setTag adds or replaces a tag within the limits (which count every
// credential's tags).
func (o *Object) setTag(key, value string, sess *session, lim Limits) error {
	o.attrMu.Lock()
	defer o.attrMu.Unlock()
	total := 0
	found := -1
	for i, t := range o.tags {
		total += tagSize(t.Key, t.Value)
		if t.Key == key && t.credential == sess.credential {
			found = i
		}
	}
	if found < 0 && len(o.tags) >= lim.MaxTagsPerObject {
		return errLimit("maxTagsPerObject", lim.MaxTagsPerObject, "Object has %d tags: remove one before adding '%s'", len(o.tags), clip(key))
	}
	grown := total + tagSize(key, value)
	if found >= 0 {
		grown -= tagSize(o.tags[found].Key, o.tags[found].Value)
	}
	if grown > lim.MaxTagBytesPerObject {
		return errLimit("maxTagBytesPerObject", lim.MaxTagBytesPerObject, "Tags of %d bytes in all (keys and values)", grown)
	}
	t := ownedTag{Tag: wire.Tag{Complex: wire.NewComplex("Tag"), Key: key, Value: value}, owner: sess.id, credential: sess.credential}
	if found >= 0 {
		o.tags[found] = t
	} else {
		o.tags = append(o.tags, t)
	}
	return nil
}

// clip shortens a client string quoted in an error message.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

func (o *Object) removeTag(key, cred string) {
	o.attrMu.Lock()
	defer o.attrMu.Unlock()
	for i := range o.tags {
		if o.tags[i].Key == key && o.tags[i].credential == cred {
			o.tags = append(o.tags[:i:i], o.tags[i+1:]...)
			return
		}
	}
}

func (o *Object) tag(key, cred string) (string, bool) {
	o.attrMu.Lock()
	defer o.attrMu.Unlock()
	for _, t := range o.tags {
		if t.Key == key && t.credential == cred {
			return t.Value, true
		}
	}
	return "", false
}

// tagList copies the tags of a credential (never nil: it is sent as a JSON array).
func (o *Object) tagList(cred string) []wire.Tag {
	o.attrMu.Lock()
	defer o.attrMu.Unlock()
	out := make([]wire.Tag, 0, len(o.tags))
	for _, t := range o.tags {
		if t.credential == cred {
			out = append(out, t.Tag)
		}
	}
	return out
}

func (o *Object) tagsForEvent(cred string) []wire.Tag {
	o.attrMu.Lock()
	send := o.sendTags
	o.attrMu.Unlock()
	if !send {
		return []wire.Tag{}
	}
	return o.tagList(cred)
}

// setSendTags turns tags in events on or off for the object.
func (o *Object) setSendTags(on bool, session string) {
	o.attrMu.Lock()
	defer o.attrMu.Unlock()
	o.sendTags, o.sendTagsOwner = on, session
}

// dropTagsOf removes what a session that ended left on the object.
func (o *Object) dropTagsOf(session string) {
	o.attrMu.Lock()
	defer o.attrMu.Unlock()
	kept := o.tags[:0]
	for _, t := range o.tags {
		if t.owner != session {
			kept = append(kept, t)
		}
	}
	clear(o.tags[len(kept):])
	o.tags = kept
	if o.sendTags && o.sendTagsOwner == session {
		o.sendTags = false
	}
}
