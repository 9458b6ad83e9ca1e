"""Calendars: sync, time, free slots and scheduling."""
