package i18n

// searchMessages are the strings of the search pages, merged into messages at start.
var searchMessages = map[string]text{
	"search.did_you_mean":    {"您是不是要找：", "Did you mean:"},
	"search.did_you_mean_n":  {"（%d 个结果）", " (%d results)"},
	"search.related":         {"相关搜索：", "Related searches:"},
	"search.not_open_hidden": {"另有 %d 个不予开放的数据资源目录未列出。", "%d resources that are not open are not listed."},
	"search.not_open_show":   {"显示不予开放的资源", "Show resources that are not open"},
	"search.synonyms_used":   {"已包含同义词：%s", "Synonyms included: %s"},
	"search.edit_synonyms":   {"编辑搜索同义词", "Edit search synonyms"},
	"synonyms.title":         {"搜索同义词", "Search synonyms"},
	"synonyms.lead":          {"同一行中的词在搜索时视为同一个词：搜索其中任何一个，也会找到含有其他词的数据资源。保存后立即生效，无需重建索引。", "Words on one line are one word to the search: a search for any of them also finds resources that hold the others. Changes take effect as soon as they are saved; nothing is reindexed."},
	"synonyms.count":         {"共 %d 组同义词。", "%d groups of synonyms."},
	"synonyms.save":          {"保存同义词", "Save synonyms"},
	"synonyms.try":           {"到数据目录中试一试", "Try it in the catalog"},
	"synonyms.group":         {"第 %d 组", "Group %d"},
	"field.synonyms":         {"同义词列表", "Synonym list"},
	"hint.synonyms":          {"每行一组，至少两个词，用逗号（, ，、）分隔；每个词只能出现在一组中，最长 40 个字符。", "One group a line, at least two words, separated by commas (, ，、); a word may be in one group only, at most 40 characters."},
	"done.synonyms_saved":    {"同义词已保存，搜索已使用新的列表", "The synonyms were saved; searches use the new list"},
}
