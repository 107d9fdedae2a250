"""``python -m minigraph``: the one place the framework calls up into the application."""

if __name__ == "__main__":
    import sys

    from .models.cli.main import main

    sys.exit(main())
