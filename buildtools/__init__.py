"""Helpers of build.py that are big enough to deserve their own module."""
