"""The shared toolkit every app builds on. No models; imports only Django and DRF."""
