"""The annual disclosure report (政府信息公开工作年度报告): figures, lineage, identities and exports."""
