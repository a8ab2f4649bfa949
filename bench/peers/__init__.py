"""Helpers and per-tool runners for bench/bench_peers.py (picsift, rclip, clip-retrieval)."""
