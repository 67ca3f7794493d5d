package session

import "net/http"

// The UI's languages: Chinese is the default, English the alternative.
const (
	Chinese = "zh"
	English = "en"
)

// Lang returns the language chosen in r's cookie, Chinese by default.
func Lang(r *http.Request) string {
	if value(r, langCookie) == English {
		return English
	}
	return Chinese
}

// SetLang remembers lang (Chinese unless it is English) in the browser.
func (m *Manager) SetLang(w http.ResponseWriter, lang string) {
	if lang != English {
		lang = Chinese
	}
	m.cookies.setLang(w, lang)
}
