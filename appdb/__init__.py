"""The application database (SQLAlchemy): the ETL run log now; users, feedback and audit later.

SQLite file by default, any SQLAlchemy URL (PostgreSQL) in production.
"""
