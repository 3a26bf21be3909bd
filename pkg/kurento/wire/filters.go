package wire

// CodeFound is ZBarFilter's event: a bar code or QR code in view.
type CodeFound struct {
	EventBase
	CodeType string `json:"codeType"`
	Value    string `json:"value"`
}

// WindowParam is the chroma module's calibration window (pixels; the
// "topRightCorner" names are KMS's, for the top-left corner).
type WindowParam struct {
	Complex
	TopRightCornerX int `json:"topRightCornerX"`
	TopRightCornerY int `json:"topRightCornerY"`
	Width           int `json:"width"`
	Height          int `json:"height"`
}
