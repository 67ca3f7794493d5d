package i18n

// searchMessages are the strings of the search pages, merged into messages at start.
var searchMessages = map[string]text{}
