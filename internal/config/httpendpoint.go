package config

import "fmt"

// HTTPEndpointConfig is the server-wide HttpPostEndpoint configuration
// (KMS's HttpEndpoint.conf.ini, docs/http-post-endpoint.md).
type HTTPEndpointConfig struct {
	// Listen is where the upload URLs are served (default 127.0.0.1:9091,
	// this machine only: KMS's port; the listener opens with the first
	// HttpPostEndpoint).
	Listen string `json:"listen"`
	// AnnouncedAddress is the host[:port] written in getUrl() instead.
	AnnouncedAddress string `json:"announcedAddress"`
	// MaxUploadBytes bounds one upload (default 2 GiB).
	MaxUploadBytes int64 `json:"maxUploadBytes"`
	// MaxEndpoints bounds the HttpPostEndpoints of the server (default 100).
	MaxEndpoints int `json:"maxEndpoints"`
	// ReadTimeout: an upload that sends nothing for this long ends
	// (default 30s).
	ReadTimeout Duration `json:"readTimeout"`
}

func (c *Config) validateHTTPEndpoint() []error {
	h := c.HTTPEndpoint
	var errs []error
	if h.MaxEndpoints < 0 {
		errs = append(errs, fmt.Errorf("httpEndpoint.maxEndpoints %d is negative", h.MaxEndpoints))
	}
	if h.MaxUploadBytes < 0 {
		errs = append(errs, fmt.Errorf("httpEndpoint.maxUploadBytes %d is negative", h.MaxUploadBytes))
	}
	if h.ReadTimeout.Duration < 0 {
		errs = append(errs, fmt.Errorf("httpEndpoint.readTimeout %v is negative", h.ReadTimeout))
	}
	return errs
}
