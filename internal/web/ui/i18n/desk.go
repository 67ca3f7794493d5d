package i18n

// deskMessages are the strings of the desk pages, merged into messages at start.
var deskMessages = map[string]text{}
