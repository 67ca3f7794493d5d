package i18n

// registerMessages are the strings of the register pages, merged into messages at start.
var registerMessages = map[string]text{}
