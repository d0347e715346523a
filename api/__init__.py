"""The HTTP API and the CLI: thin layers over ``agent.service.Decider``."""
