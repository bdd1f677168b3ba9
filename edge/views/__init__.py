"""The till's blueprints, one per area; ``helpers`` holds what they share."""
