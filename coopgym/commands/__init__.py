"""One module per `coopgym` command: ``configure(parser)`` and ``run(args)``."""
