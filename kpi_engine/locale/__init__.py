"""The message catalogs (zh.toml, en.toml): data, read with importlib.resources by kpi_engine.i18n."""
