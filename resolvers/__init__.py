"""Services: validation, authorization and writes; repositories and dataloaders for reads."""
