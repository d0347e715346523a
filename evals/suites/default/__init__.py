"""The default suite (a package only so that its YAML ships as package data)."""
