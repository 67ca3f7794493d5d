package ui

import (
	"net/http"

	"dataport/internal/access"
	"dataport/internal/identity"
)

// apiAccessHelp is the page that explains account tokens and per-grant API
// keys: what each acts as, how it is sent, where it is made, and the rate
// and quota fields of keyed responses. Anyone may read it.
type apiAccessHelp struct {
	TokenPrefix, KeyHeader, KeyPrefix, DocsPath string
}

// apiAccessHelpPage serves /help/api-access.
func (s *server) apiAccessHelpPage(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, r, http.StatusOK, "help_api_access", apiAccessHelp{TokenPrefix: identity.TokenPrefix, KeyHeader: access.KeyHeader,
		KeyPrefix: access.KeyPrefix, DocsPath: "/api/v1/docs"})
}
