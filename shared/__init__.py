"""Code that two or more QSMO platform services truly share: models, topics, factories."""
