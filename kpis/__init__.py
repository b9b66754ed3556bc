"""KPIs: the catalogue (config/kpis.yaml), their values computed at publish, and reads."""
