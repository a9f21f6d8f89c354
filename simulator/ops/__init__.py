"""Running Practicum in a clinic: erasure on request, retention, backup and restore.

The domain functions the CLI (`python -m simulator erase|purge|backup|restore`) and the admin page
call; nothing here imports Streamlit.
"""
