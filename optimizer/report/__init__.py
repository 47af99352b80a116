"""Output formats: unified diff (coloured on a TTY), fix lists; json/markdown come with the bot."""
