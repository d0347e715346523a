"""Response examples for the OpenAPI spec: real demo data, shortened (JSON files)."""
