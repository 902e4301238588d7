-- The control schema of gongkai's PostgreSQL read models.
CREATE SCHEMA IF NOT EXISTS gongkai;

-- read_models names, for each read model, the schema that holds its live
-- build and the code version that built it.
CREATE TABLE IF NOT EXISTS gongkai.read_models (
    name         text PRIMARY KEY,
    schema_name  text NOT NULL,
    code_version integer NOT NULL,
    switched_at  timestamptz NOT NULL DEFAULT now()
);

-- builds counts schemas ever created, for unique names.
CREATE SEQUENCE IF NOT EXISTS gongkai.builds;
