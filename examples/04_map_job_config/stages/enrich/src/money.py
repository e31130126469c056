"""Helpers imported by the mapper: the job script's own folder is importable."""


def to_amount(cents: int) -> float:
    """2050 -> 20.5"""
    return cents / 100
