#!/usr/bin/env python
from keepwarm.cli import main

if __name__ == "__main__":
    main()
