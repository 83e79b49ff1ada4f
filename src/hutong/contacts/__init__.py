"""Contacts: friends, blocks, privacy, QR codes, contact-book matching and invites."""
