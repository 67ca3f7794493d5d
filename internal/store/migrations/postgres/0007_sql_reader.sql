-- +goose Up
-- datastore_search_sql runs as dataport_sql_reader (SET LOCAL ROLE in a READ
-- ONLY transaction): a role that logs in nowhere and may SELECT datastore
-- version tables only. The datastore grants it SELECT on each version table
-- it creates (never on quarantine tables); this grants the existing ones.
-- Roles belong to the cluster, so several stores on one server share it; a
-- store's schema and tables are granted to it one by one.
--
-- A store user without CREATEROLE cannot create the role: the migration then
-- warns and SQL stays refused on this store until an administrator runs
--   CREATE ROLE dataport_sql_reader NOLOGIN;
--   GRANT dataport_sql_reader TO <store user>;
-- and the store restarts (the datastore grants tables only once the role
-- exists; grant older ones with GRANT SELECT ON <ds_ table> TO ...).
-- +goose StatementBegin
DO $$
DECLARE
    version_table TEXT;
BEGIN
    BEGIN
        CREATE ROLE dataport_sql_reader NOLOGIN NOINHERIT;
    EXCEPTION
        WHEN duplicate_object OR unique_violation THEN NULL; -- another store created it, perhaps at the same time
        WHEN insufficient_privilege THEN
            RAISE WARNING 'dataport: cannot create the role dataport_sql_reader (%); datastore_search_sql stays refused on PostgreSQL until an administrator runs: CREATE ROLE dataport_sql_reader NOLOGIN; GRANT dataport_sql_reader TO %;', SQLERRM, current_user;
            RETURN;
    END;
    -- The platform's own tables are readable by no one but their owner.
    EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM PUBLIC', current_schema());
    BEGIN
        IF NOT pg_has_role(current_user, 'dataport_sql_reader', 'MEMBER') THEN
            EXECUTE format('GRANT dataport_sql_reader TO %I', current_user);
        END IF;
        EXECUTE format('GRANT USAGE ON SCHEMA %I TO dataport_sql_reader', current_schema());
    EXCEPTION WHEN insufficient_privilege THEN
        RAISE WARNING 'dataport: cannot let % take the role dataport_sql_reader or let it use schema % (%); datastore_search_sql stays refused on PostgreSQL until an administrator grants both', current_user, current_schema(), SQLERRM;
        RETURN;
    END;
    FOR version_table IN SELECT DISTINCT table_name FROM datastore_versions LOOP
        IF to_regclass(quote_ident(version_table)) IS NOT NULL THEN
            EXECUTE format('GRANT SELECT ON %I TO dataport_sql_reader', version_table);
        END IF;
    END LOOP;
END $$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DO $$
BEGIN
    IF to_regrole('dataport_sql_reader') IS NOT NULL THEN
        EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM dataport_sql_reader', current_schema());
        EXECUTE format('REVOKE USAGE ON SCHEMA %I FROM dataport_sql_reader', current_schema());
    END IF;
END $$;
-- +goose StatementEnd
