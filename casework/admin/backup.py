"""Moving data: every table into one zip of JSON-lines files, and back into an empty database
of either kind. This is the backup, the restore, and the way from SQLite to PostgreSQL.

Generic over the metadata, so every table any area adds is included without code here."""

import base64
import contextlib
import io
import json
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from casework.db import utcnow

FORMAT = "casework-backup"
FORMAT_VERSION = 1
BATCH = 2000
PERSONAL_DATA_WARNING = (
    "このファイルには個人情報（氏名・生年月日・住所・健康に関する情報など）が含まれます。"
    "暗号化した媒体に保存し、不要になったら確実に消去してください。"
)


class BackupError(ValueError):
    """A Japanese message for the operator."""


def _encode(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return {"$b64": base64.b64encode(value).decode("ascii")}
    return value


def _decoder(column: sa.Column):
    python_type = None
    column_type = getattr(column.type, "impl_instance", column.type)
    with contextlib.suppress(NotImplementedError):
        python_type = column_type.python_type

    def decode(value):
        if value is None:
            return None
        if isinstance(value, dict) and "$b64" in value and python_type is bytes:
            return base64.b64decode(value["$b64"])
        if python_type is datetime:
            return datetime.fromisoformat(value)
        if python_type is date:
            return date.fromisoformat(value)
        if python_type is Decimal:
            return Decimal(value)
        return value

    return decode


def _schema_revisions(conn) -> list[str]:
    try:
        return sorted(conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars())
    except sa.exc.SQLAlchemyError:
        return []


def export_to(path: Path, engine: sa.Engine, metadata: sa.MetaData) -> dict[str, int]:
    counts: dict[str, int] = {}
    with engine.connect() as conn, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for table in metadata.sorted_tables:
            count = 0
            with archive.open(f"tables/{table.name}.jsonl", "w") as raw:
                out = io.TextIOWrapper(raw, encoding="utf-8", newline="\n")
                order = list(table.primary_key.columns) or list(table.columns)
                result = conn.execution_options(yield_per=BATCH).execute(sa.select(table).order_by(*order))
                for row in result.mappings():
                    out.write(json.dumps({k: _encode(v) for k, v in row.items()}, ensure_ascii=False) + "\n")
                    count += 1
                out.flush()
                out.detach()
            counts[table.name] = count
        manifest = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "created_at": utcnow().isoformat(),
            "schema_revisions": _schema_revisions(conn),
            "tables": counts,
            "warning": PERSONAL_DATA_WARNING,
        }
        archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
    return counts


def _read_manifest(archive: zipfile.ZipFile) -> dict:
    try:
        manifest = json.loads(archive.read("manifest.json"))
    except (KeyError, ValueError) as exc:
        raise BackupError("casework のバックアップファイルではありません（manifest.json がありません）。") from exc
    if manifest.get("format") != FORMAT or manifest.get("version") != FORMAT_VERSION:
        raise BackupError("このバックアップの形式には対応していません。")
    return manifest


def _check_target(conn, metadata: sa.MetaData, manifest: dict) -> None:
    revisions = _schema_revisions(conn)
    if revisions != manifest["schema_revisions"]:
        raise BackupError(
            f"データベースのスキーマ（{', '.join(revisions) or 'なし'}）がバックアップ（"
            f"{', '.join(manifest['schema_revisions'])}）と違います。先に `flask --app wsgi db upgrade` を実行してください。")
    for table in metadata.sorted_tables:
        if conn.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first():
            raise BackupError(f"取り込み先のデータベースが空ではありません（{table.name} に行があります）。空のデータベースに取り込んでください。")


def _self_references(table: sa.Table) -> list[sa.Column]:
    return [fk.parent for fk in table.foreign_keys if fk.column.table is table]


def _load_table(conn, archive: zipfile.ZipFile, table: sa.Table) -> int:
    decoders = {c.name: _decoder(c) for c in table.columns}
    deferred = _self_references(table)
    pk = list(table.primary_key.columns)
    # Columns the UPDATE below would otherwise stamp anew (updated_at): keep their values.
    stamped = [c for c in table.columns if c.onupdate is not None]
    later: list[dict] = []
    batch: list[dict] = []
    count = 0
    with archive.open(f"tables/{table.name}.jsonl") as raw:
        for line in io.TextIOWrapper(raw, encoding="utf-8"):
            record = json.loads(line)
            row = {name: decoders[name](value) for name, value in record.items() if name in decoders}
            # A row may point at a row of its own table that comes later: fill those after.
            if any(row.get(c.name) is not None for c in deferred):
                later.append({c.name: row[c.name] for c in [*pk, *deferred, *stamped]})
                row.update({c.name: None for c in deferred})
            batch.append(row)
            count += 1
            if len(batch) >= BATCH:
                conn.execute(table.insert(), batch)
                batch = []
    if batch:
        conn.execute(table.insert(), batch)
    for values in later:
        conn.execute(table.update().where(*(c == values[c.name] for c in pk))
                     .values({c.name: values[c.name] for c in [*deferred, *stamped]}))
    return count


def _reset_sequences(conn, metadata: sa.MetaData) -> None:
    if conn.dialect.name != "postgresql":
        return
    for table in metadata.sorted_tables:
        for column in table.primary_key.columns:
            if column.autoincrement is True or (column.autoincrement == "auto" and isinstance(column.type, sa.Integer)):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', '{column.name}'), "
                    f"COALESCE((SELECT MAX(\"{column.name}\") FROM \"{table.name}\"), 0) + 1, false)")


def import_from(path: Path, engine: sa.Engine, metadata: sa.MetaData) -> dict[str, int]:
    """All or nothing, into an empty database at the same schema revision."""
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise BackupError(f"zip ファイルとして開けません: {path}") from exc
    counts = {}
    with archive, engine.begin() as conn:
        manifest = _read_manifest(archive)
        _check_target(conn, metadata, manifest)
        for table in metadata.sorted_tables:
            if table.name not in manifest["tables"]:
                raise BackupError(f"バックアップに表 {table.name} がありません。")
            counts[table.name] = _load_table(conn, archive, table)
        _reset_sequences(conn, metadata)
    return counts
