"""Database access: tables, engines and in-process migrations.

``SCHEMA_REVISION`` is the Alembic head this code expects; a test keeps it equal to the
newest migration so start-up can check a database's revision without importing Alembic.
"""

SCHEMA_REVISION = "0003"
