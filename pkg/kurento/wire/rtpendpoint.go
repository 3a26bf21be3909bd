package wire

// OnKeySoftLimit is fired by an RtpEndpoint when an SRTP key of the
// stream of MediaType (AUDIO or VIDEO) nears its usage limit.
type OnKeySoftLimit struct {
	EventBase
	MediaType string `json:"mediaType"`
}

// SDES is the crypto constructor parameter of an RtpEndpoint: a master key
// and salt as text (Key, 30 characters for AES_128 suites, 46 for
// AES_256) or base64 (KeyBase64), and the CryptoSuite.
type SDES struct {
	Complex
	Key       string `json:"key,omitempty"`
	KeyBase64 string `json:"keyBase64,omitempty"`
	Crypto    string `json:"crypto,omitempty"`
}
