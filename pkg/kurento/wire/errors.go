// Package wire holds the Kurento Protocol types shared by the Gorento server
// and the public Go client: error codes, enums, complex types, events and
// statistics, with the exact JSON names that kurento-client expects.
package wire

// Kurento error codes (KMS KurentoException), sent as JSON-RPC error codes.
const (
	ErrMarshall                    = 40001
	ErrUnexpected                  = 40003
	ErrConnect                     = 40004
	ErrUnsupportedMediaType        = 40005
	ErrNotImplemented              = 40006
	ErrInvalidSession              = 40007
	ErrMalformedTransaction        = 40008
	ErrNotEnoughResources          = 40009
	ErrObjectTypeNotFound          = 40100
	ErrObjectNotFound              = 40101
	ErrConstructorNotFound         = 40104
	ErrMethodNotFound              = 40105
	ErrEventNotSupported           = 40106
	ErrIllegalParam                = 40107
	ErrObjectNotAvailable          = 40108
	ErrNotFoundTransactionNoCommit = 40109
	ErrTagKeyNotFound              = 40110
	ErrOperationNotSupported       = 40111
	ErrSDPCreate                   = 40200
	ErrSDPParse                    = 40201
	ErrSDPNoLocalSDP               = 40202
	ErrSDPNoRemoteSDP              = 40203
	ErrSDPGenerateOffer            = 40204
	ErrSDPProcessOffer             = 40205
	ErrSDPProcessAnswer            = 40206
	ErrSDPConfiguration            = 40207
	ErrSDPAlreadyNegotiated        = 40208
	ErrSDPNotOfferGenerated        = 40209
	ErrSDPAnswerAlreadyProcessed   = 40210
	ErrSDPCannotCreateSession      = 40211
	ErrHTTPEndpointRegistration    = 40300
	ErrICEGatherCandidates         = 40400
	ErrICEAddCandidate             = 40401
	ErrServerManagerKmdNotFound    = 40500
	ErrURIPathFileNotFound         = 40600
	ErrPlayerSeekFail              = 40700
	JSONRPCParseError              = -32700
	JSONRPCInvalidRequest          = -32600
	JSONRPCMethodNotFound          = -32601
	JSONRPCInvalidParams           = -32602
	JSONRPCInternalError           = -32603
	JSONRPCServerError             = -32000
)

var errorTypes = map[int]string{
	ErrMarshall:                    "MARSHALL_ERROR",
	ErrUnexpected:                  "UNEXPECTED_ERROR",
	ErrConnect:                     "CONNECT_ERROR",
	ErrUnsupportedMediaType:        "UNSUPPORTED_MEDIA_TYPE",
	ErrNotImplemented:              "NOT_IMPLEMENTED",
	ErrInvalidSession:              "INVALID_SESSION",
	ErrMalformedTransaction:        "MALFORMED_TRANSACTION",
	ErrNotEnoughResources:          "NOT_ENOUGH_RESOURCES",
	ErrObjectTypeNotFound:          "MEDIA_OBJECT_TYPE_NOT_FOUND",
	ErrObjectNotFound:              "MEDIA_OBJECT_NOT_FOUND",
	ErrConstructorNotFound:         "MEDIA_OBJECT_CONSTRUCTOR_NOT_FOUND",
	ErrMethodNotFound:              "MEDIA_OBJECT_METHOD_NOT_FOUND",
	ErrEventNotSupported:           "MEDIA_OBJECT_EVENT_NOT_SUPPORTED",
	ErrIllegalParam:                "MEDIA_OBJECT_ILLEGAL_PARAM_ERROR",
	ErrObjectNotAvailable:          "MEDIA_OBJECT_NOT_AVAILABLE",
	ErrNotFoundTransactionNoCommit: "MEDIA_OBJECT_NOT_FOUND_TRANSACTION_NO_COMMIT",
	ErrTagKeyNotFound:              "MEDIA_OBJECT_TAG_KEY_NOT_FOUND",
	ErrOperationNotSupported:       "MEDIA_OBJECT_OPERATION_NOT_SUPPORTED",
	ErrSDPCreate:                   "SDP_CREATE_ERROR",
	ErrSDPParse:                    "SDP_PARSE_ERROR",
	ErrSDPNoLocalSDP:               "SDP_END_POINT_NO_LOCAL_SDP_ERROR",
	ErrSDPNoRemoteSDP:              "SDP_END_POINT_NO_REMOTE_SDP_ERROR",
	ErrSDPGenerateOffer:            "SDP_END_POINT_GENERATE_OFFER_ERROR",
	ErrSDPProcessOffer:             "SDP_END_POINT_PROCESS_OFFER_ERROR",
	ErrSDPProcessAnswer:            "SDP_END_POINT_PROCESS_ANSWER_ERROR",
	ErrSDPConfiguration:            "SDP_CONFIGURATION_ERROR",
	ErrSDPAlreadyNegotiated:        "SDP_END_POINT_ALREADY_NEGOTIATED",
	ErrSDPNotOfferGenerated:        "SDP_END_POINT_NOT_OFFER_GENERATED",
	ErrSDPAnswerAlreadyProcessed:   "SDP_END_POINT_ANSWER_ALREADY_PROCCESED",
	ErrSDPCannotCreateSession:      "SDP_END_POINT_CANNOT_CREATE_SESSON",
	ErrHTTPEndpointRegistration:    "HTTP_END_POINT_REGISTRATION_ERROR",
	ErrICEGatherCandidates:         "ICE_GATHER_CANDIDATES_ERROR",
	ErrICEAddCandidate:             "ICE_ADD_CANDIDATE_ERROR",
	ErrServerManagerKmdNotFound:    "SERVER_MANAGER_ERROR_KMD_NOT_FOUND",
	ErrURIPathFileNotFound:         "URI_PATH_FILE_NOT_FOUND",
	ErrPlayerSeekFail:              "PLAYER_SEEK_FAIL",
}

// ErrorType returns the Kurento `data.type` name for a Kurento error code;
// unknown codes map to "UNDEFINED" as in KMS.
func ErrorType(code int) string {
	if t, ok := errorTypes[code]; ok {
		return t
	}
	return "UNDEFINED"
}

// ErrorData is the `data` member of a Kurento error.
type ErrorData struct {
	Type string `json:"type"`
}
