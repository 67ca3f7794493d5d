-- +goose Up
-- The search's synonym list: groups of words a search treats as one
-- (出租车 finds 出租汽车). Platform staff edit it; searches apply it when
-- they run, so a change needs no reindex. words is a JSON array.
CREATE TABLE search_synonyms (
    position INTEGER PRIMARY KEY,
    words    TEXT NOT NULL
);
INSERT INTO search_synonyms (position, words) VALUES
    (1, '["出租车","出租汽车","的士","网约车","taxi"]'),
    (2, '["公交","公交车","公共汽车","巴士","bus"]'),
    (3, '["地铁","轨道交通","城市轨道交通","metro","subway"]'),
    (4, '["停车场","停车位","泊位","parking"]'),
    (5, '["充电桩","充电站","充电设施"]'),
    (6, '["共享单车","互联网租赁自行车"]'),
    (7, '["医院","医疗机构"]'),
    (8, '["幼儿园","托幼机构"]'),
    (9, '["空气质量","大气质量","AQI"]'),
    (10, '["企业","公司","法人单位"]'),
    (11, '["社保","社会保险"]'),
    (12, '["低保","最低生活保障"]'),
    (13, '["养老","养老服务","敬老"]'),
    (14, '["快递","寄递"]'),
    (15, '["垃圾分类","生活垃圾分类"]');

-- +goose Down
DROP TABLE search_synonyms;
