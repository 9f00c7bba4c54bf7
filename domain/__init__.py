"""Pure rules and reference data. Imports nothing of data_access, jobs, api, auth, pages or app."""
