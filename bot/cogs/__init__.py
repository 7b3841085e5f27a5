"""One cog per command group: core (heartbeat), ask (questions), browse (topics, authors, about), admin."""
