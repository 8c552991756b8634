"""Operations: backups and restores (app/ops/backup.py)."""
