"""Describing images without touching the store."""

from picsift.describe.service import DescribeService, Description

__all__ = ["DescribeService", "Description"]
