package i18n

// cockpitMessages are the strings of the cockpit pages, merged into messages at start.
var cockpitMessages = map[string]text{}
