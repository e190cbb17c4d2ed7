"""The database: tables, engines and in-process migrations (``tables``, ``engine``,
``migrate``), the store every transaction goes through (``store``), drafts' rows layered into
manifests (``timeline``) and the integrity check (``verify``).

``SCHEMA_REVISION`` is the Alembic head this code expects; a test keeps it equal to the
newest migration so start-up can check a database's revision without importing Alembic.
"""

SCHEMA_REVISION = "0003"
