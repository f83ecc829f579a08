"""Providers: the contract (base.py) and its one implementation over the official Azure SDKs (azure/)."""
