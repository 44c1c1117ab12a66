"""Test helpers: settings, clocks, builders and HTTP helpers shared by every suite."""
