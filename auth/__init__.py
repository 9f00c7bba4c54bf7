"""The web request's view of who is calling: session login, role checks, CSRF, language.

Imported by app.py, pages/ and api/. It imports data_access, domain, i18n and settings only.
"""
