"""What each operation does: plain async functions over the services and a principal."""
