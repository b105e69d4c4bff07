"""Adapters for the channels to other people beside Google: Slack and SMS (Twilio)."""
