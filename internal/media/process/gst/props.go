//go:build cgo

package gst

/*
#cgo pkg-config: gstreamer-1.0
#include <gst/gst.h>
#include <stdlib.h>

// set_prop parses value for the property's type (as gst-launch does) and
// sets it; unlike gst_util_set_object_arg it says what went wrong.
static int set_prop(gpointer obj, const char *name, const char *value) {
	GParamSpec *ps = g_object_class_find_property(G_OBJECT_GET_CLASS(obj), name);
	if (ps == NULL) return 1;
	if (!(ps->flags & G_PARAM_WRITABLE)) return 2;
	GValue v = G_VALUE_INIT;
	g_value_init(&v, ps->value_type);
	if (!gst_value_deserialize(&v, value)) { g_value_unset(&v); return 3; }
	g_object_set_property(G_OBJECT(obj), name, &v);
	g_value_unset(&v);
	return 0;
}

static int has_prop(gpointer obj, const char *name) {
	return g_object_class_find_property(G_OBJECT_GET_CLASS(obj), name) != NULL;
}
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// setProp sets a property from its string form (gst-launch syntax).
func setProp(el *C.GstElement, name, value string) error {
	return setObjectProp(C.gpointer(el), "element "+elementName(el), name, value)
}

// setPadProp sets a pad's property (a compositor pad's xpos, alpha...).
func setPadProp(pad *C.GstPad, name, value string) error {
	return setObjectProp(C.gpointer(pad), "pad", name, value)
}

func setObjectProp(obj C.gpointer, what, name, value string) error {
	cn, cv := C.CString(name), C.CString(value)
	defer C.free(unsafe.Pointer(cn))
	defer C.free(unsafe.Pointer(cv))
	switch C.set_prop(obj, cn, cv) {
	case 1:
		return fmt.Errorf("%s has no property %q", what, name)
	case 2:
		return fmt.Errorf("property %q of %s is not writable", name, what)
	case 3:
		return fmt.Errorf("value %q is not valid for property %q of %s", value, name, what)
	}
	return nil
}

// hasProp reports whether el has a property called name.
func hasProp(el *C.GstElement, name string) bool {
	cn := C.CString(name)
	defer C.free(unsafe.Pointer(cn))
	return C.has_prop(C.gpointer(el), cn) != 0
}
