"""Streamlit pieces shared by the pages. Logic that a test would call lives in zoo/."""
