"""The ``aoizora`` command line. Each module in this package that defines ``register(subparsers)``
adds one subcommand; ``main.py`` discovers them, so commands are added without touching it."""
