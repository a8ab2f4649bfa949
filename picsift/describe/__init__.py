"""Describing images without touching the store."""

from picsift.describe.service import DescribeResult, DescribeService

__all__ = ["DescribeResult", "DescribeService"]
