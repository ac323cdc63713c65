"""What is specific to one study: the snapshot report's findings and the demo project."""
