"""One Dagster partition per document (its SHA-256), added as documents are archived."""
from dagster import DynamicPartitionsDefinition

document_partitions = DynamicPartitionsDefinition(name="document")
