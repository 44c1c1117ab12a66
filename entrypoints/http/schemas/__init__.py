"""Request and response bodies (msgspec Structs), bounded to what the database holds."""
