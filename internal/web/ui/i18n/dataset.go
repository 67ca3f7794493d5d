package i18n

// datasetMessages are the strings of the dataset pages, merged into messages at start.
var datasetMessages = map[string]text{}
