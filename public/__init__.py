"""Resident-facing pages: server-rendered Flask blueprints that work on a phone without a staff
account, in Chinese (default) or English. They import data_access, domain, i18n, auth and settings
only; every state-changing form carries and checks its own CSRF token."""
