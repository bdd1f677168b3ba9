"""The till: the kiosk app for cashiers and self-checkout, the sale journal, sync to the hub."""
