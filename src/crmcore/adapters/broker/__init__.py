"""Event publishers: a JSON-lines file and Redis Streams (memory lives in ``adapters.memory``)."""
