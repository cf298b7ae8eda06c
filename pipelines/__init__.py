"""The Dagster code location: assets, checks, jobs and resources generated from hub.yaml and mappings/.

Import ``pipelines.definitions`` for the module-level ``defs`` (it reads the configuration), or
call ``build_definitions(path)`` for another configuration.
"""
