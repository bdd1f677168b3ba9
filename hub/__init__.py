"""The hub: admin app, MQTT ingest, CRM, inventory, catalog, fleet and reports."""
