package i18n

// discoveryMessages are the strings of the discovery pages, merged into messages at start.
var discoveryMessages = map[string]text{}
