"""Code both the till and the hub import: the pricing engine, the MQTT protocol, helpers."""
