"""Buttons and selects on the bot's messages: answer pages, feedback, sharing, pagination."""
